"""Rust with the system's ``rustc``: a static, optimized, stripped program.

``rustc -O --edition=E -C target-feature=+crt-static -C strip=symbols``, as
sinol-make compiles Rust, in the newest edition this rustc knows of 2024
and 2021 (sinol-make asks for 2024; Debian 12's rustc 1.63 knows 2021).
"""

import functools
import re
import shutil
import subprocess

from sio.compilers.common import Compiler, compiler_job


@functools.lru_cache(maxsize=1)
def rustc() -> str:
    """The system's rustc (setup.sh installs Debian's), else one on PATH (a
    rustup proxy there needs the user's HOME, which compilers do not get)."""
    return shutil.which('rustc', path='/usr/local/bin:/usr/bin:/bin') or 'rustc'


@functools.lru_cache(maxsize=1)
def edition() -> str:
    try:
        version = subprocess.run([rustc(), '--version'], capture_output=True, text=True,
                                 timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return '2021'
    match = re.search(r'(\d+)\.(\d+)', version)
    return '2024' if match and (int(match.group(1)), int(match.group(2))) >= (1, 85) else '2021'


class RustCompiler(Compiler):
    """Rust: ``rustc -O`` statically linked."""

    lang = 'rs'
    source_extension = '.rs'
    # rustc's threads and allocator reserve gigabytes of address space.
    limit_address_space = False

    def command(self, source, sources, extra_args):
        return [rustc(), '-O', f'--edition={edition()}', '-C', 'target-feature=+crt-static',
                '-C', 'strip=symbols', *extra_args, '-o', self.output_name(), source]

    @property
    def exec_info(self):
        return {'mode': 'executable', 'compiler': f'rustc --edition={edition()}'}


run_rust = compiler_job(RustCompiler)
