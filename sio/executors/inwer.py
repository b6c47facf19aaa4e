"""The ``inwer`` job: run an input verifier on a test input.

The verifier gets the input on stdin and its name (``in_file_name``) as
its argument. Keys: ``exe_file``, ``in_file``, ``in_file_name``,
``use_sandboxes`` (run the verifier in the jail; upstream used PRoot;
default False), ``inwer_mem_limit``
(KiB, default 256 MiB), ``inwer_time_limit`` (ms, default 300 s),
``inwer_real_time_limit`` (ms, default 900 s), ``inwer_output_limit`` (bytes
of output kept, default 10 KiB).

Writes ``result_code`` (OK when the verifier exited 0 within its limits),
``result_string``, ``stdout`` (lines) and ``return_code``.
"""

import os

from sio.workers import ft, jobfiles
from sio.workers import limits as run_limits
from sio.workers.executors import task_program_executor
from sio.workers.jobdir import tempcwd

DEFAULT_INWER_TIME_LIMIT = run_limits.DEFAULTS['inwer'].time_limit_ms
DEFAULT_INWER_REAL_TIME_LIMIT = run_limits.DEFAULTS['inwer'].real_time_limit_ms
DEFAULT_INWER_MEM_LIMIT = run_limits.DEFAULTS['inwer'].mem_limit_kib
DEFAULT_INWER_OUTPUT_LIMIT = run_limits.DEFAULTS['inwer'].output_limit_bytes


def run(environ: dict) -> dict:
    ft.download(environ, 'exe_file', 'inwer', add_to_cache=True)
    jobfiles.chmod_regular(tempcwd('inwer'), 0o555)
    ft.download(environ, 'in_file', 'in', add_to_cache=True)
    name = str(environ.get('in_file_name') or os.path.basename(
        environ['in_file'].split('@')[0]))
    limits = run_limits.read(environ, 'inwer')
    output_limit = limits.output_limit_bytes
    executor = task_program_executor(bool(environ.get('use_sandboxes', False)))
    with executor, open(tempcwd('in'), 'rb') as stdin:
        renv = executor(
            [tempcwd('inwer'), name], stdin=stdin, capture_output=True,
            forward_stderr=True, ignore_errors=True,
            # As upstream: isolated, more output than the limit is OLE;
            # unprotected, it is cut.
            limits=limits.replace(output_limit_bytes=output_limit
                                  if environ.get('use_sandboxes') else None))
    # Lines of bytes, as upstream returns them in-process (see ingen).
    environ['stdout'] = renv.get('stdout', b'')[:output_limit].splitlines()
    environ['return_code'] = renv['return_code']
    code = renv.get('result_code')
    if code is None:
        code = 'OK' if renv['return_code'] == 0 else 'RE'
    environ['result_code'] = code
    environ['result_string'] = renv.get('result_string', 'ok' if code == 'OK' else '')
    return environ
