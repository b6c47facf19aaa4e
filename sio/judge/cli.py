"""``sio-judge``: judge every solution of a task package on every test.

::

    sio-judge [TASK_DIR] [SOLUTION...] [--cpus N] [--mode supervised|jail|unsafe]
              [--json FILE] [--html FILE] [--apply-suggestion]
    sio-judge ingen [TASK_DIR]     run prog/IDingen.* (writes in/)
    sio-judge inwer [TASK_DIR]     verify every in/ test with prog/IDinwer.*

Exit status: 0 when judged (and the results match ``sinol_expected_scores``
when the package lists them), 1 on a mismatch, 2 for bad arguments or a
package that cannot be judged.
"""

import argparse
import os
import shutil
import sys
import tempfile

import yaml

from sio.judge import package as packages
from sio.judge import report
from sio.judge.judging import Judge, JudgeError, default_mode, time_measure
from sio.judge.progress import Progress


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='sio-judge', description='Judge the solutions of a sinol-style task package '
        '(prog/, in/, out/, config.yml) with sioworkers\' own jobs.',
        epilog='Also: sio-judge ingen [TASK_DIR], sio-judge inwer [TASK_DIR].')
    parser.add_argument('task', nargs='?', default='.', help='the package (default: .)')
    parser.add_argument('solutions', nargs='*', help='solutions to judge (default: all in prog/)')
    parser.add_argument('--cpus', type=int, default=os.cpu_count() or 1,
                        help='tests run at once (default: the number of cores)')
    parser.add_argument('--mode', choices=['supervised', 'jail', 'unsafe'],
                        help='how solutions run (default: the jail when it works here, '
                             'else supervised)')
    parser.add_argument('--json', metavar='FILE', help='write the results as JSON')
    parser.add_argument('--html', metavar='FILE', help='write the results as an HTML report')
    parser.add_argument('--apply-suggestion', action='store_true',
                        help='write these results into config.yml as the expected scores')
    parser.add_argument('--no-color', action='store_true', help='no colours in the table')
    return parser


def _solution_paths(package, names: list[str]) -> list[str]:
    if not names:
        return package.solutions
    paths = []
    for name in names:
        candidates = [name, os.path.join(package.root, 'prog', name)]
        path = next((p for p in candidates if os.path.isfile(p)), None)
        if path is None:
            raise packages.PackageError(f'no solution {name!r} (looked in prog/)')
        paths.append(os.path.abspath(path))
    return paths


def _run_helper(kind: str, argv: list[str]) -> int:
    task = argv[0] if argv else '.'
    package = packages.load(task)
    source = getattr(package, kind)
    if not source:
        raise packages.PackageError(f'no prog/{package.task_id}{kind}.* in {package.root}')
    work = tempfile.mkdtemp(prefix='sio-judge-')
    try:
        judge = Judge(package, work, 'unsafe', 1)
        program, _, output = judge.compile(source, kind)
        if program is None:
            raise JudgeError(f'{os.path.basename(source)} does not compile:\n{output}')
        from sio.workers.runner import run

        if kind == 'ingen':
            in_dir = os.path.join(package.root, 'in')
            os.makedirs(in_dir, exist_ok=True)
            env = run({'job_type': 'ingen', 'exe_file': program, 'use_filetracker': False,
                       're_string': r'.*\.in$', 'collected_files_path': in_dir})
            if env.get('result') != 'SUCCESS' or env.get('return_code') != 0:
                raise JudgeError(f'the generator failed: {env.get("exception") or env}')
            print(f'ingen: wrote {len(env["collected_files"])} tests: '
                  f'{" ".join(sorted(env["collected_files"]))}')
            return 0
        package = packages.load(task)  # the tests as they are now
        bad = 0
        for test in package.tests:
            env = run({'job_type': 'inwer', 'exe_file': program, 'use_filetracker': False,
                       'in_file': test.input, 'in_file_name': os.path.basename(test.input)})
            lines = [line.decode(errors='replace') for line in env.get('stdout') or []]
            ok = env.get('result_code') == 'OK'
            bad += not ok
            print(f'{test.name:<12} {"OK " if ok else "BAD"} {" ".join(lines)[:100]}')
        print(f'inwer: {len(package.tests) - bad} of {len(package.tests)} tests are well formed')
        return 0 if not bad else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in ('ingen', 'inwer'):
            return _run_helper(argv[0], argv[1:])
        args = _parser().parse_args(argv)
        if args.cpus < 1:
            _parser().error('--cpus must be at least 1')
        package = packages.load(args.task)
        if not package.tests:
            raise packages.PackageError(f'no tests in {package.root}/in '
                                        f'(named {package.task_id}<group><letter>.in)')
        solutions = _solution_paths(package, args.solutions)
        if not solutions:
            raise packages.PackageError(f'no solutions prog/{package.task_id}*.* to judge')
        mode = args.mode or default_mode()
        return _judge(package, solutions, mode, args)
    except (packages.PackageError, JudgeError) as exc:
        sys.stderr.write(f'sio-judge: {exc}\n')
        return 2
    except KeyboardInterrupt:
        sys.stderr.write('sio-judge: interrupted\n')
        return 130


def _judge(package, solutions, mode, args) -> int:
    measure = time_measure(mode)
    # Wall-clock jobs run alone per machine; these are CPU-timed, so they
    # may share it: --cpus of them at once.
    cpus = args.cpus
    out = sys.stdout
    colour = out.isatty() and not args.no_color and not os.environ.get('NO_COLOR')
    out.write(f'{package.task_id}: {len(solutions)} solutions x {len(package.tests)} tests, '
              f'mode {mode}, time: {measure}, {cpus} at once\n')
    out.flush()
    progress = Progress()
    work = tempfile.mkdtemp(prefix='sio-judge-')
    try:
        judge = Judge(package, work, mode, cpus, progress)
        made = judge.make_outputs()
        if made:
            progress.note(f'made {len(made)} outputs with the model solution')
        results = judge.judge(solutions)
    finally:
        progress.finish()
        shutil.rmtree(work, ignore_errors=True)
    data = report.as_dict(package, results, mode, measure)
    out.write(report.table(package, results, colour))
    if args.json:
        with open(args.json, 'w') as f:
            f.write(report.dump_json(data))
    if args.html:
        with open(args.html, 'w') as f:
            f.write(report.to_html(data))
    if args.apply_suggestion:
        config_path = os.path.join(package.root, 'config.yml')
        config = dict(package.config)
        config['sinol_expected_scores'] = report.expected_scores(package, results)
        with open(config_path, 'w') as f:
            yaml.safe_dump(config, f, sort_keys=False)
        out.write(f'expected scores written to {config_path}\n')
        return 0
    wrong = report.mismatches(package, results)
    if wrong:
        out.write('\nresults differ from sinol_expected_scores:\n')
        out.write(''.join(f'  {line}\n' for line in wrong))
        out.write('(sio-judge --apply-suggestion makes these the expected scores)\n')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
