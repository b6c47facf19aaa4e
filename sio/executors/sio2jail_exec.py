"""The ``sio2jail-exec`` job: a statically linked program in the bundled
sio2jail, timed by instruction counting (or precise CPU time where the machine
has no hardware counters; ``time_measure`` in the environ says which).
See :mod:`sio.executors.common` for the keys."""

from sio.executors import common
from sio.workers.executors import Sio2JailExecutor


class JailRunner(common.Runner):
    def executor(self, environ):
        return Sio2JailExecutor()


def run(environ: dict) -> dict:
    return common.run(environ, JailRunner())
