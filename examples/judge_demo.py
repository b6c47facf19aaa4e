#!/usr/bin/env python3
"""Judge the bundled demo task (examples/pairsum) with sio-batch.

Every step is one sio-batch job, as a contest system would send it (files
are local paths: use_filetracker is False): compile the checker, the test
generator, the input verifier and three solutions; generate the big tests
with ingen; verify every input with inwer; run every solution on every test
under SupervisedExecutor (exec job) with the custom checker. Prints one line
per run and the full environ of one run.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

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
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
