"""Java with the system's javac, packed into a runnable jar."""

import os
import re
import zipfile

from sio.compilers.common import Compiler, compiler_job
from sio.workers import ft, jobfiles
from sio.workers import limits as run_limits
from sio.workers.jobdir import tempcwd

_PUBLIC_CLASS = re.compile(rb'public\s+(?:final\s+|abstract\s+)*class\s+([A-Za-z_$][\w$]*)')
_ANY_CLASS = re.compile(rb'\bclass\s+([A-Za-z_$][\w$]*)')
_MAIN = re.compile(rb'public\s+static\s+void\s+main\s*\(')


def main_class_of(source: bytes) -> str:
    """The class javac wants the file named after (the public one), else the
    first class; 'Main' when there is none."""
    match = _PUBLIC_CLASS.search(source) or _ANY_CLASS.search(source)
    return match.group(1).decode() if match else 'Main'


class JavaCompiler(Compiler):
    """Java: ``javac`` into classes, packed as a jar whose manifest names the
    main class: ``problem_short_name`` when the environ has it (as
    upstream), else the public class (or the first one) of the source.
    ``exec_info``: ``{'mode': 'java', 'main_class': ..., 'preferred_filename':
    '<main_class>.jar'}`` as upstream's."""

    lang = 'java'
    source_extension = '.java'
    limit_address_space = False

    #: Extra javac arguments of a compiler name (java1_8: the Java 8 language
    #: and API, as upstream's JDK 8 sandbox compiled).
    release_args: tuple = ()

    def fetch_source(self):
        # javac wants Foo.java for "public class Foo". As upstream, the
        # problem's short name (OIOIOI sends it) is the main class; without
        # it the name comes from the source itself.
        ft.download(self.environ, 'source_file', 'probe.java')
        short_name = self.environ.get('problem_short_name')
        if isinstance(short_name, str) and re.fullmatch(r'[A-Za-z_$][\w$]*', short_name):
            self.main_class = short_name
        else:
            with open(tempcwd('probe.java'), 'rb') as f:
                self.main_class = main_class_of(f.read())
        os.rename(tempcwd('probe.java'), tempcwd(self.source_name()))
        return self.source_name()

    def source_name(self):
        return self.main_class + '.java'

    def output_name(self):
        return 'out.jar'

    @property
    def exec_info(self):
        # Upstream's keys: what the exec step names the archive after.
        return {'mode': 'java', 'main_class': self.main_class,
                'preferred_filename': f'{self.main_class}.jar'}

    def command(self, source, sources, extra_args):
        heap_kib = run_limits.read(self.environ, 'compilation').mem_limit_kib
        # javac makes the directory itself, owned by whoever it runs as
        # (the run's own uid when the worker is root).
        return ['javac', f'-J-Xmx{max(heap_kib // 2, 65536)}k', '-J-XX:+UseSerialGC',
                '-J-Xshare:auto', '-encoding', 'UTF-8', *self.release_args,
                '-d', 'classes', *extra_args, source, *sources]

    def finish(self):
        classes = tempcwd('classes')
        manifest = (f'Manifest-Version: 1.0\r\nMain-Class: {self.main_class}\r\n'
                    'Created-By: sioworkers\r\n\r\n')
        out = jobfiles.create_fresh(tempcwd(self.output_name()))
        with os.fdopen(out, 'wb') as archive, \
                zipfile.ZipFile(archive, 'w', zipfile.ZIP_DEFLATED) as jar:
            jar.writestr('META-INF/MANIFEST.MF', manifest)
            # What the compiler made: walked without following links, and
            # regular files alone read (through descriptors).
            for directory, _, files in os.walk(classes):
                for name in sorted(files):
                    path = os.path.join(directory, name)
                    try:
                        fd = jobfiles.open_regular(path)
                    except jobfiles.NotRegularFile:
                        continue
                    with os.fdopen(fd, 'rb') as f:
                        jar.writestr(os.path.relpath(path, classes), f.read())


class Java8Compiler(JavaCompiler):
    """Java 8 (upstream's ``java1_8``): ``javac --release 8``."""

    release_args = ('--release', '8', '-Xlint:-options')


run_java = compiler_job(JavaCompiler)
run_java8 = compiler_job(Java8Compiler)
