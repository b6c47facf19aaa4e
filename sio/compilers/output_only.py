"""Output-only tasks: the submitted "source" is the output itself."""

from sio.workers import ft


def run(environ: dict) -> dict:
    """Store the submission as it is; ``exec_info`` mode ``output-only``
    tells the exec jobs to check it instead of running anything."""
    ft.download(environ, 'source_file', 'out')
    ft.upload(environ, 'out_file', 'out')
    environ['compiler_output'] = ''
    environ['result_code'] = 'OK'
    environ['exec_info'] = {'mode': 'output-only'}
    return environ
