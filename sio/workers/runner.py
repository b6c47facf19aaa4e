"""Running one job: :func:`run` is the only entry into the job system."""

import contextlib
import logging
import os
import socket
import threading
import traceback

from sio.workers import Failure, ft, keys, machine
from sio.workers.environ import jsonable
from sio.workers.jobdir import TemporaryCwd, set_caller_cwd
from sio.workers.registry import JOBS, get_filter, get_job, names

logger = logging.getLogger(__name__)


def _filter_names(environ: dict, key: str) -> list[str]:
    value = environ.get(key) or []
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Failure(f'environ[{key!r}] must be a list of filter names, not {value!r}')
    return value


def _apply(func, environ: dict, what: str) -> dict:
    result = func(environ)
    if not isinstance(result, dict):
        raise TypeError(f'{what} returned {type(result).__name__}, not the environ dict')
    return result


def _job_for(environ: dict):
    job_type = environ.get('job_type')
    if not job_type:
        raise Failure(f"environ has no 'job_type'; registered jobs: "
                      f"{', '.join(names(JOBS)) or 'none'}")
    if not isinstance(job_type, str):
        raise Failure(f"environ['job_type'] must be a string, not {job_type!r}")
    return job_type, get_job(job_type)


def record_failure(environ: dict, exc: BaseException) -> dict:
    """Record ``exc`` (being handled) in ``environ`` as the job's FAILURE."""
    return _record_failure(environ, exc)


def _record_failure(environ: dict, exc: BaseException) -> dict:
    logger.info('job failed: %s', exc, exc_info=logger.isEnabledFor(logging.DEBUG))
    environ['result'] = 'FAILURE'
    environ['exception'] = _describe(exc)
    environ['traceback'] = traceback.format_exc()
    return environ


def run(environ: dict) -> dict:
    """Run the job ``environ['job_type']`` and return the environ.

    Prefilters (``environ['prefilters']``) run first, then the job, then
    postfilters, all in a fresh temporary directory that is removed
    afterwards. ``environ['filetracker_url']`` makes the job use that
    Filetracker server. The returned environ has ``worker`` (this host)
    and ``result``: ``'SUCCESS'``, or ``'FAILURE'`` with ``exception`` and
    ``traceback`` when the job raised :class:`~sio.workers.Failure` (a
    missing or unknown job type is one); postfilters run after a failure
    too. May be called from several threads at once. The job first takes
    its place on the machine (:mod:`sio.workers.machine`): wall-clock jobs
    run alone, and no job starts beyond the machine's memory budget.

    As in upstream sioworkers, any other exception propagates: a caller in
    the same process (OIOIOI's ``LocalBackend``) reports it as a system
    error. Process boundaries (``sio-batch``, the Celery task,
    ``sio-workersd``) use :func:`run_reporting_errors` instead.
    """
    if not isinstance(environ, dict):
        raise TypeError(f'environ must be a dict, not {type(environ).__name__}')
    environ['worker'] = socket.gethostname()
    keys.warn_about_misspelt_keys(environ)
    current = environ
    with machine.admitted(environ), TemporaryCwd() as job_dir, _working_in(job_dir), \
            ft.using_url(environ.get('filetracker_url')):
        try:
            job_type, job = _job_for(environ)
            logger.debug('running job %s', job_type)
            for name in _filter_names(current, 'prefilters'):
                current = _apply(get_filter(name), current, f'prefilter {name!r}')
            current = _apply(job, current, f'job {job_type!r}')
            current['result'] = 'SUCCESS'
            current.pop('exception', None)
            current.pop('traceback', None)
        except Failure as exc:
            current = _record_failure(current, exc)
        postfilters = _filter_names(current, 'postfilters')
        for name in postfilters:
            try:
                current = _apply(get_filter(name), current, f'postfilter {name!r}')
            except Failure as exc:
                if current.get('result') == 'FAILURE':
                    break  # the first failure is the one to report
                current = _record_failure(current, exc)
                break
    current.setdefault('worker', socket.gethostname())
    return current


_cwd_lock = threading.Lock()
_cwd_taken = False


@contextlib.contextmanager
def _working_in(path: str):
    """Make ``path`` the process's working directory while the job runs,
    as upstream does (jobs written for it open files by relative paths),
    when no other job of this process is running: the working directory is
    the whole process's, so concurrent in-process jobs keep theirs and must
    name files with :func:`sio.workers.util.tempcwd`."""
    global _cwd_taken
    with _cwd_lock:
        mine = not _cwd_taken
        if mine:
            try:
                previous = os.getcwd()
            except OSError:
                previous = '/'
            os.chdir(path)
            set_caller_cwd(previous)
            _cwd_taken = True
    try:
        yield
    finally:
        if mine:
            with _cwd_lock:
                try:
                    os.chdir(previous)
                except OSError:
                    os.chdir('/')
                set_caller_cwd(None)
                _cwd_taken = False


def run_reporting_errors(environ, stop_codes: frozenset = frozenset(),
                         passthrough: tuple = ()) -> dict:
    """:func:`run`, with every exception recorded in the returned environ
    as a FAILURE (``exception``, ``traceback``): for callers across a
    process boundary, who must always get an environ back. A
    ``SystemExit`` whose code is in ``stop_codes`` (the process is being
    stopped, not the job failing) and the exceptions of ``passthrough``
    (faults the caller handles) go through."""
    if not isinstance(environ, dict):
        return {'result': 'FAILURE', 'worker': socket.gethostname(),
                'exception': f'environ must be a dict, not {type(environ).__name__}',
                'traceback': ''}
    try:
        return jsonable(run(environ))
    except (Exception, SystemExit) as exc:
        if (isinstance(exc, SystemExit) and exc.code in stop_codes) or \
                isinstance(exc, passthrough):
            raise
        environ.setdefault('worker', socket.gethostname())
        return _record_failure(environ, exc)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, KeyError) and exc.args and isinstance(exc.args[0], str):
        return exc.args[0]  # KeyError's str() adds quotes around the message
    text = str(exc)
    return text if text else type(exc).__name__
