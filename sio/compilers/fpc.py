"""Free Pascal with the system's fpc: static, optimized, stripped."""

from sio.compilers.common import Compiler, compiler_job


class PascalCompiler(Compiler):
    """Free Pascal: ``fpc -O2 -XS -Xs``."""

    lang = 'pas'
    source_extension = '.pas'

    def command(self, source, sources, extra_args):
        # fpc compiles the units a program uses itself: additional sources
        # only need to be present.
        return ['fpc', '-O2', '-XS', '-Xs', '-vew', *extra_args,
                '-o' + self.output_name(), source]


run_fpc = compiler_job(PascalCompiler)
