"""A third-party package for the tests: it adds jobs and filters to
sioworkers only by declaring entry points (see the .dist-info next to it)."""

import os
import subprocess
import sys
import time

from sio.workers.util import tempcwd


def slow(environ):
    """Sleep environ['seconds'], then record that the job completed."""
    if 'started_log' in environ:
        with open(environ['started_log'], 'a') as f:
            f.write(f'{os.getpid()}\n')
    time.sleep(environ.get('seconds', 1))
    with open(environ['done_log'], 'a') as f:
        f.write(environ.get('tag', 'done') + '\n')
    environ['slept'] = True
    return environ


def span(environ):
    """Sleep environ['seconds']; append "NAME START END" (wall clock) to
    environ['log'], one write, so concurrent jobs' lines do not mix."""
    start = time.time()
    time.sleep(environ.get('seconds', 0.5))
    line = f"{environ['name']} {start:.6f} {time.time():.6f}\n"
    fd = os.open(environ['log'], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)
    return environ


def boom(environ):
    raise ValueError('the boom job always fails')


def kills_worker(environ):
    """A poison job: kills the process running it, every time."""
    import signal

    os.kill(os.getpid(), signal.SIGKILL)


def exits(environ):
    sys.exit(3)


def returns_none(environ):
    return None


def scratch(environ):
    """Write into the job directory, read it back, report where it was."""
    path = tempcwd('scratch.txt')
    token = str(environ['token'])
    with open(path, 'w') as f:
        f.write(token)
    time.sleep(environ.get('pause', 0))
    with open(path) as f:
        environ['read_back'] = f.read()
    environ['job_dir'] = tempcwd()
    return environ


def noisy(environ):
    """Write to stdout in every way a job or a library might."""
    print('printed by the job')
    sys.stdout.flush()
    os.write(1, b'written to fd 1\n')
    subprocess.run(['echo', 'echoed by a child process'], check=True)
    environ['noisy'] = True
    return environ


def add_a(environ):
    environ.setdefault('trail', []).append('a')
    return environ


def add_b(environ):
    environ.setdefault('trail', []).append('b')
    return environ


def seed_exec(environ):
    """The seed documentation's example job (examples/seed_exec_job.py),
    registered as a job the way its authors would."""
    import importlib

    examples = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))), 'examples')
    if examples not in sys.path:
        sys.path.insert(0, examples)
    return importlib.import_module('seed_exec_job').run(environ)
