"""The compile job with every compiler, for real."""

import os
import subprocess
import sys

import pytest
from jobs import LocalJobs

from sio.workers import registry

C_OK = '#include <stdio.h>\nint main(void){long a,b;scanf("%ld %ld",&a,&b);printf("%ld\\n",a+b);}\n'
CPP_OK = '#include <iostream>\nint main(){long long a,b;std::cin>>a>>b;std::cout<<a+b<<"\\n";}\n'
PAS_OK = 'program s; var a, b: int64; begin readln(a, b); writeln(a + b); end.\n'
JAVA_OK = ('import java.util.*;\npublic class Sum { public static void main(String[] x) {\n'
           ' Scanner s = new Scanner(System.in); System.out.println(s.nextLong() + s.nextLong());'
           ' } }\n')


@pytest.fixture
def jobs(tmp_path):
    return LocalJobs(tmp_path)


def run_binary(path, stdin=b'2 3\n'):
    return subprocess.run([path], input=stdin, capture_output=True, timeout=30).stdout


@pytest.mark.parametrize('compiler, name, source', [
    ('system-gcc', 'a.c', C_OK), ('system-c', 'a.c', C_OK),
    ('system-g++', 'a.cpp', CPP_OK), ('system-cpp', 'a.cpp', CPP_OK),
    ('system-cc', 'a.cc', CPP_OK), ('system-fpc', 'a.pas', PAS_OK),
    ('system-pas', 'a.pas', PAS_OK),
])
def test_native_compilers(jobs, compiler, name, source):
    env = jobs.compile(name, source, compiler)
    assert env['result_code'] == 'OK', env['compiler_output']
    assert env['exec_info']['mode'] == 'executable'
    assert run_binary(jobs.path('prog')) == b'5\n'
    # Static: runs with no dynamic loader at all.
    assert b'statically linked' in subprocess.run(['file', jobs.path('prog')],
                                                  capture_output=True).stdout \
        or not os.path.exists('/usr/bin/file')


@pytest.mark.parametrize('compiler, name, source, message', [
    ('system-gcc', 'a.c', 'int main( { return 0; }', 'error'),
    ('system-g++', 'a.cpp', 'int main() { undefined_thing(); }', 'undefined_thing'),
    ('system-fpc', 'a.pas', 'program x; begin writeln(y); end.', 'Identifier not found'),
    ('system-java', 'A.java', 'public class A { void f( }', 'error'),
])
def test_compilation_errors(jobs, compiler, name, source, message):
    env = jobs.compile(name, source, compiler)
    assert env['result_code'] == 'CE'
    assert message in env['compiler_output']
    assert 'exec_info' not in env
    assert not os.path.exists(jobs.path('prog'))


def test_java_jar_runs_with_its_main_class(jobs):
    env = jobs.compile('whatever.java', JAVA_OK, 'system-java', out='prog.jar')
    assert env['result_code'] == 'OK', env['compiler_output']
    assert env['exec_info'] == {'mode': 'java', 'main_class': 'Sum',
                                'preferred_filename': 'Sum.jar'}  # upstream's keys
    out = subprocess.run(['java', '-jar', jobs.path('prog.jar')], input=b'20 22',
                         capture_output=True, timeout=60).stdout
    assert out == b'42\n'


JAVA_READER_FIRST = (
    'import java.util.*;\nclass Reader { static long next(Scanner s) { return s.nextLong(); } }\n'
    'class sum { public static void main(String[] x) { Scanner s = new Scanner(System.in);'
    ' System.out.println(Reader.next(s) + Reader.next(s)); } }\n')


