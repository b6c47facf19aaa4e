"""Admission of jobs on one machine, across every worker process on it.

Two rules, kept with ``flock`` on files in ``SIO_MACHINE_DIR`` (default
``/run/sioworkers``; for a non-root user without access there, a directory
of that user's in the temporary directory), so they hold between processes
that know nothing of each other and are released by the kernel when a
process dies:

* **Exclusivity.** A job measured in wall-clock time (``cpu-exec``,
  ``cpu-interactive-exec``, or any environ with ``exclusive: True``) runs
  alone on its machine: it waits for the running jobs to finish, and no
  other job starts until it is done. Other jobs share the machine. A
  waiting exclusive job goes first (new shared jobs queue behind it), so a
  stream of short jobs cannot starve it.
* **Memory.** Each job reserves the memory it may use (see
  :func:`required_ram_mib`); a job starts only when the reservations of the
  running jobs and its own fit in the machine's budget
  (``SIO_MACHINE_RAM_MIB``, default 80 % of the physical memory). A job
  larger than the whole budget runs when nothing else does.
"""

import contextlib
import fcntl
import logging
import os
import tempfile
import time
import uuid
from collections.abc import Iterator

from sio.workers import Failure, limits

logger = logging.getLogger(__name__)

#: Jobs whose verdicts depend on the wall clock: they must run alone.
WALL_CLOCK_JOBS = frozenset({'cpu-exec', 'cpu-interactive-exec'})

#: The environ prefix of each job type's limits (see sio.workers.limits).
_LIMITS_PREFIX = {'compile': 'compilation', 'ingen': 'ingen', 'inwer': 'inwer'}
#: KiB, for jobs that run no program of their own (ping) or are unknown.
_OTHER_RAM_KIB = {'ping': 1024}
_FALLBACK_RAM_KIB = 256 << 10
_POLL_SECONDS = 0.1


def is_exclusive(environ: dict) -> bool:
    """Whether the job must run alone on its machine."""
    return environ.get('job_type') in WALL_CLOCK_JOBS or environ.get('exclusive') is True


def required_ram_mib(environ: dict) -> int:
    """The memory a job may use, in MiB: ``required_ram_mib`` when the
    environ says it, else from its limits as upstream's sioworkersd
    reckons it (an exec job's memory limit, or its checker's if larger;
    the memory limit of other jobs' programs), each limit as the job reads
    it (:mod:`sio.workers.limits`: the same keys and defaults)."""
    explicit = environ.get('required_ram_mib')
    if explicit is not None:
        return max(1, int(explicit))
    job_type = str(environ.get('job_type', ''))

    def mem_kib(prefix: str) -> int:
        key = limits.environ_key(prefix, 'mem_limit_kib')
        return limits.read_value(environ, key, 'mem_limit_kib',
                                 limits.DEFAULTS[prefix].mem_limit_kib) or _FALLBACK_RAM_KIB

    if job_type.endswith('exec'):
        kib = mem_kib('exec')
        if environ.get('check_output'):
            kib = max(kib, mem_kib('checker'))
    elif job_type in _LIMITS_PREFIX:
        kib = mem_kib(_LIMITS_PREFIX[job_type])
    else:
        kib = _OTHER_RAM_KIB.get(job_type, _FALLBACK_RAM_KIB)
    return max(1, -(-kib // 1024))


def machine_dir() -> str:
    """Where the machine's admission files live (created when missing)."""
    wanted = os.environ.get('SIO_MACHINE_DIR', '/run/sioworkers')
    for path in (wanted, os.path.join(tempfile.gettempdir(), f'sioworkers-{os.getuid()}')):
        try:
            os.makedirs(os.path.join(path, 'ram'), mode=0o700, exist_ok=True)
        except OSError:
            continue
        if os.access(path, os.W_OK):
            return path
    raise RuntimeError(f'no usable machine directory: {wanted} is not writable')


def ram_budget_mib() -> int:
    configured = os.environ.get('SIO_MACHINE_RAM_MIB')
    if configured:
        return int(configured)
    pages = os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE')
    return int(pages * 0.8) >> 20


@contextlib.contextmanager
def _locked(path: str, operation: int) -> Iterator[int]:
    # The worker's alone: a program run under other ids that could open it
    # could hold the lock and stall every job of the machine.
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(fd, operation)
        yield fd
    finally:
        os.close(fd)  # releases the lock


@contextlib.contextmanager
def _exclusivity(base: str, exclusive: bool) -> Iterator[None]:
    turnstile = os.path.join(base, 'turnstile.lock')
    machine = os.path.join(base, 'machine.lock')
    if exclusive:
        with contextlib.ExitStack() as held:
            with _locked(turnstile, fcntl.LOCK_EX):
                held.enter_context(_locked(machine, fcntl.LOCK_EX))
            yield
    else:
        with _locked(turnstile, fcntl.LOCK_SH):
            pass  # waits while an exclusive job is queued or running
        with _locked(machine, fcntl.LOCK_SH):
            yield


def _reserved_mib(ram_dir: str) -> int:
    """MiB reserved by live jobs; reservations of dead processes removed."""
    total = 0
    for name in os.listdir(ram_dir):
        path = os.path.join(ram_dir, name)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                total += int(os.pread(fd, 32, 0) or b'0')
                continue
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)  # nobody holds it: its job is gone
        finally:
            os.close(fd)
    return total


@contextlib.contextmanager
def _ram_reservation(base: str, mib: int) -> Iterator[None]:
    ram_dir = os.path.join(base, 'ram')
    budget = ram_budget_mib()
    path = os.path.join(ram_dir, f'{os.getpid()}-{uuid.uuid4().hex}')
    waited = False
    while True:
        with _locked(os.path.join(base, 'ram.lock'), fcntl.LOCK_EX):
            reserved = _reserved_mib(ram_dir)
            if reserved == 0 or reserved + mib <= budget:
                fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
                fcntl.flock(fd, fcntl.LOCK_EX)
                os.write(fd, str(mib).encode())
                break
        if not waited:
            logger.info('job needs %d MiB, %d of %d MiB reserved: waiting',
                        mib, reserved, budget)
            waited = True
        time.sleep(_POLL_SECONDS)
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        os.close(fd)


@contextlib.contextmanager
def admitted(environ: dict) -> Iterator[None]:
    """Hold the job's place on this machine while it runs (see the module
    docstring); waits until it may start."""
    base = machine_dir()
    try:
        need = required_ram_mib(environ)
    except Failure:
        # A bad limit is the job's failure, reported by the job (which
        # reads it the same way) once it has its place.
        need = -(-_FALLBACK_RAM_KIB // 1024)
    with _exclusivity(base, is_exclusive(environ)), _ram_reservation(base, need):
        yield
