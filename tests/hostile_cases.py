"""What every executor makes of each hostile program of tests/programs/:
one table for the in-process executors (test_hostile) and the bundled jail
(test_jail), so that a program is asked of every executor it concerns in
one row, and a verdict that differs between them stands side by side.

A row: the program, its limits (the executors' keyword options) and, for
each group of executors, what it must get: ``(code, result string)`` or
``(code, result string, stdout)``; a code or a string given as a tuple is
any of its alternatives, and a stdout of None is not checked.
"""

from conftest import matches

#: The executors: the in-process supervisor (static policy; with
#: ``allow_local_open``), DetailedUnprotectedExecutor, the bundled jail and
#: its real-time variant.
SUP, LOCAL, DET = 'supervised', 'supervised+local-open', 'detailed'
JAIL, RT = 'jail', 'realtime'
#: The two under the static policy, which give the same words.
STATIC = (SUP, JAIL)

OK = ('OK', 'ok')
MLE = ('MLE', 'memory limit exceeded')
TLE = ('TLE', 'time limit exceeded')
REAL_TLE = ('TLE', 'real time limit exceeded')
OLE = ('OLE', 'output limit exceeded')
NO_OPEN = ('RV', 'opening files is not allowed')


def forbidden(call: str) -> tuple:
    return ('RV', f'intercepted forbidden syscall {call}')


def signal(number: int) -> tuple:
    """A run killed by a signal, as the supervisor and the jail say it."""
    return ('RE', f'process exited due to signal {number}')


def detailed_signal(number: int) -> tuple:
    """The same, in upstream's words for DetailedUnprotectedExecutor."""
    return ('RE', f'program exited due to signal {number}')


MIB = 1 << 10  # KiB

