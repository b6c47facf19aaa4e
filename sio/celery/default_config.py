"""Default Celery configuration of sioworkers (Celery 5 setting names).

Use it from your own configuration module, in either style::

    from sio.celery.default_config import *
    broker_url = 'amqp://sio:secret@broker.example//'

    from sio.celery.default_config import *      # as the seed documents it,
    BROKER_URL = 'amqp://broker.example//'       # for a stock `celery worker`

A star import gives the old (uppercase) names of the same settings: Celery
reads them, lets a lowercase setting of yours override one, and lets your
uppercase ones replace them, which it would not do with lowercase defaults.

The broker is RabbitMQ (``amqp://``): jobs wait in a durable priority queue
as persistent messages, published with confirms (a job the broker accepted
survives its crash), taken one at a time (prefetch 1) and acknowledged
only when done (late ack), so a worker's death returns its job to the
queue at once. RabbitMQ's ``consumer_timeout`` must exceed the longest job
(set it in rabbitmq.conf; the tests use 6 hours). Results go to Redis
(``redis://127.0.0.1:6379/1``), where they outlive broker and client
restarts for ``result_expires`` (a day).

Redis as the broker is supported too: it has no acknowledgements, so a dead
worker's job comes back only after ``SIO_CELERY_VISIBILITY_TIMEOUT``
(seconds, default 3600), and a job running longer than that is handed to a
second worker while the first still runs; keep it above the longest job.
A Redis broker without persistence loses queued jobs when it is killed.

``CELERY_BROKER_URL`` and ``CELERY_RESULT_BACKEND`` in the environment
override the broker and the result backend.
"""

import os

from kombu import Exchange, Queue

QUEUE = 'sioworkers'
#: Priorities 0 (lowest) .. MAX_PRIORITY; see :func:`sio.celery.submit.priority_of`.
MAX_PRIORITY = 9

broker_url = os.environ.get('CELERY_BROKER_URL', 'amqp://guest:guest@127.0.0.1:5672//')
result_backend = os.environ.get('CELERY_RESULT_BACKEND', 'redis://127.0.0.1:6379/1')
result_expires = 24 * 3600
# Results of jobs are kept (a job's second delivery finds its first answer).
task_ignore_result = False
task_track_started = True

imports = ('sio.celery.job',)

# Environs are JSON; nothing else is accepted from the broker.
task_serializer = 'json'
result_serializer = 'json'
accept_content = ['json']
result_accept_content = ['json']

task_queues = (Queue(QUEUE, Exchange(QUEUE, type='direct', durable=True), routing_key=QUEUE,
                     durable=True, queue_arguments={'x-max-priority': MAX_PRIORITY + 1}),)
task_queue_max_priority = MAX_PRIORITY + 1
task_default_priority = 4
task_default_queue = QUEUE
task_default_exchange = QUEUE
task_default_routing_key = QUEUE
task_create_missing_queues = False
task_default_delivery_mode = 'persistent'
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
    # AMQP: a publish returns once the broker has the job (on disk).
    'confirm_publish': True,
    # Redis: see the docstring.
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
    'result_expires': 'CELERY_TASK_RESULT_EXPIRES',
    'task_ignore_result': 'CELERY_IGNORE_RESULT',
    'task_track_started': 'CELERY_TRACK_STARTED',
    'task_queue_max_priority': 'CELERY_QUEUE_MAX_PRIORITY',
    'task_default_priority': 'CELERY_DEFAULT_PRIORITY',
    'task_default_exchange': 'CELERY_DEFAULT_EXCHANGE',
    'task_default_routing_key': 'CELERY_DEFAULT_ROUTING_KEY',
    'task_create_missing_queues': 'CELERY_CREATE_MISSING_QUEUES',
    'task_default_delivery_mode': 'CELERY_DEFAULT_DELIVERY_MODE',
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
__all__ = sorted(_OLD_NAMES.values()) + ['QUEUE', 'MAX_PRIORITY']


def settings() -> dict:
    """These settings under their Celery 5 names alone (what
    :func:`sio.celery.app.make_app` configures: a configuration that also
    holds the old names makes Celery warn once per setting)."""
    return {name: globals()[name] for name in _OLD_NAMES}
