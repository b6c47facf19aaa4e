"""What the exec-family jobs share.

Keys read:

``exe_file``
    the program (for ``exec_info`` mode ``output-only``: the output itself);
``in_file``
    the input; a zip holding exactly one file is unpacked;
``out_file``, ``upload_out``
    where to store the program's output (to the remote Filetracker store
    only with ``upload_out``);
``exec_mem_limit``, ``exec_time_limit``, ``exec_real_time_limit``, ``exec_out_limit``
    limits of the run: KiB, ms, ms, bytes (executor defaults otherwise);
``exec_info``
    ``{'mode': 'executable'}`` (default), ``'java'``, ``'python'`` (a Python 3
    source, run by the host's ``python3``; under the checking executors in
    :class:`~sio.workers.executors.PythonJail`) or ``'output-only'``;
``extra_execution_files``
    {name: Filetracker path} put next to the program, only for executors
    that let programs open files (``unsafe-exec``) and for Python programs
    (their modules);
``check_output``, ``hint_file``, ``chk_file``, ``untrusted_checker``, ``checker_*``
    output checking (see :mod:`sio.executors.checker`), done only when the
    run was OK.

Keys written: ``result_code``, ``result_string``, ``time_used``, ``mem_used``,
``num_syscalls``, ``return_code``, ``real_time_used``, ``exit_signal`` (if a
signal ended the program), ``result_percentage`` after checking.
"""

import logging
import os
import re
import shutil
import zipfile

from sio.executors import checker
from sio.workers import Failure, ft, jobfiles
from sio.workers import limits as run_limits
from sio.workers.environ import require
from sio.workers.executors.native import check_fake_time
from sio.workers.executors.sio2jail import jvm_executor_for, python_executor_for, runs_jvm
from sio.workers.java import java_command as launch_java
from sio.workers.jobdir import tempcwd

logger = logging.getLogger(__name__)

RENV_KEYS = ('result_code', 'result_string', 'time_used', 'mem_used', 'num_syscalls',
             'return_code', 'real_time_used', 'exit_signal')
_SAFE_NAME = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.+-]*$')


def fetch_input(environ: dict) -> str:
    """Download ``in_file`` into the job directory, unpacking a zip that
    holds one file. Returns the path of the input."""
    path = ft.download(environ, 'in_file', 'in.raw', add_to_cache=True)
    if not zipfile.is_zipfile(path):
        os.rename(path, tempcwd('in'))
        return tempcwd('in')
    with zipfile.ZipFile(path) as archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) != 1:
            raise Failure(f"environ['in_file'] is a zip with {len(members)} files; "
                          f'it must hold exactly one')
        with archive.open(members[0]) as src, open(tempcwd('in'), 'wb') as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    os.unlink(path)
    return tempcwd('in')


def fetch_extra_files(environ: dict, allowed: bool) -> None:
    files = environ.get('extra_execution_files') or {}
    if not files:
        return
    if not isinstance(files, dict):
        raise Failure("environ['extra_execution_files'] must be a dict {name: path}")
    if not allowed:
        # The program could not open them anyway; do not expose them.
        logger.warning('extra_execution_files ignored: this executor does not let '
                       'programs open files')
        return
    for name, path in files.items():
        if not _SAFE_NAME.match(name) or name in ('in', 'out', 'exe', 'hint', 'chk'):
            raise Failure(f'bad name in extra_execution_files: {name!r}')
        ft.download_path(environ, path, name)


def exec_mode(environ: dict) -> dict:
    info = environ.get('exec_info') or {'mode': 'executable'}
    if not isinstance(info, dict) or info.get('mode', 'executable') not in (
            'executable', 'java', 'python', 'output-only'):
        raise Failure(f"environ['exec_info'] has an unknown mode: {info!r}")
    return info


def limits_of(environ: dict) -> run_limits.RunLimits:
    """An exec-family job's limits (absent ones left to the executor); a
    bad value is a Failure naming its environ key."""
    return run_limits.given(environ, 'exec')


def open_output() -> int:
    """The program's stdout: a fresh file it can only append to, so it
    cannot seek back over what it wrote."""
    return os.open(tempcwd('out'), os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND
                   | os.O_CLOEXEC, 0o644)


