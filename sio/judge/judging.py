"""Judging a package: make what is missing (tests from the generator,
outputs from the model solution), compile, run every solution on every test
with the jobs a contest system sends, and score them as sinol-make does.

A solution's test gets sinol-make's status (``OK``, ``WA``, ``TL``, ``ML``,
``RE``); what sioworkers said is kept beside it (``RV`` and ``OLE`` are
``RE`` to sinol-make). A failure of anything but the solution (the checker,
the interactor, the worker) is never a verdict: the test is an *error*, the
run says what failed, and sio-judge exits with status 3.
"""

import concurrent.futures
import logging
import os
import shutil
import time
from dataclasses import dataclass, field

from sio.judge import contest as contests
from sio.judge.cache import Cache, file_digest
from sio.judge.package import Package, PackageError, Test

logger = logging.getLogger(__name__)

#: --mode -> the exec jobs that run the solutions (normal, interactive).
MODE_JOBS = {'supervised': ('cpu-time-exec', 'interactive-exec'),
             'jail': ('sio2jail-exec', 'sio2jail-interactive-exec'),
             'unsafe': ('unsafe-exec', 'unsafe-interactive-exec')}
#: sioworkers' verdicts as sinol-make names them.
STATUS_OF = {'OK': 'OK', 'WA': 'WA', 'TLE': 'TL', 'MLE': 'ML', 'RE': 'RE', 'RV': 'RE',
             'OLE': 'RE'}
#: How long the model solution may take making an output, and what it may
#: hold (ms, KiB): sinol-make makes outputs without the task's limits.
TOOL_TIME_LIMIT_MS = 60_000
TOOL_MEM_LIMIT_KIB = 4 << 20


class JudgeError(RuntimeError):
    """Judging cannot go on (the message says why): exit status 2."""


class ToolError(JudgeError):
    """A checker, interactor, generator or model solution failed, or the
    worker could not run a job: no verdict can be trusted (exit status 3)."""


@dataclass
class Program:
    path: str
    exec_info: dict
    digest: str


@dataclass
class TestResult:
    test: str
    group: int
    status: str          # sinol-make's: OK WA TL ML RE; 'error' when no verdict
    verdict: str         # sioworkers' result_code
    time_ms: int
    memory_kib: int
    time_limit_ms: int
    memory_limit_kib: int
    points: float        # the checker's, 0..100
    comment: str = ''
    error: str | None = None

    def outcome(self) -> contests.TestOutcome:
        return contests.TestOutcome(self.status, self.points, self.time_ms, self.time_limit_ms)


@dataclass
class SolutionResult:
    name: str
    compile_error: str | None = None
    tests: dict[str, TestResult] = field(default_factory=dict)
    groups: dict[int, contests.GroupResult] = field(default_factory=dict)
    total: int = 0

    @property
    def errors(self) -> list[TestResult]:
        return [t for t in self.tests.values() if t.error is not None]


def default_mode() -> str:
    """The jail when it works on this machine, else SupervisedExecutor."""
    import subprocess

    from sio.workers.executors.sio2jail import jail_binary

    try:
        binary = jail_binary(None)
    except Exception:
        return 'supervised'
    check = subprocess.run([binary, '--check'], capture_output=True, text=True)
    return 'jail' if check.returncode == 0 else 'supervised'


def time_measure(mode: str) -> str:
    if mode == 'jail':
        from sio.workers.executors.sio2jail import instruction_counting

        counting, _ = instruction_counting()
        return 'instructions (sio2jail, hardware counters)' if counting else \
            'CPU time, user + system (sio2jail; no hardware counters here)'
    if mode == 'unsafe':
        return 'CPU time, user + system (unprotected)'
    return 'CPU time, user + system (SupervisedExecutor)'


class LocalJobs:
    """Jobs run in this process (``sio.workers.runner.run``), files by path,
    ``cpus`` of them at once."""

    name = 'local'

    def __init__(self, cpus: int = 1):
        self.cpus = max(1, cpus)

    def put(self, path: str) -> str:
        return os.path.abspath(path)

    def run(self, env: dict) -> dict:
        from sio.workers.runner import run

        return run(dict(env, use_filetracker=False))

    def run_many(self, envs: list[dict]):
        """(index, result environ) of each of ``envs``, as they finish."""
        with concurrent.futures.ThreadPoolExecutor(self.cpus) as pool:
            futures = {pool.submit(self.run, env): i for i, env in enumerate(envs)}
            for future in concurrent.futures.as_completed(futures):
                yield futures[future], future.result()