TABLE = [
    ('hello', {}, {(SUP, DET, JAIL, RT): OK + (b'5\n',)}),
    ('fork_bomb', {}, {STATIC: forbidden('clone')}),
    ('setsid_orphan', {}, {STATIC: forbidden('clone')}),
    ('vfork_child', {}, {STATIC: forbidden('vfork')}),
    ('clone3_raw', {}, {STATIC: forbidden('clone3')}),
    ('threads', {}, {STATIC: forbidden('clone3'), DET: OK}),
    # Measured unprotected programs are trusted: a wrapper may exec (env,
    # nice, a script's last command), under memory tracing too.
    ('exec_shell', {}, {STATIC: forbidden('execve') + (b'',), DET: OK + (b'escaped\n',)}),
    ('exec_shell', {'mem_limit': 256 * MIB}, {DET: OK + (b'escaped\n',)}),
    ('socket_connect', {}, {STATIC: forbidden('socket')}),
    # The jail's root has no /etc/passwd of the host's.
    ('open_passwd', {}, {SUP: NO_OPEN + (b'',), LOCAL: OK + (b'EACCES\n',),
                         JAIL: OK + (b'ERR\n',)}),
    ('open_write_cwd', {}, {SUP: NO_OPEN, (LOCAL, JAIL): OK + (b'EPERM\n',)}),
    ('read_local', {}, {SUP: NO_OPEN, LOCAL: OK + (b'DATA local contents\n',)}),
    ('stat_hint', {}, {SUP: NO_OPEN, LOCAL: OK + (b'NOSTAT\n',)}),
    ('proc_self_maps', {}, {SUP: NO_OPEN, (LOCAL, JAIL): OK + (b'NOFILE\n',),
                            DET: OK + (b'READ\n',)}),
    ('int80', {}, {STATIC: forbidden('getpid (i386 ABI)')}),
    ('x32_syscall', {}, {STATIC: forbidden('getpid (x32 ABI)')}),
    ('ptrace_traceme', {}, {STATIC: forbidden('ptrace')}),
    ('ptrace_attach', {}, {STATIC: forbidden('ptrace')}),
    ('kill_everyone', {}, {STATIC: forbidden('kill')}),
    ('kill_parent', {}, {STATIC: forbidden('kill')}),
    ('raise_limits', {}, {STATIC: forbidden('prlimit64')}),
    ('prctl_call', {}, {STATIC: forbidden('prctl')}),
    ('personality_call', {}, {STATIC: forbidden('personality')}),
    ('setsid_call', {}, {STATIC: forbidden('setsid')}),
    ('chdir_root', {}, {STATIC: forbidden('chdir')}),
    # The default memory limit (64 MiB) of the checking executors.
    ('malloc_bomb', {}, {STATIC: MLE}),
    ('malloc_bomb', {'mem_limit': 64 * MIB}, {DET: MLE}),
    ('mmap_bomb', {}, {STATIC: MLE}),
    ('brk_bomb', {}, {STATIC: MLE}),
    ('mremap_grow', {}, {STATIC: MLE}),
    # Grown without a stop (break, small mappings), then one traced leap.
    ('creep_then_leap', {}, {STATIC: MLE}),
    ('creep_then_leap', {'mem_limit': 64 * MIB}, {DET: MLE}),
    # 30 MiB in each kind of memory: fits 36 MiB, not 27.
    ('bss_30m', {'mem_limit': 36 * MIB}, {STATIC: OK}),
    ('data_30m', {'mem_limit': 36 * MIB}, {STATIC: OK}),
    ('heap_30m', {'mem_limit': 36 * MIB}, {STATIC: OK}),
    ('stack_30m', {'mem_limit': 36 * MIB}, {STATIC: OK}),
    ('bss_30m', {'mem_limit': 27 * MIB}, {STATIC: MLE}),
    ('data_30m', {'mem_limit': 27 * MIB}, {STATIC: MLE}),
    ('heap_30m', {'mem_limit': 27 * MIB}, {(SUP, DET, JAIL): MLE}),
    # A stack that grows past the limit faults (SIGSEGV) where the kernel
    # refuses the growth before the tracer sees it.
    ('stack_30m', {'mem_limit': 27 * MIB},
     {STATIC: (('MLE', 'RE'), ('memory limit exceeded', 'process exited due to signal 11'))}),
    # The real-time jail measures the wall clock against the time limit.
    ('infinite_loop', {'time_limit': 500}, {(SUP, DET, JAIL): TLE, RT: REAL_TLE}),
    ('sleep_forever', {'time_limit': 500, 'real_time_limit': 800},
     {(SUP, DET, JAIL): REAL_TLE}),
    ('sleep_forever', {'time_limit': 500}, {RT: REAL_TLE}),
    ('output_flood', {'output_limit': 1 << 20}, {(SUP, DET, JAIL): OLE}),
    ('output_flood_ignoring_xfsz', {'output_limit': 1 << 20}, {STATIC: OLE}),
    ('sigabrt', {}, {STATIC: signal(6), DET: detailed_signal(6)}),
    ('sigfpe', {}, {STATIC: signal(8)}),
    ('sigsegv', {}, {STATIC: signal(11), DET: detailed_signal(11)}),
    ('exit42', {}, {(SUP, JAIL, RT): ('RE', 'runtime error 42'),
                    DET: ('RE', 'program exited with code 42')}),
    ('close_stdio', {}, {STATIC: OK + (b'',)}),
    ('stop_self', {}, {(SUP, DET, JAIL): OK + (b'continued\n',)}),
]


def cases(*executors: str) -> list[tuple]:
    """``(program, executor, limits, code, text, stdout)`` of every row for
    these executors, in the table's order."""
    out = []
    for program, limits, expected in TABLE:
        for group, verdict in expected.items():
            group = group if isinstance(group, tuple) else (group,)
            code, text, stdout = (verdict + (None,))[:3]
            out.extend((program, executor, limits, code, text, stdout)
                       for executor in group if executor in executors)
    return out


def check(renv: dict, out: bytes, code, text, stdout) -> None:
    """Assert that a run got a row's verdict (and its stdout, when given)."""
    assert matches(renv['result_code'], code), renv
    assert matches(renv['result_string'], text), renv
    if stdout is not None:
        assert out == stdout


def case_ids(table: list[tuple]) -> list[str]:
    return [f'{c[0]}-{c[1]}-{i}' for i, c in enumerate(table)]