class Runner:
    """How one exec-family job runs a program; subclasses pick the
    executor and say which modes and files it supports. Java runs under
    the unprotected executors as they are and, for the checking ones
    (Supervised, the jails), in :class:`~sio.workers.executors.JvmJail`."""

    allows_extra_files = False
    allows_java = False

    def executor(self, environ: dict):
        raise NotImplementedError

    def command(self, environ: dict, info: dict,
                limits: run_limits.RunLimits) -> tuple[list[str], int | None]:
        """The program's command and, for Java, what its JVM may hold (see
        :func:`sio.workers.java.java_command`: the memory limit is its
        heap's, in the command)."""
        if info.get('mode') == 'java':
            if not (self.allows_java or runs_jvm(self.executor(environ))):
                raise Failure("exec_info mode 'java' cannot run under this executor")
            return launch_java(tempcwd('exe.jar'),
                               limits.mem_limit_kib or run_limits.DEFAULTS['exec'].mem_limit_kib,
                               info.get('main_class'))
        if info.get('mode') == 'python':
            return python_command(), None
        return [tempcwd('exe')], None

    def run_program(self, environ: dict, command: list[str], limits: run_limits.RunLimits,
                    jvm_memory_kib: int | None = None) -> dict:
        """Run ``command`` on the job's input; ``jvm_memory_kib``: what a
        JVM it starts may hold (see :func:`sio.workers.java.java_command`)."""
        executor = self.executor(environ)
        options = {}
        if command[0] == 'java' and runs_jvm(executor):
            executor = jvm_executor_for(executor)
            if jvm_memory_kib:
                options['cgroup_memory_limit'] = jvm_memory_kib
        elif command[0] == PYTHON and runs_jvm(executor):
            executor = python_executor_for(executor)
        options.update(fake_time_of(environ, executor))
        with open(tempcwd('in'), 'rb') as stdin:
            out = open_output()
            try:
                with os.fdopen(out, 'wb', closefd=False) as stdout:
                    renv = executor(command, stdin=stdin, stdout=stdout,
                                    ignore_errors=True, limits=limits, **options)
                return keep_output(renv, out)
            finally:
                os.close(out)


def fake_time_of(environ: dict, executor) -> dict:
    """``fake_time`` as upstream passes it on (its jail's ``--fake-time``:
    ``off``, ``random``, ``zero``), for executors that can fake the clock;
    others ignore it, as upstream's do."""
    value = environ.get('fake_time', 'off')
    try:
        check_fake_time(value)
    except ValueError as exc:
        raise Failure(f"environ['fake_time']: {exc}") from None
    if value == 'off' or 'fake_time' not in getattr(executor, 'extra_options', ()):
        return {}
    return {'fake_time': value}


def keep_output(renv: dict, out_fd: int) -> dict:
    """The run's renv, unless the program put something else where its
    output file was (a link to a file of the host's, a FIFO that would
    hang whoever reads it, another file): then RV, and an empty output in
    its place, so that nothing after the run reads what the program made."""
    what = jobfiles.replacement(out_fd, tempcwd('out'))
    if what is None:
        return renv
    os.close(jobfiles.create_fresh(tempcwd('out')))
    return dict(renv, result_code='RV', result_string='output file removed'
                if what == 'nothing' else f'output file replaced by {what}')


class ExecutorRunner(Runner):
    """A Runner around an executor instance, for callers that pass one as
    upstream's ``run(environ, executor)`` takes it: extra files only for
    the unprotected executors, as upstream's file runners allow."""

    def __init__(self, executor):
        from sio.workers.executors import DetailedUnprotectedExecutor, UnprotectedExecutor

        self._executor = executor
        unprotected = isinstance(executor, (UnprotectedExecutor, DetailedUnprotectedExecutor))
        self.allows_extra_files = self.allows_java = unprotected

    def executor(self, environ: dict):
        return self._executor


#: The interpreter of ``exec_info`` mode ``python``: the system's (the
#: jail sees the system directories, not a user's own installations).
PYTHON = shutil.which('python3', path='/usr/local/bin:/usr/bin:/bin') or '/usr/bin/python3'


def python_command() -> list[str]:
    return [PYTHON, tempcwd('exe.py')]


