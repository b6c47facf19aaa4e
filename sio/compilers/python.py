"""Python 3 with the system's interpreter: the source, checked.

The "compiled program" is the source itself, once ``python3 -m
py_compile`` has found it free of syntax errors (a syntax error is a
compilation error, as sinol-make and OIOIOI treat it); ``exec_info`` is
``{'mode': 'python'}``: the exec jobs run it with the same interpreter (see
:mod:`sio.executors.common`).
"""

from sio.compilers.common import Compiler, compiler_job
from sio.executors.common import PYTHON
from sio.workers import jobfiles
from sio.workers.jobdir import tempcwd


class PythonCompiler(Compiler):
    """Python 3: ``python3 -m py_compile``; the result is the source."""

    lang = 'py'
    source_extension = '.py'
    limit_address_space = False
    exec_info = {'mode': 'python'}

    def fetch_source(self) -> str:
        name = super().fetch_source()
        # Kept before the compiler runs: what is in the directory after it
        # may be what the compiler put there.
        fd = jobfiles.open_regular(tempcwd(name))
        with open(fd, 'rb') as f:
            self._source = f.read()
        return name

    def command(self, source, sources, extra_args):
        return [PYTHON, '-m', 'py_compile', source]

    def finish(self) -> None:
        with open(jobfiles.create_fresh(tempcwd(self.output_name())), 'wb') as out:
            out.write(self._source)


run_python = compiler_job(PythonCompiler)
