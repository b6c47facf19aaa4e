"""``sio-judge``: judge every solution of a task package on every test,
giving the scores sinol-make gives.

::

    sio-judge [TASK_DIR] [SOLUTION...] [--cpus N] [--mode supervised|jail|unsafe]
              [--json FILE] [--html FILE] [--apply-suggestion] [--fresh]
              [--fleet BROKER_URL --filetracker URL] [--no-test-checks]
    sio-judge ingen [TASK_DIR]     run prog/IDingen.* (writes in/)
    sio-judge inwer [TASK_DIR]     verify every in/ test with prog/IDinwer.*

Before judging, tests the generator (``prog/IDingen.*``) makes are made
(again when it changed), inputs are checked as sinol-make checks them, and
missing outputs are made by the model solution. A re-run judges only what
changed (``.cache/sio-judge/`` in the package; ``--fresh`` judges all).

Exit status: 0 when judged and the results match ``sinol_expected_scores``;
1 when they differ (or the config lists none: ``--apply-suggestion`` writes
them); 2 for bad arguments or a package that cannot be judged; 3 when a
checker, interactor, generator or the worker failed, so that some results
are not verdicts.
"""

import argparse
import logging
import os
import shutil
import sys
import tempfile

from sio.judge import config_edit, generate, report, testformat
from sio.judge import package as packages
from sio.judge.cache import Cache, file_digest
from sio.judge.judging import Judge, JudgeError, ToolError, default_mode, time_measure
from sio.judge.progress import Progress

EXIT_DIFFERENT, EXIT_BAD_INPUT, EXIT_TOOL_FAILED = 1, 2, 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='sio-judge', description='Judge the solutions of a sinol-style task package '
        '(prog/, in/, out/, config.yml) with sioworkers\' own jobs, scored as sinol-make '
        'scores them.',
        epilog='Also: sio-judge ingen [TASK_DIR], sio-judge inwer [TASK_DIR]. Exit status: '
               '0 results as expected, 1 different, 2 bad arguments or package, 3 a checker, '
               'interactor, generator or the worker failed.')
    parser.add_argument('task', nargs='?', default='.', help='the package (default: .)')
    parser.add_argument('solutions', nargs='*', help='solutions to judge (default: all in prog/)')
    parser.add_argument('--cpus', type=int, default=os.cpu_count() or 1,
                        help='tests run at once (default: the number of cores)')
    parser.add_argument('--mode', choices=['supervised', 'jail', 'unsafe'],
                        help='how solutions run (default: the jail when it works here, '
                             'else supervised)')
    parser.add_argument('--json', metavar='FILE', help='write the results as JSON')
    parser.add_argument('--html', metavar='FILE', help='write the results as an HTML report')
    parser.add_argument('--apply-suggestion', '--apply-suggestions', action='store_true',
                        dest='apply_suggestion',
                        help='write these results into config.yml as the expected scores')
    parser.add_argument('--fresh', action='store_true',
                        help='judge everything again (ignore .cache/sio-judge)')
    parser.add_argument('--no-test-checks', action='store_true',
                        help='judge even when inputs break sinol-make\'s format rules')
    parser.add_argument('--fleet', metavar='BROKER_URL',
                        help='run the tests on the Celery fleet behind this broker')
    parser.add_argument('--filetracker', metavar='URL',
                        help='the fleet\'s Filetracker server (default: $FILETRACKER_URL)')
    parser.add_argument('--no-color', action='store_true', help='no colours in the table')
    return parser


def _solution_paths(package, names: list[str]) -> list[str]:
    if not names:
        return package.solutions
    paths = []
    for name in names:
        candidates = [name, os.path.join(package.prog, name)]
        path = next((p for p in candidates if os.path.isfile(p)), None)
        if path is None:
            raise packages.PackageError(f'no solution {name!r} (looked in prog/)')
        path = os.path.abspath(path)
        package.compiler(path)  # a language it can judge, or a clear error
        paths.append(path)
    return paths


def _write(path: str, text: str, what: str) -> None:
    try:
        with open(path, 'w') as f:
            f.write(text)
    except OSError as exc:
        raise JudgeError(f'cannot write the {what} to {path}: {exc.strerror}') from None


def _check_writable(path: str | None, what: str) -> None:
    """Refuse a report path that cannot be written before judging, not
    after a long run."""
    if path is None:
        return
    directory = os.path.dirname(os.path.abspath(path)) or '.'
    if not os.path.isdir(directory) or not os.access(directory, os.W_OK) or \
            os.path.isdir(path) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        raise JudgeError(f'cannot write the {what} to {path}')


