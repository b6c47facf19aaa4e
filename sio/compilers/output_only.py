"""Output-only tasks: the submitted "source" is the output itself."""

from sio.workers import ft
from sio.workers.environ import require


def run(environ: dict) -> dict:
    """Nothing to compile; ``exec_info`` mode ``output-only`` tells the exec
    jobs to check the submission instead of running anything. As upstream,
    without ``out_file`` the result is the source file itself; with one, the
    submission is stored there."""
    if environ.get('out_file'):
        ft.download(environ, 'source_file', 'out')
        ft.upload(environ, 'out_file', 'out')
    else:
        environ['out_file'] = require(environ, 'source_file', 'compile')
    environ['compiler_output'] = 'Compilation omitted (output provided).'
    environ['result_code'] = 'OK'
    environ['exec_info'] = {'mode': 'output-only'}
    return environ
