"""Celery bindings: workers on many machines take jobs from one broker.

:mod:`sio.celery.job` holds the task, :mod:`sio.celery.default_config` the
configuration and ``sio-celery-worker`` (:mod:`sio.celery.worker`) starts a
worker.
"""
