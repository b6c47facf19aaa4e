"""Build of sioworkers' native parts.

Two kinds of native artefacts come out of ``sio/_native``:

* Cython extension modules (the Python bindings), built by ``build_ext``;
* small helper executables (the jail, the comparator, the exec-sandbox
  supervisor), built by ``build_helpers`` into ``sio/_native/bin`` and
  shipped inside the package.

Both link the same C sources: one implementation of each mechanism. The
sources are laid out by part: ``core/`` (the supervisor, its child side,
watchdog, rules, verdicts, /proc readings, seccomp policies, output guard,
instruction counting), ``confine/`` (run ids, memory cgroups, network
namespaces, Landlock: built on the core), ``jail/`` (the sio2jail-compatible
jail), ``compare/`` (the comparator) and ``tools/`` (the command-line
supervisor); a file includes another part's header by its path from
``sio/_native``. Everything else about the package is declared in
``pyproject.toml``.
"""

import glob
import os
import shlex
import subprocess

from Cython.Build import cythonize
from setuptools import Command, Extension, setup
from setuptools.command.build import build as _build

NATIVE = os.path.join('sio', '_native')
CFLAGS = ['-std=gnu11', '-O2', '-Wall', '-Wextra']


def native(*names):
    return [os.path.join(NATIVE, name) for name in names]


# The supervision core and its confinement, shared by the binding and the
# helpers.
CORE = native(*(f'core/{name}.c' for name in (
    'supervisor', 'child', 'watchdog', 'seccomp', 'rules', 'procfs', 'verdict', 'perf',
    'output_guard')))
CONFINE = native(*(f'confine/{name}.c' for name in (
    'confine', 'uidpool', 'memcg', 'netns', 'landlock', 'scratch')))
COMPARE = native('compare/compare.c')
JAIL = native(*(f'jail/{name}.c' for name in ('jail_main', 'jail_config', 'jail_ns',
                                              'jail_check')))

# Helper executables: name -> (sources, libraries).
HELPERS = {
    'compare': (COMPARE + native('compare/compare_main.c'), []),
    'sio2jail': (CORE + CONFINE + JAIL, ['seccomp', 'pthread']),
    'supervisor': (CORE + CONFINE + native('tools/supervisor_main.c'), ['seccomp', 'pthread']),
}
# Helpers that start a seccomp filter at every run get every policy's
# filter compiled at build time (by seccomp_gen): compiling the static
# policy with libseccomp would cost a new process about a millisecond.
PREBUILT_FILTERS = {'sio2jail', 'supervisor'}
FILTER_GENERATOR = native('core/seccomp_gen.c')
# Local sandbox recipes, shipped inside the package (sio/_native/sandboxes).
RECIPES = 'sandboxes'


def _helper_sources_exist(sources):
    return all(os.path.exists(s) for s in sources)


class build_helpers(Command):
    """Compile the helper executables listed in HELPERS."""

    description = 'build native helper executables into sio/_native/bin'
    user_options = []

    def initialize_options(self):
        self.build_lib = None
        self.build_temp = None
        self.editable_mode = False

    def finalize_options(self):
        self.set_undefined_options(
            'build', ('build_lib', 'build_lib'), ('build_temp', 'build_temp'))

    def _out_dir(self):
        # Editable installs import the package from the source tree.
        base = '.' if self.editable_mode else self.build_lib
        return os.path.join(base, NATIVE, 'bin')

    def _targets(self):
        return {name: os.path.join(self._out_dir(), name)
                for name, (sources, _) in HELPERS.items()
                if _helper_sources_exist(sources)}

    def _recipe_dir(self):
        base = '.' if self.editable_mode else self.build_lib
        return os.path.join(base, NATIVE, 'sandboxes')

    def _recipes(self):
        return sorted(f for f in os.listdir(RECIPES) if f.endswith('.sh'))

    def _copy_recipes(self):
        os.makedirs(self._recipe_dir(), exist_ok=True)
        for name in self._recipes():
            self.copy_file(os.path.join(RECIPES, name), os.path.join(self._recipe_dir(), name))

    def run(self):
        cc = shlex.split(os.environ.get('CC', 'cc'))
        headers = glob.glob(os.path.join(NATIVE, '*', '*.h'))
        os.makedirs(self._out_dir(), exist_ok=True)
        filters = None
        for name, target in self._targets().items():
            sources, libraries = HELPERS[name]
            inputs = sources + headers + [__file__]
            if name in PREBUILT_FILTERS:
                inputs += FILTER_GENERATOR
            if os.path.exists(target) and all(
                    os.path.getmtime(target) >= os.path.getmtime(i)
                    for i in inputs):
                continue
            if name in PREBUILT_FILTERS:
                if filters is None:
                    filters = self._generate_filters(cc)
                sources = sources + [filters]
            # Static: no dynamic loading at each start (0.4 ms of a jail
            # run), and the helpers can be copied into sandboxes as they are.
            cmd = (cc + CFLAGS + ['-static', '-I', NATIVE, '-o', target] + sources
                   + ['-l' + lib for lib in libraries])
            self.announce('building helper %s' % name, level=2)
            subprocess.check_call(cmd)
        self._copy_recipes()

    def _generate_filters(self, cc):
        """Compile seccomp_gen and write its C table of every filter."""
        os.makedirs(self.build_temp, exist_ok=True)
        generator = os.path.join(self.build_temp, 'seccomp_gen')
        output = os.path.join(self.build_temp, 'seccomp_prebuilt.c')
        self.announce('building the seccomp filter table', level=2)
        # Linked like the helpers, with the same libseccomp.
        subprocess.check_call(cc + CFLAGS + ['-static', '-I', NATIVE, '-o', generator]
                              + FILTER_GENERATOR + CORE + CONFINE
                              + ['-lseccomp', '-lpthread'])
        with open(output, 'w') as out:
            subprocess.check_call([generator], stdout=out)
        return output

    def get_outputs(self):
        return (list(self._targets().values())
                + [os.path.join(self._recipe_dir(), n) for n in self._recipes()])

    def get_output_mapping(self):
        # Where editable_wheel should point each built file.
        mapping = {os.path.join(self.build_lib, NATIVE, 'bin', name):
                   os.path.join(NATIVE, 'bin', name)
                   for name in self._targets()}
        mapping.update({os.path.join(self.build_lib, NATIVE, 'sandboxes', n):
                        os.path.join(NATIVE, 'sandboxes', n) for n in self._recipes()})
        return mapping


class build(_build):
    sub_commands = _build.sub_commands + [('build_helpers', None)]


def extension(name, sources, libraries=()):
    return Extension(
        'sio._native.' + name,
        sources=sources,
        include_dirs=[NATIVE],
        libraries=list(libraries),
        extra_compile_args=CFLAGS,
    )


extensions = [
    extension('supervise', native('supervise.pyx') + CORE + CONFINE, ['seccomp']),
    extension('compare_binding', native('compare_binding.pyx') + COMPARE),
    # Pure helpers the tests call, out of the production binding.
    extension('testhooks', native('testhooks.pyx', 'core/rules.c', 'core/procfs.c',
                                  'confine/uidpool.c')),
]

setup(
    ext_modules=cythonize(extensions, language_level=3,
                          compiler_directives={'embedsignature': True}),
    cmdclass={'build': build, 'build_helpers': build_helpers},
)