class Judge:
    def __init__(self, package: Package, work: str, mode: str, cpus: int, progress=None,
                 cache: Cache | None = None, jobs=None):
        from sio.judge.progress import Progress

        self.package = package
        self.work = work
        self.mode = mode
        self.cpus = max(1, cpus)
        self.progress = progress or Progress(enabled=False)
        self.cache = cache or Cache(None)
        self.jobs = jobs or LocalJobs(self.cpus)
        self.reused = 0

    # -- compiling -----------------------------------------------------------

    def compile(self, source: str, purpose: str, defines: tuple = (),
                use_extras: bool = True) -> tuple[Program | None, str]:
        """(program or None, compiler output). The rest of prog/ is there
        (headers, ``extra_compilation_files``), the source under its own
        name; a compiled program is reused while none of that changes."""
        package = self.package
        language = package.language(source)
        compiler = package.compiler(source)
        args = list(defines)
        extra_files = {os.path.basename(p): p for p in package.headers()}
        if use_extras:
            args = package.compilation_args(language) + args
            extra_files.update({os.path.basename(p): p for p in package.compilation_files()})
        sources = [a for a in args if os.path.isfile(a)]
        flags = [a for a in args if not os.path.isfile(a)]
        digest = self.cache.digest('compile', compiler, flags, os.path.basename(source),
                                   file_digest(source),
                                   sorted((n, file_digest(p)) for n, p in extra_files.items()),
                                   sorted((os.path.basename(p), file_digest(p)) for p in sources))
        cached = self.cache.program(digest)
        if cached is not None:
            path, exec_info = cached
            return Program(path, exec_info, digest), ''
        out = os.path.join(self.work, f'{purpose}-{os.path.basename(source)}.e')
        env = {'job_type': 'compile', 'source_file': source, 'out_file': out,
               'compiler': compiler, 'source_name': os.path.basename(source),
               'compilation_time_limit': 60_000, 'compilation_real_time_limit': 120_000,
               'use_filetracker': False}
        if flags:
            env['extra_compilation_args'] = flags
        if sources:
            env['additional_sources'] = sources
        extra_files = {n: p for n, p in extra_files.items()
                       if p not in sources and n != os.path.basename(source)}
        if extra_files:
            env['extra_files'] = extra_files
        from sio.workers.runner import run

        result = run(env)
        if result.get('result') != 'SUCCESS':
            raise ToolError(f'cannot compile {os.path.basename(source)}: '
                            f'{result.get("exception")}')
        if result.get('result_code') != 'OK':
            return None, result.get('compiler_output') or 'compilation failed'
        path = self.cache.keep_program(digest, out, result['exec_info'])
        return Program(path, result['exec_info'], digest), result.get('compiler_output', '')

    def _helper(self, source: str | None, what: str) -> Program | None:
        if not source:
            return None
        program, output = self.compile(source, what, use_extras=False)
        if program is None:
            raise JudgeError(f'the {what} ({os.path.basename(source)}) does not compile:\n'
                             f'{output}')
        return program

    # -- making tests and outputs --------------------------------------------

    def generate_tests(self) -> list[str]:
        """Run prog/IDingen.* (a shell one first, as SIO2 does) and put the
        tests it writes into in/; the names written."""
        package = self.package
        if not package.ingen:
            raise JudgeError(f'no prog/{package.task_id}ingen.* to generate tests with')
        from sio.judge import generate

        if package.ingen.endswith('.sh'):
            return generate.run_shell_ingen(package)
        program, output = self.compile(package.ingen, 'ingen', defines=('-D_INGEN',),
                                       use_extras=False)
        if program is None:
            raise JudgeError(f'the generator ({os.path.basename(package.ingen)}) does not '
                             f'compile:\n{output}')
        return generate.run_ingen(package, program.path, program.exec_info)

    def make_outputs(self) -> list[str]:
        """Outputs of the tests that have none, from the model solution
        (none for interactive tasks, which have no outputs)."""
        package = self.package
        if package.interactive:
            return []
        missing = [t for t in package.tests if not os.path.exists(t.output)]
        if not missing:
            return []
        if not package.model:
            raise JudgeError(f'{len(missing)} tests have no output and there is no model '
                             f'solution prog/{package.task_id}.* to make them')
        program, output = self.compile(package.model, 'model')
        if program is None:
            raise JudgeError(f'the model solution does not compile:\n{output}')
        os.makedirs(os.path.dirname(missing[0].output), exist_ok=True)
        made = []
        language = package.language(package.model)
        for test in missing:
            scratch = os.path.join(self.work, 'model-' + test.name + '.out')
            env = {'job_type': 'unsafe-exec', 'exe_file': program.path, 'in_file': test.input,
                   'out_file': scratch, 'exec_info': program.exec_info,
                   'exec_time_limit': TOOL_TIME_LIMIT_MS,
                   'exec_mem_limit': TOOL_MEM_LIMIT_KIB,
                   **self._execution_files(language)}
            from sio.workers.runner import run

            result = run(dict(env, use_filetracker=False))
            if result.get('result') != 'SUCCESS' or result.get('result_code') != 'OK':
                raise ToolError(f'the model solution fails on {test.name}: '
                                f'{result.get("result_code")} '
                                f'{result.get("result_string") or result.get("exception", "")}')
            shutil.copyfile(scratch, test.output)
            made.append(test.name)
        return made

    def _execution_files(self, language: str) -> dict:
        files = self.package.execution_files(language)
        if not files:
            return {}
        return {'extra_execution_files': {os.path.basename(p): self.jobs.put(p) for p in files}}

    # -- judging -------------------------------------------------------------

    def judge(self, solutions: list[str]) -> list[SolutionResult]:
        package = self.package
        checker = self._helper(package.checker, 'checker')
        interactor = self._helper(package.interactor, 'interactor')
        results, programs = [], {}
        for source in solutions:
            name = os.path.basename(source)
            self.progress.note(f'compiling {name}')
            program, output = self.compile(source, 'solution')
            result = SolutionResult(name)
            if program is None:
                result.compile_error = output
            else:
                programs[name] = (program, package.language(source))
            results.append(result)
        by_name = {r.name: r for r in results}
        runs = [(name, test) for name in programs for test in package.tests]
        started = time.monotonic()
        todo = []
        for name, test in runs:
            program, language = programs[name]
            env, key = self._exec_env(program, language, test, checker, interactor)
            cached = self.cache.result(key)
            if cached is not None:
                by_name[name].tests[test.name] = TestResult(**cached)
                self.reused += 1
            else:
                todo.append((name, test, env, key))
        done = len(runs) - len(todo)
        for index, env in self.jobs.run_many([env for _, _, env, _ in todo]):
            name, test, _, key = todo[index]
            outcome = _test_result(test, env)
            by_name[name].tests[test.name] = outcome
            if outcome.error is None:
                self.cache.keep_result(key, outcome.__dict__)
            done += 1
            self.progress.tick(done, len(runs), time.monotonic() - started,
                               f'{name} {test.name} {outcome.status}')
        self.cache.save()
        for result in results:
            self.score(result)
        return results

    def _exec_env(self, program: Program, language: str, test: Test, checker: Program | None,
                  interactor: Program | None) -> tuple[dict, str]:
        package = self.package
        normal_job, interactive_job = MODE_JOBS[self.mode]
        time_limit = package.time_limit(test, language)
        memory_limit = package.memory_limit(test, language)
        env = {'job_type': interactive_job if interactor else normal_job,
               'exe_file': self.jobs.put(program.path), 'in_file': self.jobs.put(test.input),
               'exec_info': program.exec_info, 'exec_time_limit': time_limit,
               'exec_mem_limit': memory_limit,
               'fake_time': package.config.get('fake_time', 'off'),
               **self._execution_files(language)}
        if interactor:
            env.update(interactor_file=self.jobs.put(interactor.path),
                       num_processes=package.config.get('num_processes', 1))
        else:
            env.update(check_output=True, hint_file=self.jobs.put(test.output))
            if checker:
                env['chk_file'] = self.jobs.put(checker.path)
        key = self.cache.digest(
            'run', self.mode, program.digest, file_digest(test.input),
            None if interactor else file_digest(test.output),
            checker.digest if checker else None, interactor.digest if interactor else None,
            time_limit, memory_limit, env['fake_time'], env.get('num_processes'),
            sorted((n, file_digest(p)) for n, p in
                   ((os.path.basename(p), p) for p in package.execution_files(language))))
        return env, key

    def score(self, result: SolutionResult) -> None:
        """Groups' statuses and points and the total, by the contest type
        and ``subtask_dependencies``."""
        package = self.package
        scores = package.scores()
        if result.compile_error is not None:
            result.groups = {g: contests.GroupResult('CE', 0) for g in scores}
            result.total = package.contest.total({g: 0 for g in scores})
            return
        by_group: dict[int, list] = {}
        for test in result.tests.values():
            by_group.setdefault(test.group, []).append(test)
        for group, points in scores.items():
            own = by_group.get(group, [])
            if not own or any(t.error is not None for t in own):
                result.groups[group] = contests.GroupResult('error', 0)
                continue
            prerequisites = [t.outcome() for g in package.dependencies.get(group, [])
                             for t in by_group.get(g, [])]
            result.groups[group] = contests.group_result(
                package.contest, [t.outcome() for t in own], prerequisites, points)
        result.total = package.contest.total({g: r.points for g, r in result.groups.items()})