def _cache(package, args) -> Cache:
    return Cache(os.path.join(package.root, '.cache', 'sio-judge'), fresh=args.fresh)


def _generate(package, cache: Cache, work: str, say) -> packages.Package:
    """Run the generator when it (or what it uses in prog/) changed since
    its tests were made, or when some of them are gone."""
    if not package.ingen:
        return package
    prog_files = sorted(os.path.join(package.prog, n) for n in os.listdir(package.prog)
                        if os.path.isfile(os.path.join(package.prog, n)))
    digest = cache.digest('ingen', [(os.path.basename(p), file_digest(p)) for p in prog_files])
    made = cache.result(digest)
    in_dir = os.path.join(package.root, 'in')
    if made is not None and all(
            os.path.isfile(os.path.join(in_dir, name)) and
            file_digest(os.path.join(in_dir, name)) == sha for name, sha in made.items()):
        return package
    judge = Judge(package, work, 'unsafe', 1, cache=cache)
    try:
        names = judge.generate_tests()
    except generate.GeneratorError as exc:
        raise ToolError(str(exc)) from None
    say(f'generated {len(names)} tests with {os.path.basename(package.ingen)}')
    cache.keep_result(digest, {n: file_digest(os.path.join(in_dir, n)) for n in names})
    cache.save()
    return packages.load(package.root)


def _check_tests(package, allow_bad: bool, say) -> None:
    bad = [p for p in (testformat.problems(t.input) for t in package.tests) if p]
    for problem in (testformat.problems(t.output) for t in package.tests
                    if os.path.exists(t.output)):
        if problem:
            say(f'warning: {problem}')
    if bad and not allow_bad:
        raise JudgeError('inputs that break sinol-make\'s format rules:\n  ' +
                         '\n  '.join(bad) + '\n(--no-test-checks judges them anyway)')
    for problem in bad:
        say(f'warning: {problem}')


def _make_outputs(package, judge: Judge, cache: Cache, say) -> None:
    """Missing outputs from the model solution. One it made before is made
    again when its input or the model changed, unless someone edited it
    since (then it is theirs)."""
    made_key = cache.digest('outputs', package.root)
    made = cache.result(made_key) or {}
    if package.model and not package.interactive:
        model = file_digest(package.model)
        for test in package.tests:
            before = made.get(test.name)
            if before and os.path.exists(test.output) and \
                    before[2] == file_digest(test.output) and \
                    before[:2] != [model, file_digest(test.input)]:
                os.unlink(test.output)
    names = judge.make_outputs()
    if not names:
        return
    say(f'made {len(names)} outputs with the model solution')
    model = file_digest(package.model)
    for test in package.tests:
        if test.name in names:
            made[test.name] = [model, file_digest(test.input), file_digest(test.output)]
    cache.keep_result(made_key, made)
    cache.save()


def _run_helper(kind: str, argv: list[str]) -> int:
    task = argv[0] if argv else '.'
    package = packages.load(task)
    source = getattr(package, kind)
    if not source:
        raise packages.PackageError(f'no prog/{package.task_id}{kind}.* in {package.root}')
    work = tempfile.mkdtemp(prefix='sio-judge-')
    try:
        judge = Judge(package, work, 'unsafe', 1)
        if kind == 'ingen':
            try:
                names = judge.generate_tests()
            except generate.GeneratorError as exc:
                raise ToolError(str(exc)) from None
            print(f'ingen: wrote {len(names)} tests: {" ".join(names)}')
            return 0
        program, output = judge.compile(source, kind, defines=('-D_INWER',), use_extras=False)
        if program is None:
            raise JudgeError(f'{os.path.basename(source)} does not compile:\n{output}')
        from sio.workers.runner import run

        bad = 0
        for test in package.tests:
            env = run({'job_type': 'inwer', 'exe_file': program.path, 'use_filetracker': False,
                       'in_file': test.input, 'in_file_name': os.path.basename(test.input)})
            if env.get('result') != 'SUCCESS':
                raise ToolError(f'the verifier could not run on {test.name}: '
                                f'{env.get("exception")}')
            lines = [line.decode(errors='replace') for line in env.get('stdout') or []]
            ok = env.get('result_code') == 'OK'
            bad += not ok
            print(f'{test.name:<12} {"OK " if ok else "BAD"} {" ".join(lines)[:100]}')
        print(f'inwer: {len(package.tests) - bad} of {len(package.tests)} tests are well formed')
        return 0 if not bad else EXIT_DIFFERENT
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.WARNING, format='sio-judge: %(message)s')
    # The header of the table names the time measure; the jail's own note
    # on missing hardware counters would repeat it.
    logging.getLogger('sio.workers.executors.sio2jail').setLevel(logging.ERROR)
    try:
        if argv and argv[0] in ('ingen', 'inwer'):
            return _run_helper(argv[0], argv[1:])
        args = _parser().parse_intermixed_args(argv)
        if args.cpus < 1:
            _parser().error('--cpus must be at least 1')
        if args.filetracker and not args.fleet:
            _parser().error('--filetracker goes with --fleet')
        _check_writable(args.json, 'JSON report')
        _check_writable(args.html, 'HTML report')
        package = packages.load(args.task)
        solutions = _solution_paths(package, args.solutions)
        if not solutions:
            raise packages.PackageError(f'no solutions prog/{package.task_id}*.* to judge')
        mode = args.mode or default_mode()
        return _judge(package, solutions, mode, args)
    except packages.PackageError as exc:
        sys.stderr.write(f'sio-judge: {exc}\n')
        return EXIT_BAD_INPUT
    except ToolError as exc:
        sys.stderr.write(f'sio-judge: {exc}\n')
        return EXIT_TOOL_FAILED
    except (JudgeError, config_edit.ConfigEditError) as exc:
        sys.stderr.write(f'sio-judge: {exc}\n')
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        sys.stderr.write('sio-judge: interrupted\n')
        return 130


