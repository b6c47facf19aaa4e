"""The ``ingen`` job: run a test generator and collect the files it makes.

Keys: ``exe_file`` (the generator), ``re_string`` (a regular expression;
files of the working directory whose names match it are collected),
``collected_files_path`` (the Filetracker directory they go to),
``use_sandboxes`` (run the generator in the jail, as untrusted checkers
run, with the job directory writable; upstream used PRoot; default False),
``ingen_mem_limit`` (KiB, default 256 MiB), ``ingen_time_limit`` (ms,
default 600 s), ``ingen_real_time_limit`` (ms), ``ingen_output_limit``
(bytes of the generator's stdout kept, default 10 KiB).

Writes ``collected_files`` ({name: versioned Filetracker path}, only when
the generator succeeded), ``stdout`` (lines) and ``return_code``.
"""

import os
import re

from sio.workers import Failure, ft, jobfiles
from sio.workers import limits as run_limits
from sio.workers.environ import require
from sio.workers.executors import task_program_executor
from sio.workers.jobdir import tempcwd

DEFAULT_INGEN_TIME_LIMIT = run_limits.DEFAULTS['ingen'].time_limit_ms
DEFAULT_INGEN_MEM_LIMIT = run_limits.DEFAULTS['ingen'].mem_limit_kib
DEFAULT_INGEN_OUTPUT_LIMIT = run_limits.DEFAULTS['ingen'].output_limit_bytes

GENERATOR = 'ingen'


def _collect(environ: dict, pattern: re.Pattern, upload_dir: str) -> dict:
    collected = {}
    for name in sorted(os.listdir(tempcwd())):
        path = tempcwd(name)
        if name == GENERATOR or not os.path.isfile(path) or os.path.islink(path):
            continue
        if pattern.match(name):
            collected[name] = ft.upload_path(environ, name, f'{upload_dir.rstrip("/")}/{name}')
    return collected


def run(environ: dict) -> dict:
    try:
        pattern = re.compile(require(environ, 're_string', 'ingen'))
    except re.error as exc:
        raise Failure(f"environ['re_string'] is not a regular expression: {exc}") from exc
    upload_dir = require(environ, 'collected_files_path', 'ingen')
    ft.download(environ, 'exe_file', GENERATOR, add_to_cache=True)
    jobfiles.chmod_regular(tempcwd(GENERATOR), 0o555)
    limits = run_limits.read(environ, 'ingen')
    # What it prints is cut to the output limit (the files it writes are
    # what the limit does not bound).
    output_limit = limits.output_limit_bytes
    executor = task_program_executor(bool(environ.get('use_sandboxes', False)))
    with executor:
        renv = executor(
            [tempcwd(GENERATOR)], capture_output=True, forward_stderr=True,
            ignore_errors=True,
            limits=limits.replace(output_limit_bytes=None))
    output = renv.get('stdout', b'')[:output_limit]
    # Lines of bytes, as upstream returns them in-process; the JSON fronts
    # (sio-batch, Celery) decode them (runner.run_reporting_errors).
    environ['stdout'] = output.splitlines()
    environ['return_code'] = renv['return_code']
    if renv['return_code'] == 0 and renv.get('result_code', 'OK') == 'OK':
        environ['collected_files'] = _collect(environ, pattern, upload_dir)
    else:
        environ['collected_files'] = {}
        environ['result_string'] = renv.get('result_string', '')
    return environ