def test_java_main_class_is_the_problem_short_name(jobs):
    """As upstream (OIOIOI sends problem_short_name): with a helper class
    first, the problem's class is still the one run."""
    env = jobs.compile('s.java', JAVA_READER_FIRST, 'system-java', out='prog.jar',
                       problem_short_name='sum')
    assert env['result_code'] == 'OK', env['compiler_output']
    assert env['exec_info'] == {'mode': 'java', 'main_class': 'sum',
                                'preferred_filename': 'sum.jar'}
    out = subprocess.run(['java', '-jar', jobs.path('prog.jar')], input=b'20 22',
                         capture_output=True, timeout=60).stdout
    assert out == b'42\n'
    # Without it, the first class is taken (and here it has no main).
    guessed = jobs.compile('s.java', JAVA_READER_FIRST, 'system-java', out='guess.jar')
    assert guessed['exec_info']['main_class'] == 'Reader'


# A program each standard accepts and the one before it would not.
STANDARD_PROBES = {
    'gnu99': '#include <stdio.h>\nint main(void) { for (int i = 0; i < 1; i++) '
             'printf("5\\n"); return 0; }\n',
    'gnu17': '#include <stdio.h>\n_Static_assert(__STDC_VERSION__ >= 201710L, "c17");\n'
             'int main(void) { printf("5\\n"); return 0; }\n',
    'gnu++11': '#include <cstdio>\nint main() { auto f = [](int x) { return x + 2; };'
               ' std::printf("%d\\n", f(3)); }\n',
    'gnu++14': '#include <cstdio>\nint main() { auto f = [](auto x) { return x + 2; };'
               ' std::printf("%d\\n", f(3)); }\n',
    'gnu++17': '#include <cstdio>\n#include <utility>\nint main() { auto [a, b] = '
               'std::pair(2, 3); std::printf("%d\\n", a + b); }\n',
    'gnu++20': '#include <cstdio>\n#include <compare>\nint main() { auto c = (2 <=> 3);'
               ' std::printf("%d\\n", c < 0 ? 5 : 0); }\n',
    'gnu++23': '#include <cstdio>\nconstexpr int f() { if consteval { return 5; } '
               'else { return 0; } }\nint main() { constexpr int v = f();'
               ' std::printf("%d\\n", v); }\n',
}


@pytest.mark.parametrize('compiler, standard, name', [
    ('gcc4_8_2_c99', 'gnu99', 'a.c'), ('gcc12_2_0_c17', 'gnu17', 'a.c'),
    ('gcc14_2_0_c17', 'gnu17', 'a.c'), ('g++4_8_2_cpp11', 'gnu++11', 'a.cpp'),
    ('g++6_3_cpp14', 'gnu++14', 'a.cpp'), ('g++8_3_cpp17', 'gnu++17', 'a.cpp'),
    ('g++8_3_cpp17_amd64', 'gnu++17', 'a.cpp'), ('g++10_2_cpp17_amd64', 'gnu++17', 'a.cpp'),
    ('g++12_2_cpp20_amd64', 'gnu++20', 'a.cpp'), ('g++14_2_cpp23_amd64', 'gnu++23', 'a.cpp'),
    ('c', 'gnu17', 'a.c'), ('cpp', 'c++20', 'a.cpp'), ('cc', 'c++20', 'a.cc'),
])
def test_upstream_and_oioioi_compiler_names(jobs, compiler, standard, name):
    probe = STANDARD_PROBES.get(standard, STANDARD_PROBES['gnu++20' if '++' in standard
                                                        else 'gnu17'])
    env = jobs.compile(name, probe, compiler)
    assert env['result_code'] == 'OK', env['compiler_output']
    assert env['exec_info']['compiler'].endswith(f'-std={standard}')
    assert run_binary(jobs.path('prog')) == b'5\n'


@pytest.mark.parametrize('compiler, name, source', [
    ('fpc2_6_2', 'a.pas', PAS_OK), ('pas', 'a.pas', PAS_OK),
])
def test_upstream_pascal_names(jobs, compiler, name, source):
    env = jobs.compile(name, source, compiler)
    assert env['result_code'] == 'OK', env['compiler_output']
    assert run_binary(jobs.path('prog')) == b'5\n'


