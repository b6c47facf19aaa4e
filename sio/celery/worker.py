"""``sio-celery-worker [--env-file FILE] [BROKER_URL] [celery worker options]``.

Starts a Celery worker for sioworkers jobs on the ``sioworkers`` queue.

Credentials: give the broker URL (with its password) in the environment
(``CELERY_BROKER_URL``) or in an ``--env-file`` readable by its owner alone
(``NAME=value`` lines; one open to others is refused), never as
``BROKER_URL`` on the command line, which every process of the machine may
read in ``/proc``. (The programs the worker runs see only their own
processes and never the worker's environment.)
When a broker URL is given and ``FILETRACKER_URL`` is not set, Filetracker
is expected on the broker's host at its default port (9999).

At start it removes the job directories a killed worker left behind and
says on one line which broker, result backend and Filetracker it uses.
Without ``-n``/``--hostname`` the worker is named ``sioworkers-PID@HOST``,
a name no other worker process shares; results carry it in ``worker``.
"""

import os
import sys
from urllib.parse import urlsplit, urlunsplit

from sio.celery.app import make_app, unanswered

FILETRACKER_DEFAULT_PORT = 9999

USAGE = """\
usage: sio-celery-worker [--env-file FILE] [BROKER_URL] [celery worker options]

Runs sioworkers jobs taken from the broker's 'sioworkers' queue.

  --env-file FILE  NAME=value lines (CELERY_BROKER_URL, CELERY_RESULT_BACKEND,
               FILETRACKER_URL, ...) set before anything else: credentials
               kept off the command line, where every process of the
               machine can read them. The file must be readable by its
               owner alone.

  BROKER_URL   amqp://USER:PASSWORD@HOST[:PORT]/VHOST (RabbitMQ, the default:
               amqp://guest:guest@127.0.0.1:5672//) or redis://HOST:PORT/DB
  options      any of `celery worker --help`, e.g. --concurrency N, -l INFO

Environment:
  CELERY_BROKER_URL      the broker when no BROKER_URL is given
  CELERY_RESULT_BACKEND  where results go (default redis://127.0.0.1:6379/1)
  FILETRACKER_URL        the Filetracker server (default: the broker's host,
                         port 9999)
  SIO_MACHINE_RAM_MIB    memory all jobs on this machine may reserve
  FILETRACKER_DIR        the machine's Filetracker cache, shared by its workers
  SIO_FT_CACHE_MIB       its size bound (default 4096)
"""


class BadBrokerURL(ValueError):
    pass


def load_env_file(path: str) -> dict[str, str]:
    """The ``NAME=value`` lines of ``path`` (blank lines and ``#`` comments
    skipped), put into this process's environment. ValueError when the
    file is readable or writable by anyone but its owner (it holds
    passwords) or a line is not ``NAME=value``."""
    with open(path) as f:
        mode = os.fstat(f.fileno()).st_mode
        if mode & 0o077:
            raise ValueError(f'{path} is open to others (mode {mode & 0o777:o}): '
                             f'chmod 600 it, it holds credentials')
        text = f.read()
    values = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        name, sep, value = line.partition('=')
        name = name.strip()
        if not sep or not name.isidentifier():
            raise ValueError(f'{path}:{number}: expected NAME=value')
        values[name] = value.strip()
    os.environ.update(values)
    return values


def check_broker_url(url: str) -> None:
    """A broker URL kombu can use, or :class:`BadBrokerURL` saying why."""
    from kombu.transport import resolve_transport

    scheme = urlsplit(url).scheme
    if not scheme:
        raise BadBrokerURL(f'not a broker URL: {url!r} (expected amqp://... or redis://...)')
    try:
        resolve_transport(scheme)
    except (KeyError, ImportError, ValueError):
        raise BadBrokerURL(f'unknown broker transport {scheme!r} in {url!r} '
                           f'(use amqp:// or redis://)') from None


def default_filetracker_url(broker_url: str) -> str | None:
    """``http://<broker host>:9999`` for a broker URL with a host."""
    host = urlsplit(broker_url).hostname
    if not host:
        return None
    if ':' in host:
        host = f'[{host}]'
    return f'http://{host}:{FILETRACKER_DEFAULT_PORT}'


def without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f':{parts.password}@', ':***@', 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _has_option(args: list[str], *names: str) -> bool:
    return any(a in names or any(a.startswith(n + '=') for n in names if n.startswith('--'))
               for a in args)


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ('-h', '--help'):
        sys.stdout.write(USAGE)
        sys.exit(0)
    if args and (args[0] == '--env-file' or args[0].startswith('--env-file=')):
        path = args.pop(0).partition('=')[2] or (args.pop(0) if args else '')
        try:
            load_env_file(path)
        except (OSError, ValueError) as exc:
            sys.stderr.write(f'sio-celery-worker: --env-file: {exc}\n')
            sys.exit(2)
    broker = None
    if args and not args[0].startswith('-'):
        broker = args.pop(0)
    try:
        check_broker_url(broker or os.environ.get('CELERY_BROKER_URL')
                         or 'amqp://127.0.0.1//')
    except BadBrokerURL as exc:
        sys.stderr.write(f'sio-celery-worker: {exc}\n')
        sys.exit(2)
    app = make_app(broker)
    # A result store away for a moment is waited for, never a job's
    # failure: Celery's own reads and writes of results around a job (its
    # STARTED state, the result) are retried, backing off to 2 s between
    # tries, until it answers.
    app.conf.result_backend_always_retry = True
    app.conf.result_backend_max_sleep_between_retries_ms = 2000
    if broker and 'FILETRACKER_URL' not in os.environ:
        url = default_filetracker_url(broker)
        if url:
            os.environ['FILETRACKER_URL'] = url
    from sio.workers.jobdir import remove_abandoned_job_dirs

    removed = remove_abandoned_job_dirs()
    if not _has_option(args, '-n', '--hostname'):
        args = ['-n', f'sioworkers-{os.getpid()}@%h'] + args
    if not _has_option(args, '-Q', '--queues'):
        args = ['-Q', 'sioworkers'] + args
    sys.stderr.write(
        f'sio-celery-worker: broker {without_password(app.conf.broker_url)}, results '
        f'{without_password(str(app.conf.result_backend))}, Filetracker '
        f'{os.environ.get("FILETRACKER_URL", "(none: local files only)")}, '
        f'{len(removed)} abandoned job directories removed\n')
    problem = unanswered(app, timeout=2.0)
    if problem:
        sys.stderr.write(f'sio-celery-worker: {problem}; jobs wait until it does\n')
    ft_url = os.environ.get('FILETRACKER_URL')
    if ft_url:
        from sio.workers.ft import server_answers

        if not server_answers(ft_url, timeout=2.0):
            sys.stderr.write(f'sio-celery-worker: the Filetracker server {ft_url} does not '
                             f'answer; jobs that need files there wait for it (up to 10 minutes)\n')
    sys.stderr.flush()
    from celery.signals import worker_ready

    from sio.workers import ft

    # After the pool has forked: the cleaner thread lives in this process only.
    worker_ready.connect(lambda **_: ft.start_cache_cleaner(), weak=False)
    import click

    try:
        app.worker_main(['worker'] + args)
    except click.exceptions.ClickException as exc:  # a bad option: one line
        sys.stderr.write(f'sio-celery-worker: {exc.format_message()} (see --help)\n')
        sys.exit(2)


if __name__ == '__main__':
    main()
