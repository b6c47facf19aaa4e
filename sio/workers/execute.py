"""``execute()``: run a command through the shell, the simple way."""

from sio.workers.executors import ExecError, UnprotectedExecutor, noquote

__all__ = ['ExecError', 'execute', 'noquote']


def execute(command: list | str, **kwargs) -> tuple[int, bytes | list[bytes]]:
    """Run ``command`` with :class:`UnprotectedExecutor`, capturing stdout.

    Takes the executor options (``env``, ``stdin``, ``split_lines``,
    ``ignore_errors``, limits...). Returns ``(return_code, stdout)``;
    raises :class:`ExecError` on a non-zero exit unless errors are ignored.
    """
    kwargs.setdefault('capture_output', True)
    renv = UnprotectedExecutor()(command, **kwargs)
    return renv['return_code'], renv.get('stdout', b'')
