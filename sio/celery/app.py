"""The Celery application sioworkers' workers run."""

import os

from celery import Celery


def make_app(broker_url: str | None = None) -> Celery:
    """A Celery app with :mod:`sio.celery.default_config`; ``broker_url``
    (or ``CELERY_BROKER_URL``) overrides the broker."""
    app = Celery('sioworkers')
    app.config_from_object('sio.celery.default_config')
    broker = broker_url or os.environ.get('CELERY_BROKER_URL')
    if broker:
        app.conf.broker_url = broker
    backend = os.environ.get('CELERY_RESULT_BACKEND')
    if backend:
        app.conf.result_backend = backend
    return app
