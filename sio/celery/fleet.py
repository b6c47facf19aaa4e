"""``sio-fleet status [--json] [--broker URL]``: the operator's view of the
fleet: every worker with the jobs it runs, and how many jobs wait.

It asks the workers over the broker (Celery's remote control, 2 s at
most) and the broker for the queue's length. The same information, more
raw: ``celery -A sio.celery.app:make_app inspect active`` (``reserved``,
``stats``), ``celery ... events`` for a live view, and
``rabbitmqctl list_queues name messages consumers``.
"""

import argparse
import json
import sys
import time

from sio.celery.default_config import QUEUE


def queue_length(app) -> dict:
    """{'waiting': jobs not yet taken, 'consumers': workers listening}."""
    with app.connection_for_read() as conn:
        declared = conn.default_channel.queue_declare(queue=QUEUE, passive=True)
    return {'waiting': declared.message_count, 'consumers': declared.consumer_count}


def workers(app, expected: int | None = None, timeout: float = 2.0) -> list[dict]:
    """One dict per live worker: name, pid, slots, running jobs, reserved.
    ``expected`` (how many workers consume the queue) lets each question
    return as soon as that many answered."""
    inspect = app.control.inspect(timeout=timeout, limit=expected or None)
    stats = inspect.stats() or {}
    active = inspect.active() or {}
    reserved = inspect.reserved() or {}
    now = time.time()
    out = []
    for name in sorted(set(stats) | set(active)):
        info = stats.get(name, {})
        jobs = []
        for task in active.get(name, []):
            env = (task.get('args') or [{}])[0] if task.get('args') else {}
            started = task.get('time_start')
            jobs.append({'task_id': task.get('id'),
                         'job_type': env.get('job_type') if isinstance(env, dict) else None,
                         'running_s': round(now - started, 1) if started else None})
        out.append({'name': name, 'pid': info.get('pid'),
                    'slots': (info.get('pool') or {}).get('max-concurrency'),
                    'running': jobs, 'reserved': len(reserved.get(name, []))})
    return out


def status(app) -> dict:
    queue = queue_length(app)
    return {'queue': QUEUE, **queue, 'workers': workers(app, queue['consumers'])}


def format_status(data: dict) -> str:
    lines = [f"queue {data['queue']}: {data['waiting']} waiting, "
             f"{data['consumers']} consumers, {len(data['workers'])} workers"]
    for w in data['workers']:
        running = ', '.join(f"{j['job_type']} {j['task_id']} ({j['running_s']} s)"
                            for j in w['running']) or 'idle'
        lines.append(f"  {w['name']} pid {w['pid']} slots {w['slots']}: {running}")
    return '\n'.join(lines) + '\n'


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog='sio-fleet', description='The state of the sioworkers fleet.',
        epilog='Environment: CELERY_BROKER_URL (default amqp://guest:guest@127.0.0.1:5672//).')
    sub = parser.add_subparsers(dest='command', required=True)
    show = sub.add_parser('status', help='workers, their running jobs, the queue length')
    show.add_argument('--json', action='store_true', help='print JSON')
    show.add_argument('--broker', help='the broker URL')
    args = parser.parse_args(argv)
    from sio.celery.app import make_app, unanswered
    from sio.celery.worker import BadBrokerURL, check_broker_url

    app = make_app(args.broker)
    try:
        check_broker_url(app.conf.broker_url)
    except BadBrokerURL as exc:
        sys.stderr.write(f'sio-fleet: {exc}\n')
        return 2
    # Asked once, briefly: a broker that is down is one line, not a
    # traceback after kombu's retries.
    problem = unanswered(app, timeout=2.0, results=False)
    if problem is None:
        try:
            data = status(app)
        except Exception as exc:  # kombu's errors: lost in between
            problem = f'the broker stopped answering: {exc}'
    if problem:
        sys.stderr.write(f'sio-fleet: {problem}\n')
        return 1
    sys.stdout.write(json.dumps(data, indent=2) + '\n' if args.json else format_status(data))
    return 0


if __name__ == '__main__':
    sys.exit(main())
