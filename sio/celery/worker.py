"""``sio-celery-worker [BROKER_URL] [celery worker options]``.

Starts a Celery worker for sioworkers jobs on the ``sioworkers`` queue.
When a broker URL is given and ``FILETRACKER_URL`` is not set, Filetracker
is expected on the broker's host at its default port (9999).
"""

import logging
import os
import sys
from urllib.parse import urlsplit

from sio.celery.app import make_app

logger = logging.getLogger(__name__)

FILETRACKER_DEFAULT_PORT = 9999


def default_filetracker_url(broker_url: str) -> str | None:
    """``http://<broker host>:9999`` for a broker URL with a host."""
    host = urlsplit(broker_url).hostname
    if not host:
        return None
    if ':' in host:
        host = f'[{host}]'
    return f'http://{host}:{FILETRACKER_DEFAULT_PORT}'


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    broker = None
    if args and not args[0].startswith('-'):
        broker = args.pop(0)
    app = make_app(broker)
    if broker and 'FILETRACKER_URL' not in os.environ:
        url = default_filetracker_url(broker)
        if url:
            os.environ['FILETRACKER_URL'] = url
    logger.info('broker %s, Filetracker %s', app.conf.broker_url,
                os.environ.get('FILETRACKER_URL', '(none)'))
    if not any(a in ('-Q', '--queues') or a.startswith('--queues=') for a in args):
        args = ['-Q', 'sioworkers'] + args
    app.worker_main(['worker'] + args)


if __name__ == '__main__':
    main()