def _test_result(test: Test, env: dict) -> TestResult:
    limits = (int(env.get('exec_time_limit') or 0), int(env.get('exec_mem_limit') or 0))
    if env.get('result') != 'SUCCESS':
        return TestResult(test.name, test.group, 'error', 'SE', 0, 0, *limits, 0.0,
                          error=_one_line(env.get('exception') or 'the job failed'))
    code = env.get('result_code', 'SE')
    time_ms, memory = int(env.get('time_used') or 0), int(env.get('mem_used') or 0)
    comment = str(env.get('result_string') or '')[:200]
    if code not in STATUS_OF:
        return TestResult(test.name, test.group, 'error', code, time_ms, memory, *limits, 0.0,
                          comment, error=f'{code}: {comment}' or code)
    points = 0.0
    if code == 'OK':
        num, den = env.get('result_percentage') or (100, 1)
        points = min(100.0, num / den) if den else 0.0
    return TestResult(test.name, test.group, STATUS_OF[code], code, time_ms, memory, *limits,
                      points, comment)


def _one_line(text: str) -> str:
    lines = [line for line in str(text).strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ''


__all__ = ['Judge', 'JudgeError', 'PackageError', 'SolutionResult', 'TestResult', 'ToolError',
           'default_mode', 'time_measure']
