"""The Celery application sioworkers' workers run."""

import os

from celery import Celery


def make_app(broker_url: str | None = None) -> Celery:
    """A Celery app with :mod:`sio.celery.default_config`; ``broker_url``
    (or ``CELERY_BROKER_URL``) overrides the broker."""
    from sio.celery import default_config

    app = Celery('sioworkers')
    app.conf.update(default_config.settings())
    broker = broker_url or os.environ.get('CELERY_BROKER_URL')
    if broker:
        app.conf.broker_url = broker
    backend = os.environ.get('CELERY_RESULT_BACKEND')
    if backend:
        app.conf.result_backend = backend
    return app


def unanswered(app: Celery, timeout: float = 3.0, results: bool = True) -> str | None:
    """What of the app's broker and (with ``results``) result store (Redis)
    does not answer now, in one line (passwords left out); None when they
    do. Tries each once, for at most about ``timeout`` seconds."""
    from sio.celery.worker import without_password

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=0, timeout=timeout)
    except Exception as exc:  # kombu's errors, OSError: said in one line
        return f'the broker {without_password(app.conf.broker_url)} does not answer: {exc}'
    client = getattr(app.backend, 'client', None) if results else None
    if client is not None and hasattr(client, 'ping'):  # Redis
        try:
            client.ping()
        except Exception as exc:
            return (f'the result store {without_password(str(app.conf.result_backend))} '
                    f'does not answer: {exc}')
    return None
