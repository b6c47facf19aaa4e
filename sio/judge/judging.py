"""Judging a package: compile, make missing outputs, run every solution on
every test (the same jobs a contest system sends, run in this process),
score the groups."""

import concurrent.futures
import os
import shutil
import time
from dataclasses import dataclass, field

from sio.judge.package import Package, Test, language_of
from sio.workers.runner import run

#: --mode -> the exec job that runs the solutions.
MODE_JOBS = {'supervised': 'exec', 'jail': 'sio2jail-exec', 'unsafe': 'unsafe-exec'}


class JudgeError(RuntimeError):
    """Judging cannot go on (the message says why)."""


@dataclass
class TestResult:
    test: str
    group: int
    verdict: str
    time_ms: int
    memory_kib: int
    time_limit_ms: int
    fraction: float      # of the test's points, 0..1
    comment: str = ''


@dataclass
class SolutionResult:
    name: str
    compile_error: str | None = None
    tests: dict[str, TestResult] = field(default_factory=dict)
    points: dict[int, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.points.values())

    def group_status(self, group: int) -> str:
        """The worst verdict of the group (OK when every test is)."""
        if self.compile_error is not None:
            return 'CE'
        order = ['SE', 'RV', 'RE', 'MLE', 'OLE', 'TLE', 'WA', 'OK']
        verdicts = [r.verdict for r in self.tests.values() if r.group == group]
        return min(verdicts, key=order.index) if verdicts else 'OK'


def default_mode() -> str:
    """The jail when it works on this machine, else SupervisedExecutor."""
    from sio.workers.executors.sio2jail import jail_binary

    try:
        binary = jail_binary(None)
    except Exception:
        return 'supervised'
    import subprocess

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


class Judge:
    def __init__(self, package: Package, work: str, mode: str, cpus: int, progress=None):
        from sio.judge.progress import Progress

        self.package = package
        self.work = work
        self.mode = mode
        self.cpus = max(1, cpus)
        self.progress = progress or Progress(enabled=False)

    def compile(self, source: str, name: str) -> tuple[str | None, dict | None, str]:
        """(program path or None, exec_info, compiler output)."""
        language = language_of(source)
        out = os.path.join(self.work, name)
        config = self.package.config
        env = {'job_type': 'compile', 'source_file': source, 'out_file': out,
               'use_filetracker': False, 'compilation_time_limit': 60_000,
               'compilation_real_time_limit': 120_000}
        args = (config.get('extra_compilation_args') or {}).get(language)
        if args:
            env['extra_compilation_args'] = args
        extra = config.get('extra_compilation_files') or []
        if extra:
            env['extra_files'] = {f: os.path.join(self.package.root, 'prog', f) for f in extra}
        result = run(env)
        if result.get('result') != 'SUCCESS':
            raise JudgeError(f'cannot compile {source}: {result.get("exception")}')
        if result.get('result_code') != 'OK':
            return None, None, result.get('compiler_output', '')
        return out, result.get('exec_info'), result.get('compiler_output', '')

    def checker(self) -> str | None:
        if not self.package.checker:
            return None
        path, _, output = self.compile(self.package.checker, 'checker')
        if path is None:
            raise JudgeError(f'the checker does not compile:\n{output}')
        return path

    def make_outputs(self) -> list[str]:
        """Outputs of the tests that have none, from the model solution."""
        missing = [t for t in self.package.tests if not os.path.exists(t.output)]
        if not missing:
            return []
        if not self.package.model:
            raise JudgeError(f'{len(missing)} tests have no output and there is no model '
                             f'solution prog/{self.package.task_id}.* to make them')
        program, info, output = self.compile(self.package.model, 'model')
        if program is None:
            raise JudgeError(f'the model solution does not compile:\n{output}')
        os.makedirs(os.path.dirname(missing[0].output), exist_ok=True)
        made = []
        for test in missing:
            scratch = os.path.join(self.work, 'model-' + test.name + '.out')
            env = self._exec_env(program, info, test, 'unsafe', 'cpp', check=False)
            env['out_file'] = scratch
            env['exec_time_limit'] = 60_000
            result = run(env)
            if result.get('result') != 'SUCCESS' or result.get('result_code') != 'OK':
                raise JudgeError(f'the model solution fails on {test.name}: '
                                 f'{result.get("result_code")} {result.get("result_string", "")}')
            shutil.copyfile(scratch, test.output)
            made.append(test.name)
        return made

    def _exec_env(self, program, info, test: Test, mode, language, check=True,
                  checker=None) -> dict:
        env = {'job_type': MODE_JOBS[mode], 'exe_file': program, 'in_file': test.input,
               'use_filetracker': False,
               'exec_time_limit': self.package.time_limit(test.group, language),
               'exec_mem_limit': self.package.memory_limit(test.group, language)}
        if info:
            env['exec_info'] = info
        if check:
            env.update(check_output=True, hint_file=test.output)
            if checker:
                env['chk_file'] = checker
        return env

    def judge(self, solutions: list[str]) -> list[SolutionResult]:
        checker = self.checker()
        results = []
        programs = {}
        for source in solutions:
            name = os.path.basename(source)
            self.progress.note(f'compiling {name}')
            program, info, output = self.compile(source, 'sol-' + name)
            result = SolutionResult(name)
            if program is None:
                result.compile_error = output or 'compilation failed'
            else:
                programs[name] = (program, info, language_of(source))
            results.append(result)
        by_name = {r.name: r for r in results}
        runs = [(name, test) for name in programs for test in self.package.tests]
        total = len(runs)
        started = time.monotonic()
        done = 0

        def one(name, test):
            program, info, language = programs[name]
            env = self._exec_env(program, info, test, self.mode, language, checker=checker)
            return name, test, run(env)

        with concurrent.futures.ThreadPoolExecutor(self.cpus) as pool:
            for future in concurrent.futures.as_completed(
                    [pool.submit(one, name, test) for name, test in runs]):
                name, test, env = future.result()
                by_name[name].tests[test.name] = _test_result(test, env)
                done += 1
                self.progress.tick(done, total, time.monotonic() - started,
                                   f'{name} {test.name} {by_name[name].tests[test.name].verdict}')
        scores = self.package.scores()
        for result in results:
            if result.compile_error is not None:
                result.points = {g: 0 for g in scores}
                continue
            for group, points in scores.items():
                tests = [r for r in result.tests.values() if r.group == group]
                fraction = min((r.fraction for r in tests), default=0.0)
                result.points[group] = int(points * fraction + 1e-9)
        return results


def _test_result(test: Test, env: dict) -> TestResult:
    if env.get('result') != 'SUCCESS':
        return TestResult(test.name, test.group, 'SE', 0, 0, 0, 0.0,
                          str(env.get('exception', ''))[:200])
    code = env.get('result_code', 'SE')
    num, den = env.get('result_percentage') or (0, 1)
    fraction = (num / den / 100.0) if code == 'OK' and den else 0.0
    return TestResult(test.name, test.group, code, int(env.get('time_used') or 0),
                      int(env.get('mem_used') or 0), int(env.get('exec_time_limit') or 0),
                      min(1.0, fraction), str(env.get('result_string', ''))[:200])
