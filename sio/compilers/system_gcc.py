"""C and C++ with the system's gcc/g++: static, optimized, stripped.

Besides ``system-gcc``/``system-g++`` (gnu17 and C++20), the compiler names
upstream sioworkers and OIOIOI's settings use (``gcc4_8_2_c99``,
``g++10_2_cpp17_amd64``...) compile with the system's toolchain in the
language standard the name asks for; ``exec_info['compiler']`` says what
really ran.
"""

from sio.compilers.common import Compiler, compiler_job


class CCompiler(Compiler):
    """C (gnu17): ``gcc -std=gnu17 -static -O2 -s ... -lm``."""

    lang = 'c'
    source_extension = '.c'
    program = 'gcc'
    standard = 'gnu17'

    def command(self, source, sources, extra_args):
        return [self.program, f'-std={self.standard}', '-static', '-O2', '-s', *extra_args,
                '-o', self.output_name(), source, *sources, '-lm']

    @property
    def exec_info(self):
        return {'mode': 'executable', 'compiler': f'{self.program} -std={self.standard}'}


class CppCompiler(CCompiler):
    """C++20: ``g++ -std=c++20 -static -O2 -s ... -lm``."""

    lang = 'cpp'
    source_extension = '.cpp'
    other_extensions = ('.cc', '.cxx')
    program = 'g++'
    standard = 'c++20'


def _variant(base, standard):
    """The compiler job of ``base`` in language standard ``standard``."""
    name = f'{base.__name__}_{standard.replace("+", "p")}'
    return compiler_job(type(name, (base,), {
        'standard': standard,
        '__doc__': f'{base.program} in {standard} (the system toolchain).'}))


run_gcc = compiler_job(CCompiler)
run_gplusplus = compiler_job(CppCompiler)

# Upstream's and OIOIOI's names: the system toolchain, the same standard.
# (The versions they name are upstream's sandboxes; the 32-bit ones build
# 64-bit programs here.)
run_c99 = _variant(CCompiler, 'gnu99')
run_c17 = _variant(CCompiler, 'gnu17')
run_cpp11 = _variant(CppCompiler, 'gnu++11')
run_cpp14 = _variant(CppCompiler, 'gnu++14')
run_cpp17 = _variant(CppCompiler, 'gnu++17')
run_cpp20 = _variant(CppCompiler, 'gnu++20')
run_cpp23 = _variant(CppCompiler, 'gnu++23')
