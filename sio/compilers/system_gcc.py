"""C and C++ with the system's gcc/g++: static, optimized, stripped."""

from sio.compilers.common import Compiler, compiler_job


class CCompiler(Compiler):
    """C (gnu17): ``gcc -static -O2 -s ... -lm``."""

    lang = 'c'
    source_extension = '.c'

    def command(self, source, sources, extra_args):
        return ['gcc', '-std=gnu17', '-static', '-O2', '-s', *extra_args,
                '-o', self.output_name(), source, *sources, '-lm']


class CppCompiler(Compiler):
    """C++20: ``g++ -std=c++20 -static -O2 -s ... -lm``."""

    lang = 'cpp'
    source_extension = '.cpp'

    def command(self, source, sources, extra_args):
        return ['g++', '-std=c++20', '-static', '-O2', '-s', *extra_args,
                '-o', self.output_name(), source, *sources, '-lm']


run_gcc = compiler_job(CCompiler)
run_gplusplus = compiler_job(CppCompiler)
