"""Default Celery configuration of sioworkers (Celery 5 setting names).

Use it from your own configuration module, in either style::

    from sio.celery.default_config import *
    broker_url = 'redis://broker.example:6379/0'

    from sio.celery.default_config import *      # as the seed documents it,
    BROKER_URL = 'amqp://broker.example//'       # for a stock `celery worker`

A star import gives the old (uppercase) names of the same settings: Celery
reads them, lets a lowercase setting of yours override one, and lets your
uppercase ones replace them, which it would not do with lowercase defaults.

``CELERY_BROKER_URL`` and ``CELERY_RESULT_BACKEND`` in the environment
override the broker and the result backend. ``SIO_CELERY_VISIBILITY_TIMEOUT``
(seconds, default 3600) is how long a Redis broker waits before handing a
job whose worker died to another worker: keep it above the longest job.
"""

import os

from kombu import Queue

QUEUE = 'sioworkers'

broker_url = os.environ.get('CELERY_BROKER_URL', 'redis://127.0.0.1:6379/0')
result_backend = os.environ.get('CELERY_RESULT_BACKEND', 'rpc://')

imports = ('sio.celery.job',)

# Environs are JSON; nothing else is accepted from the broker.
task_serializer = 'json'
result_serializer = 'json'
accept_content = ['json']
result_accept_content = ['json']

task_queues = (Queue(QUEUE, routing_key=QUEUE),)
task_default_queue = QUEUE
task_routes = {'sio.celery.job.sioworkers_job': {'queue': QUEUE}}

# A job is acknowledged only when it finished; a worker that dies mid-job
# (killed, machine lost) leaves it for another worker.
task_acks_late = True
task_reject_on_worker_lost = True
worker_prefetch_multiplier = 1
worker_cancel_long_running_tasks_on_connection_loss = True
broker_connection_retry_on_startup = True
_visibility_timeout = int(os.environ.get('SIO_CELERY_VISIBILITY_TIMEOUT', '3600'))
broker_transport_options = {
    'visibility_timeout': _visibility_timeout,
    # Look for jobs of dead workers a few times per visibility timeout
    # (kombu's default sweep runs only every 100 s).
    'unacked_restore_interval': max(1, min(10, _visibility_timeout // 3)),
    'unacked_restore_throttle': 1,
}

worker_send_task_events = True
task_send_sent_event = True


# The old names of the settings above, for star imports (see the docstring).
_OLD_NAMES = {
    'broker_url': 'BROKER_URL',
    'result_backend': 'CELERY_RESULT_BACKEND',
    'imports': 'CELERY_IMPORTS',
    'task_serializer': 'CELERY_TASK_SERIALIZER',
    'result_serializer': 'CELERY_RESULT_SERIALIZER',
    'accept_content': 'CELERY_ACCEPT_CONTENT',
    'result_accept_content': 'RESULT_ACCEPT_CONTENT',
    'task_queues': 'CELERY_QUEUES',
    'task_default_queue': 'CELERY_DEFAULT_QUEUE',
    'task_routes': 'CELERY_ROUTES',
    'task_acks_late': 'CELERY_ACKS_LATE',
    'task_reject_on_worker_lost': 'CELERY_REJECT_ON_WORKER_LOST',
    'worker_prefetch_multiplier': 'CELERYD_PREFETCH_MULTIPLIER',
    'worker_cancel_long_running_tasks_on_connection_loss':
        'CELERYD_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS',
    'broker_connection_retry_on_startup': 'BROKER_CONNECTION_RETRY_ON_STARTUP',
    'broker_transport_options': 'BROKER_TRANSPORT_OPTIONS',
    'worker_send_task_events': 'CELERY_SEND_EVENTS',
    'task_send_sent_event': 'CELERY_SEND_TASK_SENT_EVENT',
}
for _new, _old in _OLD_NAMES.items():
    globals()[_old] = globals()[_new]
__all__ = sorted(_OLD_NAMES.values()) + ['QUEUE']
