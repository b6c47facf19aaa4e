#!/usr/bin/env python3
"""Judge the bundled demo task (examples/pairsum) with sio-batch.

Every step is one sio-batch job, as a contest system would send it (files
are local paths: use_filetracker is False): compile the checker, the test
generator, the input verifier and three solutions; generate the big tests
with ingen; verify every input with inwer; run every solution on every test
under SupervisedExecutor (exec job) with the custom checker. Prints one line
per run and the full environ of one run.

Then the same runs of the model solution go through the fleet: a private
RabbitMQ node, Redis for results and one sio-celery-worker, all on
127.0.0.1, fed by sio.celery.submit; everything is stopped at the end.
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
SIO_BATCH = os.path.join(os.path.dirname(sys.executable), 'sio-batch')
SOLUTIONS = ['pairsum', 'pairsum_wrong', 'pairsum_slow']
TESTS = ['1', '2', '3', '4', '5']


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


def fleet_demo(programs: dict, tests_dir: str, work: str) -> None:
    from sio.celery.submit import submit

    print('\nThe model solution again, through the fleet (RabbitMQ, Redis, one worker):')
    with local_fleet(work) as app:
        pending = [submit({'job_type': 'exec', 'exe_file': programs['pairsum'],
                           'in_file': os.path.join(tests_dir, test + '.in'),
                           'hint_file': os.path.join(tests_dir, test + '.out'),
                           'chk_file': programs['chk'], 'check_output': True,
                           'exec_time_limit': 1000, 'exec_mem_limit': 64 * 1024,
                           'use_filetracker': False}, app=app, wait=False)
                   for test in TESTS]
        for test, job in zip(TESTS, pending, strict=True):
            env = job.get(timeout=120)
            print(f'{"pairsum":<14} {test:>4}  {env["result_code"]:<6} '
                  f'{env["time_used"]:>6}ms  worker {env["worker"]}', flush=True)


def main() -> int:
    work = tempfile.mkdtemp(prefix='sio-demo-')
    try:
        print('compiling the checker, generator, verifier and solutions...', flush=True)
        programs = {name: compile_program(name, work)
                    for name in ['chk', 'gen', 'inwer'] + SOLUTIONS}

        tests_dir = os.path.join(work, 'tests')
        shutil.copytree(os.path.join(TASK, 'tests'), tests_dir)
        gen = sio_batch({'job_type': 'ingen', 'exe_file': programs['gen'],
                         're_string': r'^\d+\.(in|out)$', 'collected_files_path': tests_dir})
        print(f'ingen: {" ".join(gen["stdout"])}; collected {sorted(gen["collected_files"])}')

        for test in TESTS:
            check = sio_batch({'job_type': 'inwer', 'exe_file': programs['inwer'],
                               'in_file': os.path.join(tests_dir, test + '.in'),
                               'in_file_name': test + '.in'})
            if check['result_code'] != 'OK':
                sys.exit(f'test {test} is malformed: {check["stdout"]}')
        print(f'inwer: all {len(TESTS)} inputs are well formed\n')

        print(f'{"solution":<14} {"test":>4}  {"result":<6} {"time":>8} {"memory":>10}  '
              f'{"score":>5}  comment')
        shown = None
        for solution in SOLUTIONS:
            for test in TESTS:
                env = sio_batch({
                    'job_type': 'exec', 'exe_file': programs[solution],
                    'in_file': os.path.join(tests_dir, test + '.in'),
                    'hint_file': os.path.join(tests_dir, test + '.out'),
                    'chk_file': programs['chk'], 'check_output': True,
                    'exec_time_limit': 1000, 'exec_mem_limit': 64 * 1024,
                })
                num, den = env.get('result_percentage') or (0, 1)
                print(f'{solution:<14} {test:>4}  {env["result_code"]:<6} '
                      f'{env["time_used"]:>6}ms {env["mem_used"]:>7}KiB  '
                      f'{num / den:>5.0f}  {env["result_string"]}', flush=True)
                if solution == 'pairsum' and test == '4':
                    shown = env
        print('\nThe environ of one run (pairsum on test 4):')
        print(json.dumps(shown, indent=2, sort_keys=True))
        if '--no-fleet' not in sys.argv:
            fleet_demo(programs, tests_dir, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