def run(environ: dict, executor, use_sandboxes: bool = True) -> dict:
    """Run ``exe_file`` on ``in_file`` with ``executor`` (a :class:`Runner`,
    or, as upstream takes it, an executor instance) and fill the environ.
    ``use_sandboxes`` (overridden by ``environ['use_sandboxes']``) is whether
    an untrusted checker is isolated.

    For ``exec_info`` mode ``output-only`` nothing runs: ``executor`` may be
    ``None``, ``in_file`` may be absent (the checker then sees an empty
    input) and, without an ``out_file``, the output stays where it is
    (``out_file`` is set to ``exe_file``).
    """
    info = exec_mode(environ)
    if info.get('mode') == 'output-only':
        renv = _take_output(environ)
    else:
        if executor is None:
            raise Failure('common.run needs an executor to run the program')
        runner = executor if isinstance(executor, Runner) else ExecutorRunner(executor)
        require(environ, 'in_file')
        fetch_input(environ)
        exe = {'java': 'exe.jar', 'python': 'exe.py'}.get(info.get('mode'), 'exe')
        ft.download(environ, 'exe_file', exe, add_to_cache=True)
        jobfiles.chmod_regular(tempcwd(exe), 0o555)
        if info.get('mode', 'executable') == 'executable':
            refusal = _refuse_program(runner, tempcwd(exe))
            if refusal is not None:
                return _fill(environ, refusal, use_sandboxes)
        fetch_extra_files(environ, runner.allows_extra_files or info.get('mode') == 'python')
        limits = limits_of(environ)
        command, jvm_memory_kib = runner.command(environ, info, limits)
        if info.get('mode') == 'java':
            # As upstream, the memory limit is the heap's (-Xmx in the
            # command): a program needing more heap dies with
            # OutOfMemoryError (RE); ``mem_used`` is the JVM's peak RSS.
            renv = runner.run_program(environ, command, limits.replace(mem_limit_kib=None),
                                      jvm_memory_kib)
        elif info.get('mode') == 'python' and not runs_jvm(runner.executor(environ)):
            # An address-space limit would stop the interpreter's start-up;
            # the unprotected executors have no other memory bound.
            renv = runner.run_program(environ, command, limits.replace(mem_limit_kib=None))
        else:
            renv = runner.run_program(environ, command, limits)
    return _fill(environ, renv, use_sandboxes)


def _fill(environ: dict, renv: dict, use_sandboxes: bool) -> dict:
    """The run's result into the environ; the output stored and checked."""
    for key in RENV_KEYS:
        environ.pop(key, None)
        if key in renv:
            environ[key] = renv[key]
    for key in ('time_measure', 'memory_bound'):
        if key in renv:
            environ[key] = renv[key]
    # As upstream: every result has a percentage, the checker's when the
    # output is checked, (0, 1) otherwise.
    environ['result_percentage'] = renv.get('result_percentage', (0, 1))
    if environ.get('out_file') and environ['out_file'] != environ.get('exe_file'):
        ft.upload(environ, 'out_file', 'out', **upload_options(environ))
    if environ.get('check_output') and environ['result_code'] == 'OK':
        try:
            checker.run(environ, use_sandboxes=environ.get('use_sandboxes', use_sandboxes))
        except Exception:
            # The job fails; no verdict of the run may look like a pass.
            environ['result_code'] = 'SE'
            environ['result_string'] = 'output checking failed'
            environ.pop('result_percentage', None)
            raise
    return environ


def _refuse_program(runner: Runner, path: str) -> dict | None:
    """A result saying why the program cannot run under this runner's
    executor, when that is clear before running it (instead of a
    misleading verdict from the sandbox)."""
    from sio.workers.executors import Sio2JailExecutor, SupervisedExecutor
    from sio.workers.executors.elf import program_kind

    kind = program_kind(path)
    if kind == 'jar':
        raise Failure("environ['exe_file'] is a Java archive (JAR): pass the compile "
                      "job's exec_info ({'mode': 'java', ...}) to run it")
    if kind == 'dynamic' and isinstance(runner.executor({}),
                                        (SupervisedExecutor, Sio2JailExecutor)):
        open(tempcwd('out'), 'wb').close()  # no output
        return {'result_code': 'RV', 'time_used': 0, 'mem_used': 0, 'num_syscalls': 0,
                'return_code': 0, 'real_time_used': 0,
                'result_string': 'the program is dynamically linked; this executor runs '
                                 'statically linked programs only (compile with -static)'}
    return None


def _take_output(environ: dict) -> dict:
    """An output-only submission: its "program" is the output itself."""
    if environ.get('in_file'):
        fetch_input(environ)
    else:
        open(tempcwd('in'), 'wb').close()
    ft.download(environ, 'exe_file', 'out')
    environ.setdefault('out_file', environ['exe_file'])
    return {'result_code': 'OK', 'result_string': 'ok', 'time_used': 0, 'mem_used': 0,
            'num_syscalls': 0, 'return_code': 0, 'real_time_used': 0}


def upload_options(environ: dict) -> dict:
    if environ.get('use_filetracker', True) is False:
        return {}
    return {'to_remote_store': bool(environ.get('upload_out', False))}