@pytest.mark.parametrize('compiler', ['java1_8', 'java'])
def test_upstream_java_names(jobs, compiler):
    env = jobs.compile('Sum.java', JAVA_OK, compiler, out='prog.jar')
    assert env['result_code'] == 'OK', env['compiler_output']
    assert env['exec_info']['mode'] == 'java'


def test_java1_8_is_the_java_8_language(jobs):
    """`var` came in Java 10: java1_8 refuses it, the default compiler takes it."""
    source = ('public class V { public static void main(String[] a) { var x = 5;'
              ' System.out.println(x); } }\n')
    assert jobs.compile('V.java', source, 'java1_8', out='v8.jar')['result_code'] == 'CE'
    assert jobs.compile('V.java', source, 'system-java', out='v.jar')['result_code'] == 'OK'


def test_sio_compile_lists_every_name():
    import sys
    done = subprocess.run([sys.executable, '-m', 'sio.compilers.job', '--list'],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    names = done.stdout.split()
    for name in ('system-g++', 'g++12_2_cpp20_amd64', 'gcc4_8_2_c99', 'java1_8', 'pas'):
        assert name in names


def test_default_compiler_by_extension(jobs):
    assert jobs.compile('PROG.CPP', CPP_OK)['compiler'] == 'default-cpp'
    assert run_binary(jobs.path('prog')) == b'5\n'
    assert jobs.compile('x.c', C_OK)['result_code'] == 'OK'


def test_dotted_name_falls_back_to_prefix(jobs):
    env = jobs.compile('a.c', C_OK, 'system-gcc.4_8_2')
    assert env['result_code'] == 'OK'


def test_unknown_compiler_is_a_failure(jobs):
    env = jobs.run(job_type='compile', source_file=jobs.write('a.zz', 'x'),
                   out_file=jobs.path('o'))
    assert env['result'] == 'FAILURE'
    assert 'default-zz' in env['exception'] and 'system-gcc' in env['exception']


def test_output_only(jobs):
    env = jobs.compile('answer.txt', '42\n', 'output-only')
    assert env['result_code'] == 'OK'
    assert env['exec_info'] == {'mode': 'output-only'}
    assert env['compiler_output'] == 'Compilation omitted (output provided).'
    assert jobs.read('prog') == b'42\n'
    # As upstream, without out_file the result is the submission itself.
    source = jobs.write('answer2.txt', '43\n')
    env = jobs.run(job_type='compile', source_file=source, compiler='output-only')
    assert env['result'] == 'SUCCESS', env.get('exception')
    assert (env['result_code'], env['out_file']) == ('OK', source)


def test_foo_template_compiler(jobs):
    env = jobs.compile('p.foo', '#!/bin/sh\nread a b; echo $((a+b))\n', 'foo')
    assert env['result_code'] == 'OK'
    assert run_binary(jobs.path('prog')) == b'5\n'
    assert jobs.compile('q.foo', 'if then fi', 'foo')['result_code'] == 'CE'


def test_compilers_are_entry_points():
    names = registry.names(registry.COMPILERS)
    for name in ('system-gcc', 'system-g++', 'system-fpc', 'system-java', 'output-only',
                 'foo', 'default-cpp', 'default-pas', 'default-java'):
        assert name in names


def test_additional_files(jobs):
    jobs.write('lib/extra.h', 'int twice(int);\n')
    jobs.write('lib/extra.c', 'int twice(int x) { return 2 * x; }\n')
    jobs.write('lib/data.inc', '21\n')
    source = ('#include <stdio.h>\n#include "extra.h"\n'
              'int main(void){printf("%d\\n", twice(\n#include "value.inc"\n));}\n')
    env = jobs.compile('a.c', source, 'system-gcc',
                       additional_includes={'c': [jobs.path('lib/extra.h')]},
                       additional_sources=[jobs.path('lib/extra.c')],
                       extra_files={'value.inc': jobs.path('lib/data.inc')},
                       extra_compilation_args=['-DUNUSED=1'])
    assert env['result_code'] == 'OK', env['compiler_output']
    assert run_binary(jobs.path('prog')) == b'42\n'


def test_additional_archive_entries_cannot_escape(jobs, tmp_path):
    archive = jobs.zip('pack.zip', {
        'inc/answer.h': '#define ANSWER 42\n',
        '../escaped.h': 'bad',
        '/abs/escaped.h': 'bad',
        'source.c': 'int main(void) { return 1; }',  # would replace the source
    })
    source = ('#include <stdio.h>\n#include "inc/answer.h"\n'
              'int main(void){printf("%d\\n", ANSWER);}\n')
    env = jobs.compile('a.c', source, 'system-gcc', additional_archive=archive)
    assert env['result_code'] == 'OK', env['compiler_output']
    assert run_binary(jobs.path('prog')) == b'42\n'
    assert not (tmp_path.parent / 'escaped.h').exists()


def test_result_size_limit(jobs):
    env = jobs.compile('a.c', C_OK, 'system-gcc', compilation_result_size_limit=100_000)
    assert env['result_code'] == 'CE'
    assert 'Compiled file size limit exceeded.' in env['compiler_output']


def test_result_size_is_limited_only_when_asked(jobs):
    """As upstream: no compilation_result_size_limit, no limit (a 12 MiB
    static binary compiles); OIOIOI sends 10 MiB, which refuses it."""
    big = ('#include <stdio.h>\nchar table[12 << 20] = {1};\n'
           'int main(int argc, char **argv) { (void)argv;'
           ' printf("%d\\n", table[argc - 1] + 4); return 0; }\n')
    env = jobs.compile('a.c', big, 'system-gcc')
    assert env['result_code'] == 'OK', env['compiler_output']
    env = jobs.compile('a.c', big, 'system-gcc', compilation_result_size_limit=10 << 20)
    assert env['result_code'] == 'CE'
    assert 'Compiled file size limit exceeded.' in env['compiler_output']


def test_upstream_constant_names():
    from sio.compilers import common
    assert common.DEFAULT_COMPILER_OUTPUT_LIMIT == 5 * 1024
    assert common.DEFAULT_COMPILER_TIME_LIMIT == 30_000
    assert common.DEFAULT_COMPILER_MEM_LIMIT == 1 << 20


def test_compilation_time_limit(jobs):
    # Template instantiation that takes the compiler a long time.
    source = ('template<int N> struct F { enum { v = F<N-1>::v + F<N-2>::v }; };\n'
              'template<> struct F<0> { enum { v = 0 }; };\n'
              'template<> struct F<1> { enum { v = 1 }; };\n'
              'int main() { return F<100000>::v; }\n')
    env = jobs.compile('a.cpp', source, 'system-g++', compilation_time_limit=300,
                       extra_compilation_args=['-ftemplate-depth=200000'])
    assert env['result_code'] == 'CE'
    assert 'Compilation time limit exceeded.' in env['compiler_output'] or \
        'Compilation memory limit exceeded.' in env['compiler_output']


def test_compiler_output_is_cut_and_decoded(jobs):
    source = '\n'.join(f'int x{i} = "\xff";' for i in range(300)) + '\nint main(){}'
    env = jobs.compile('a.c', source.encode('latin-1'), 'system-gcc',
                       compilation_output_limit=500)
    assert env['result_code'] == 'CE'
    assert len(env['compiler_output'].encode()) < 600
    assert env['compiler_output'].endswith('[...]')


def test_sio_compile_script(tmp_path):
    src = tmp_path / 'a.cpp'
    src.write_text(CPP_OK)
    script = os.path.join(os.path.dirname(sys.executable), 'sio-compile')
    proc = subprocess.run([script, str(src), str(tmp_path / 'a.out')], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert run_binary(str(tmp_path / 'a.out')) == b'5\n'
    bad = tmp_path / 'b.c'
    bad.write_text('nope')
    proc = subprocess.run([script, str(bad), str(tmp_path / 'b.out')], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 1 and '"CE"' in proc.stderr
