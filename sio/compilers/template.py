"""A template for writing compilers: the ``foo`` compiler.

"Foo" programs are shell scripts. Compiling one means checking its syntax
with ``sh -n`` and handing it on as an executable. A real compiler differs
only in :meth:`FooCompiler.command` (and maybe :meth:`~Compiler.finish`):
copy this file, change the class, and register the function in the
``sio.compilers`` entry-point group of your package::

    [project.entry-points."sio.compilers"]
    foo = "sio.compilers.template:run_foo"
"""

import os
import shutil

from sio.compilers.common import Compiler, compiler_job
from sio.workers.jobdir import tempcwd


class FooCompiler(Compiler):
    """The template compiler: ``sh -n`` as the syntax check of a script."""

    lang = 'foo'
    source_extension = '.foo'

    def command(self, source, sources, extra_args):
        return ['sh', '-n', *extra_args, source]

    def finish(self):
        out = tempcwd(self.output_name())
        shutil.copyfile(tempcwd(self.source_name()), out)
        os.chmod(out, 0o755)


run_foo = compiler_job(FooCompiler)