def _judge(package, solutions, mode, args) -> int:
    out = sys.stdout
    progress = Progress()
    cache = _cache(package, args)
    work = tempfile.mkdtemp(prefix='sio-judge-')
    jobs = None
    try:
        package = _generate(package, cache, work, progress.note)
        if not package.tests:
            raise packages.PackageError(
                f'no tests in {package.root}/in (named {package.task_id}<group><suffix>.in)'
                + ('' if package.ingen else f' and no prog/{package.task_id}ingen.* to '
                                            f'generate them'))
        _check_tests(package, args.no_test_checks, progress.note)
        if args.fleet:
            from sio.judge.fleet import FleetJobs

            jobs = FleetJobs(args.fleet, args.filetracker)
        measure = time_measure(mode)
        out.write(f'{package.task_id} ({package.contest.name} contest'
                  f'{", interactive" if package.interactive else ""}): {len(solutions)} '
                  f'solutions x {len(package.tests)} tests, mode {mode}'
                  f'{" on the fleet" if jobs else ""}, time: {measure}, {args.cpus} at once\n')
        out.flush()
        judge = Judge(package, work, mode, args.cpus, progress, cache=cache, jobs=jobs)
        _make_outputs(package, judge, cache, progress.note)
        results = judge.judge(solutions)
    finally:
        progress.finish()
        if jobs is not None:
            jobs.close()
        shutil.rmtree(work, ignore_errors=True)
    if judge.reused:
        out.write(f'({judge.reused} results unchanged since the last run, not run again)\n')
    colour = out.isatty() and not args.no_color and not os.environ.get('NO_COLOR')
    out.write(report.table(package, results, colour))
    data = report.as_dict(package, results, mode, measure)
    if args.json:
        _write(args.json, report.dump_json(data), 'JSON report')
    if args.html:
        _write(args.html, report.to_html(data), 'HTML report')
    errors = [(r.name, t) for r in results for t in r.errors]
    if errors:
        out.write('\nno verdict (a checker, interactor or the worker failed):\n')
        out.write(''.join(f'  {name} on {t.test}: {t.error}\n' for name, t in errors))
        return EXIT_TOOL_FAILED
    if args.apply_suggestion:
        config_path = os.path.join(package.root, 'config.yml')
        all_solutions = sorted(solutions) == sorted(package.solutions)
        scores = _merged_scores(package, results, all_solutions)
        config_edit.write_expected_scores(config_path, scores)
        out.write(f'expected scores written to {config_path}\n')
        return 0
    wrong = report.mismatches(package, results, sorted(solutions) == sorted(package.solutions))
    if wrong:
        out.write('\nresults differ from sinol_expected_scores:\n')
        out.write(''.join(f'  {line}\n' for line in wrong))
        out.write('(sio-judge --apply-suggestion makes these the expected scores)\n')
        return EXIT_DIFFERENT
    return 0


def _merged_scores(package, results, all_solutions: bool) -> dict:
    """The new expected scores: these results, and (when only some
    solutions were judged) the others' as they were."""
    fresh = report.expected_scores(package, results)
    if all_solutions:
        return fresh
    kept = package.expected_scores()
    for name, entry in kept.items():
        if name not in fresh:
            fresh[name] = entry
    return fresh


if __name__ == '__main__':
    sys.exit(main())
