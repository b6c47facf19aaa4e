"""Making a package's tests: its generator (``prog/IDingen.*``) writes
them, sio-judge puts those named as tests into ``in/``.

A compiled generator runs as the ``ingen`` job runs it (compiled with
``-D_INGEN``, in a job directory of its own). A shell generator
(``prog/IDingen.sh``, run first when both exist, as SIO2 and sinol-make
do) runs as sinol-make runs it: ``bash prog/IDingen.sh`` from ``in/``, with
a copy of ``prog/`` beside it (such scripts compile and call helpers from
``prog/``), under :class:`~sio.workers.executors.DetailedUnprotectedExecutor`
(ids of its own, writes only in its directory, no network). Either way only
regular files with test names are taken, through descriptors.
"""

import logging
import os
import shutil
import stat

from sio.judge.package import Package, test_pattern
from sio.workers import jobfiles

logger = logging.getLogger(__name__)

#: Limits of a generator run (ms, ms, KiB).
TIME_LIMIT_MS = 600_000
REAL_TIME_LIMIT_MS = 1_200_000
MEM_LIMIT_KIB = 1 << 20


class GeneratorError(RuntimeError):
    """The generator failed (the message says how)."""


def run_ingen(package: Package, program: str, exec_info: dict) -> list[str]:
    from sio.workers.runner import run

    in_dir = os.path.join(package.root, 'in')
    os.makedirs(in_dir, exist_ok=True)
    env = run({'job_type': 'ingen', 'exe_file': program, 'use_filetracker': False,
               're_string': test_pattern(package.task_id, 'in').pattern,
               'collected_files_path': in_dir, 'ingen_time_limit': TIME_LIMIT_MS,
               'ingen_mem_limit': MEM_LIMIT_KIB})
    if env.get('result') != 'SUCCESS':
        raise GeneratorError(f'the generator could not run: {env.get("exception")}')
    if env.get('return_code') != 0:
        said = b''.join(env.get('stdout') or []).decode(errors='replace')[-2000:]
        raise GeneratorError(f'the generator failed (exit status {env.get("return_code")}):'
                             f'\n{said}')
    return sorted(env.get('collected_files') or {})


def run_shell_ingen(package: Package) -> list[str]:
    from sio.workers.jobdir import TemporaryCwd, tempcwd

    script = os.path.basename(package.ingen)
    with TemporaryCwd():
        shutil.copytree(package.prog, tempcwd('prog'), symlinks=True)
        jobfiles.private_directory(tempcwd('in'))
        # Held before the script runs: whatever it puts at in/ afterwards
        # (a link to a directory of the host's), the tests are read from
        # the directory made here.
        in_fd = os.open(tempcwd('in'), os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW |
                        os.O_CLOEXEC)
        try:
            return _run_shell(package, script, in_fd)
        finally:
            os.close(in_fd)


def _run_shell(package: Package, script: str, in_fd: int) -> list[str]:
    from sio.workers.environ import decode_output
    from sio.workers.executors import DetailedUnprotectedExecutor

    renv = DetailedUnprotectedExecutor()(
        ['/bin/sh', '-c', f'cd in && exec bash ../prog/{script}'],
        capture_output=True, forward_stderr=True, ignore_errors=True,
        time_limit=TIME_LIMIT_MS, real_time_limit=REAL_TIME_LIMIT_MS,
        mem_limit=MEM_LIMIT_KIB)
    said = decode_output(renv.get('stdout', b''))[-2000:]
    if renv['result_code'] != 'OK':
        raise GeneratorError(f'prog/{script} failed ({renv["result_code"]}: '
                             f'{renv.get("result_string", "")}):\n{said}')
    return _take_tests(package, in_fd)


def _take_tests(package: Package, directory_fd: int) -> list[str]:
    """Copy the regular files with test names from the directory open as
    ``directory_fd`` into in/: opened by name under that descriptor,
    never through a link, never blocking on a FIFO."""
    pattern = test_pattern(package.task_id, 'in')
    in_dir = os.path.join(package.root, 'in')
    os.makedirs(in_dir, exist_ok=True)
    taken = []
    for name in sorted(os.listdir(directory_fd)):
        if not pattern.match(name):
            continue
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                         dir_fd=directory_fd)
        except OSError as exc:  # a link (ELOOP), gone: not a test
            logger.warning('generator output %s skipped: %s', name, exc.strerror)
            continue
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            logger.warning('generator output %s skipped: not a regular file', name)
            continue
        try:
            with open(os.path.join(in_dir, name), 'wb') as out:
                jobfiles.copy_fd(fd, out.fileno())
        finally:
            os.close(fd)
        taken.append(name)
    return taken
