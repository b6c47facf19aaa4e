#!/usr/bin/env python3
"""Judge the bundled demo task (examples/pairsum, a sinol-style package).

1. sio-judge, on a scratch copy of the package: the generator writes the
   big tests, the verifier checks every input, the model solution makes
   the missing outputs, and the three solutions are judged on every test
   with the package's checker; the table and the expected scores.
2. One exec job through sio-batch, as a contest system sends it, and its
   full result environ.
3. The model solution again through the fleet: a private RabbitMQ node,
   Redis for results and one sio-celery-worker, all on 127.0.0.1, fed by
   sio.celery.submit; everything is stopped at the end.
"""

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TASK = os.path.join(HERE, 'pairsum')
BIN = os.path.dirname(sys.executable)
SIO_BATCH = os.path.join(BIN, 'sio-batch')
TESTS = ['pai0', 'pai1a', 'pai1b', 'pai2a', 'pai2b']


def sio_batch(environ: dict) -> dict:
    environ = dict(environ, use_filetracker=False)
    proc = subprocess.run([SIO_BATCH], env=dict(os.environ, environ=json.dumps(environ)),
                          capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f'sio-batch failed: {proc.stderr.strip()}')
    lines = proc.stdout.splitlines()
    result = json.loads(lines[1])
    if result['result'] != 'SUCCESS':
        sys.exit(f'{environ["job_type"]} job failed: {result["exception"]}')
    return result


def compile_program(name: str, work: str) -> str:
    out = os.path.join(work, name)
    source = os.path.join(TASK, 'prog', name + '.cpp')
    env = sio_batch({'job_type': 'compile', 'source_file': source, 'out_file': out,
                     'compiler': 'system-g++'})
    if env['result_code'] != 'OK':
        sys.exit(f'{name} does not compile:\n{env["compiler_output"]}')
    return out


@contextlib.contextmanager
def local_fleet(work: str):
    """RabbitMQ, Redis and one worker on 127.0.0.1; yields a Celery app."""
    from sio.celery.app import make_app
    from sio.celery.localnode import free_port, rabbitmq_node

    bin_dir = os.path.dirname(sys.executable)
    with rabbitmq_node(os.path.join(work, 'rabbitmq')) as broker:
        redis_port = free_port()
        redis = subprocess.Popen(['redis-server', '--port', str(redis_port), '--bind',
                                  '127.0.0.1', '--save', '', '--appendonly', 'no'],
                                 stdout=subprocess.DEVNULL, start_new_session=True)
        results = f'redis://127.0.0.1:{redis_port}/0'
        log = open(os.path.join(work, 'worker.log'), 'wb')
        worker = subprocess.Popen(
            [os.path.join(bin_dir, 'sio-celery-worker'), broker.url, '--concurrency', '2',
             '-l', 'WARNING', '--without-gossip', '--without-mingle'],
            env=dict(os.environ, CELERY_RESULT_BACKEND=results,
                     SIO_MACHINE_DIR=os.path.join(work, 'machine')),
            stdout=log, stderr=log, start_new_session=True)
        app = make_app(broker.url)
        app.conf.result_backend = results
        try:
            deadline = time.monotonic() + 60
            while not app.control.ping(timeout=0.5):
                if time.monotonic() > deadline or worker.poll() is not None:
                    sys.exit(f'the worker did not start; see {log.name}')
            yield app
        finally:
            for proc in (worker, redis):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, 15)
                proc.wait(timeout=30)
            log.close()
            app.close()


def fleet_demo(programs: dict, in_dir: str, out_dir: str, work: str) -> None:
    from sio.celery.submit import submit

    print('\nThe model solution again, through the fleet (RabbitMQ, Redis, one worker):')
    with local_fleet(work) as app:
        pending = [submit({'job_type': 'exec', 'exe_file': programs['pai'],
                           'in_file': os.path.join(in_dir, test + '.in'),
                           'hint_file': os.path.join(out_dir, test + '.out'),
                           'chk_file': programs['paichk'], 'check_output': True,
                           'exec_time_limit': 1000, 'exec_mem_limit': 64 * 1024,
                           'use_filetracker': False}, app=app, wait=False)
                   for test in TESTS]
        for test, job in zip(TESTS, pending, strict=True):
            env = job.get(timeout=120)
            print(f'{"pai.cpp":<10} {test:<6} {env["result_code"]:<4} '
                  f'{env["time_used"]:>6}ms  worker {env["worker"]}', flush=True)


def main() -> int:
    work = tempfile.mkdtemp(prefix='sio-demo-')
    try:
        package = os.path.join(work, 'pairsum')
        shutil.copytree(TASK, package)
        for step in (['ingen', package], ['inwer', package]):
            subprocess.run([os.path.join(BIN, 'sio-judge'), *step], check=True)
        print(flush=True)
        judged = subprocess.run([os.path.join(BIN, 'sio-judge'), package, '--no-color'])
        if judged.returncode != 0:
            sys.exit('sio-judge did not get the expected scores')

        programs = {name: compile_program(name, work) for name in ['pai', 'paichk']}
        env = sio_batch({'job_type': 'exec', 'exe_file': programs['pai'],
                         'in_file': os.path.join(package, 'in', 'pai2a.in'),
                         'hint_file': os.path.join(package, 'out', 'pai2a.out'),
                         'chk_file': programs['paichk'], 'check_output': True,
                         'exec_time_limit': 1000, 'exec_mem_limit': 64 * 1024})
        print('\nOne exec job through sio-batch (pai.cpp on pai2a), its environ:')
        print(json.dumps(env, indent=2, sort_keys=True))
        if '--no-fleet' not in sys.argv:
            fleet_demo(programs, os.path.join(package, 'in'), os.path.join(package, 'out'),
                       work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
