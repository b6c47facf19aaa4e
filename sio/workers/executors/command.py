"""Commands as executors receive them: a list (items quoted for the shell
unless they are :class:`noquote`) or a string.

:func:`parse` decides whether a command can run directly (an argv and at
most simple redirections, which the executor opens itself) or needs
``/bin/sh -c``.
"""

import os
import re
import shlex
import shutil
from dataclasses import dataclass, field


class noquote(str):
    """A piece of a command passed to the shell as is (``>``, ``|``...)."""

    __slots__ = ()


# Redirections executors can apply themselves: operator -> (fd, os.open flags).
REDIRECTIONS = {
    '<': (0, os.O_RDONLY),
    '>': (1, os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
    '>>': (1, os.O_WRONLY | os.O_CREAT | os.O_APPEND),
    '1>': (1, os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
    '2>': (2, os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
    '2>>': (2, os.O_WRONLY | os.O_CREAT | os.O_APPEND),
}

_SHELL_SYNTAX = re.compile(r'[|&;<>()$`\\"\'*?\[\]#~=%{}!\n]')


@dataclass
class ParsedCommand:
    """``argv`` (None when only a shell can run it), redirections by fd
    ({fd: (path, flags)}), ``stderr_to_stdout`` for ``2>&1``, and the whole
    command as one shell string (``shell``, made when asked for)."""

    command: list | str
    argv: list[str] | None = None
    redirects: dict[int, tuple[str, int]] = field(default_factory=dict)
    stderr_to_stdout: bool = False

    @property
    def shell(self) -> str:
        return to_shell(self.command)


def to_shell(command: list | str) -> str:
    """The command as a shell string, quoting what is not a noquote."""
    if isinstance(command, str):
        return command
    return ' '.join(item if isinstance(item, noquote) else shlex.quote(str(item))
                    for item in command)


def parse(command: list | str) -> ParsedCommand:
    """Split a command into an argv and redirections when no shell is needed."""
    if isinstance(command, (list, tuple)) and not command:
        raise ValueError('empty command')
    if isinstance(command, str):
        if not command.strip():
            raise ValueError('empty command')
        if _SHELL_SYNTAX.search(command):
            return ParsedCommand(command)
        return ParsedCommand(command, argv=command.split())
    if not isinstance(command, (list, tuple)):
        raise TypeError(f'command must be a list or a string, not {type(command).__name__}')
    for item in command:
        if isinstance(item, noquote):
            break
    else:  # words alone, the common case
        return ParsedCommand(command, argv=[str(item) for item in command])
    argv: list[str] = []
    parsed = ParsedCommand(command)
    items = list(command)
    i = 0
    while i < len(items):
        item = items[i]
        if isinstance(item, noquote):
            op = item.strip()
            if op == '2>&1':
                parsed.stderr_to_stdout = True
                i += 1
                continue
            if op in REDIRECTIONS and i + 1 < len(items) \
                    and not isinstance(items[i + 1], noquote):
                fd, flags = REDIRECTIONS[op]
                parsed.redirects[fd] = (str(items[i + 1]), flags)
                i += 2
                continue
            return ParsedCommand(command)  # pipes, globs, &&...: the shell's job
        argv.append(str(item))
        i += 1
    if not argv:
        return ParsedCommand(command)
    parsed.argv = argv
    return parsed


def resolve_program(name: str, env: dict[bytes, bytes]) -> str | None:
    """Path execve should get for argv[0]: as given when it has a slash
    (relative to the working directory), else found on the PATH."""
    if '/' in name:
        return name
    path = env.get(b'PATH')
    return shutil.which(name, path=path.decode() if path is not None else os.defpath)
