"""Executors that run programs with a sandbox: tools shipped in it
(SandboxExecutor), or inside it as the root directory (PRootExecutor)."""

import os

from sio.workers.executors import native
from sio.workers.executors.base import BaseExecutor, Invocation
from sio.workers.executors.results import system_error, to_renv
from sio.workers.sandbox import SandboxError, get_sandbox


class _WithSandbox(BaseExecutor):
    def __init__(self, sandbox: str):
        self.sandbox = get_sandbox(sandbox)
        self._depth = 0

    def __enter__(self):
        self.sandbox.__enter__()
        self._depth += 1
        return self

    def __exit__(self, *exc_info):
        self._depth -= 1
        self.sandbox.__exit__(*exc_info)

    def __call__(self, command, **kwargs):
        if self._depth:
            return super().__call__(command, **kwargs)
        with self:
            return super().__call__(command, **kwargs)

    @property
    def rpath(self) -> str:
        """The sandbox's directory (while entered)."""
        return self.sandbox.path


class SandboxExecutor(_WithSandbox):
    """Runs programs shipped in a sandbox, without isolation: a command
    whose first word has no slash is looked up in the sandbox's ``bin/`` and
    root first. renv: ``return_code``, ``real_time_used``."""

    def _execute(self, call: Invocation) -> dict:
        command = call.command
        if isinstance(command, list) and command and '/' not in str(command[0]):
            for where in ('bin', ''):
                candidate = os.path.join(self.sandbox.path, where, str(command[0]))
                if os.access(candidate, os.X_OK):
                    command = [candidate] + list(command[1:])
                    break
        call.command = command
        program = native.plan(call, shell='when-needed')
        outcome = native.outcome_of(native.run(call, program, trace=False))
        return {'return_code': outcome.return_code, 'real_time_used': outcome.wall_ms}


class PRootExecutor(_WithSandbox):
    """Runs the command with the sandbox's directory as its root, through
    PRoot (Debian's ``proot``, or ``proot-sandbox``'s ``bin/proot``): the
    job directory is visible as itself and as ``/tmp``, and it is the
    working directory. Options: ``binds`` (list of ``(outside, inside)``)
    and ``proot_options`` (extra proot arguments). PRoot is ptrace-based
    path translation, not a security boundary: untrusted checkers run in
    the jail instead. renv: ``return_code``, ``real_time_used``,
    ``result_code``, ``result_string``."""

    extra_options = ('binds', 'proot_options')

    def _proot(self) -> str:
        try:
            with get_sandbox('proot-sandbox') as proot_sandbox:
                path = os.path.join(proot_sandbox.path, 'bin', 'proot')
        except SandboxError:  # fall back to the system's proot
            path = None
        if path and os.access(path, os.X_OK):
            return path
        from shutil import which

        system = which('proot')
        if not system:
            raise FileNotFoundError('proot is not available (install Debian\'s proot)')
        return system

    def _sandbox_binds(self) -> list[str]:
        """Host paths a sandbox asks to see (its ``PROOT_BINDS`` file, one
        absolute path a line): how a locally served sandbox such as
        ``compiler-java.1_8`` borrows the machine's runtime."""
        try:
            with open(os.path.join(self.sandbox.path, 'PROOT_BINDS')) as f:
                lines = [line.strip() for line in f]
        except FileNotFoundError:
            return []
        return [line for line in lines if line.startswith('/') and os.path.exists(line)]

    def _execute(self, call: Invocation) -> dict:
        try:
            proot = self._proot()
        except FileNotFoundError as exc:
            return to_renv(system_error(str(exc)))
        cwd = os.path.realpath(call.cwd)
        args = [proot, '-r', self.sandbox.path, '-b', cwd, '-b', f'{cwd}:/tmp', '-w', cwd]
        for path in self._sandbox_binds():
            args += ['-b', path]
        for outside, inside in call.options.get('binds') or ():
            args += ['-b', f'{outside}:{inside}']
        args += list(call.options.get('proot_options') or ())
        inner = native.plan(call, shell='never')
        args += [inner.path] + inner.argv[1:]
        proot_call = Invocation(command=args, env=call.env, stdin=call.stdin,
                                stdout=call.stdout, stderr=call.stderr, limits=call.limits,
                                cwd=call.cwd, options={})
        program = native.Program(proot, args, inner.redirects, inner.stderr_to_stdout)
        # PRoot traces the program itself, so it cannot be traced here.
        outcome = native.outcome_of(native.run(proot_call, program, trace=False))
        renv = to_renv(outcome)
        keep = ('return_code', 'real_time_used', 'result_code', 'result_string',
                'exit_signal')
        return {k: renv[k] for k in keep if k in renv}


class PRoot32BitExecutor(PRootExecutor):
    """Upstream's PRoot executor for 32-bit programs. An x86-64 kernel runs
    i386 programs itself (IA-32 emulation), so this is PRootExecutor; the
    name is kept for code written against upstream."""


class CompoundSandboxExecutor(BaseExecutor):
    """Another executor, with a sandbox held open alongside (its ``path``
    usable in the commands)."""

    def __init__(self, executor: BaseExecutor, sandbox: str):
        self.executor = executor
        self.sandbox = get_sandbox(sandbox)

    def __enter__(self):
        self.sandbox.__enter__()
        self.executor.__enter__()
        return self

    def __exit__(self, *exc_info):
        try:
            self.executor.__exit__(*exc_info)
        finally:
            self.sandbox.__exit__(*exc_info)

    @property
    def rpath(self) -> str:
        return self.sandbox.path

    def __call__(self, command, **kwargs):
        return self.executor(command, **kwargs)
