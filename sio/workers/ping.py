"""The ``ping`` job: answers ``pong`` with whatever ``ping`` held."""

from sio.workers.environ import require


def run(environ: dict) -> dict:
    environ['pong'] = require(environ, 'ping', 'ping')
    return environ
