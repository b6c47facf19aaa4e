"""Running one job: :func:`run` is the only entry into the job system."""

import logging
import socket
import traceback

from sio.workers import ft
from sio.workers.registry import JOBS, get_filter, get_job, names
from sio.workers.util import TemporaryCwd

logger = logging.getLogger(__name__)


def _filter_names(environ: dict, key: str) -> list[str]:
    value = environ.get(key) or []
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError(f'environ[{key!r}] must be a list of filter names, not {value!r}')
    return value


def _apply(func, environ: dict, what: str) -> dict:
    result = func(environ)
    if not isinstance(result, dict):
        raise TypeError(f'{what} returned {type(result).__name__}, not the environ dict')
    return result


def _job_for(environ: dict):
    job_type = environ.get('job_type')
    if not job_type:
        raise KeyError(f"environ has no 'job_type'; registered jobs: "
                       f"{', '.join(names(JOBS)) or 'none'}")
    if not isinstance(job_type, str):
        raise TypeError(f"environ['job_type'] must be a string, not {job_type!r}")
    return job_type, get_job(job_type)


def run(environ: dict) -> dict:
    """Run the job ``environ['job_type']`` and return the environ.

    Prefilters (``environ['prefilters']``) run first, then the job, then
    postfilters, all in a fresh temporary directory that is removed
    afterwards. ``environ['filetracker_url']`` makes the job use that
    Filetracker server. The returned environ has ``worker`` (this host)
    and ``result``: ``'SUCCESS'``, or ``'FAILURE'`` with ``exception`` and
    ``traceback`` when anything raised. Never raises for a bad job; may be
    called from several threads at once.
    """
    if not isinstance(environ, dict):
        return {'result': 'FAILURE', 'worker': socket.gethostname(),
                'exception': f'environ must be a dict, not {type(environ).__name__}',
                'traceback': ''}
    environ['worker'] = socket.gethostname()
    current = environ
    try:
        job_type, job = _job_for(environ)
        logger.debug('running job %s', job_type)
        with TemporaryCwd(), ft.using_url(environ.get('filetracker_url')):
            for name in _filter_names(current, 'prefilters'):
                current = _apply(get_filter(name), current, f'prefilter {name!r}')
            current = _apply(job, current, f'job {job_type!r}')
            for name in _filter_names(current, 'postfilters'):
                current = _apply(get_filter(name), current, f'postfilter {name!r}')
        current['result'] = 'SUCCESS'
        current.pop('exception', None)
        current.pop('traceback', None)
    except (Exception, SystemExit) as exc:
        logger.info('job failed: %s', exc, exc_info=logger.isEnabledFor(logging.DEBUG))
        current['result'] = 'FAILURE'
        current['exception'] = _describe(exc)
        current['traceback'] = traceback.format_exc()
    current.setdefault('worker', socket.gethostname())
    return current


def _describe(exc: BaseException) -> str:
    if isinstance(exc, KeyError) and exc.args and isinstance(exc.args[0], str):
        return exc.args[0]  # KeyError's str() adds quotes around the message
    text = str(exc)
    return text if text else type(exc).__name__
