"""What every compiler shares: fetching the source and its companions,
running the compiler under limits on the native executor, checking and
storing the result.

Keys read (all optional but ``source_file`` and ``out_file``):

``source_file``, ``out_file``
    Filetracker paths of the source and of the compiled result;
``compilation_time_limit``, ``compilation_real_time_limit``, ``compilation_mem_limit``
    limits of the compiler: ms of CPU (default 30 s), ms of wall clock
    (default 60 s), KiB of address space (default 1 GiB);
``compilation_output_limit`` (bytes, default 5 KiB)
    how much of the compiler's messages is returned;
``compilation_result_size_limit``
    largest compiled file accepted, bytes (none unless given, as upstream;
    OIOIOI sends 10 MiB; the compiler's writes are capped at 1 GiB
    regardless);
``additional_includes``, ``additional_sources``
    Filetracker paths fetched next to the source (sources are compiled
    too); a list, one path, or a dict {language: list};
``additional_archive``
    a zip unpacked next to the source (entries that would leave the
    directory or replace a file are skipped with a warning);
``extra_files``
    {name: Filetracker path} fetched next to the source;
``extra_compilation_args``
    more compiler arguments (list, string, or dict {language: ...});
``source_name``
    the name the source is compiled under (its author's, so that the
    compiler's messages name it; default ``source.<extension>``, as
    upstream); a plain file name with the language's extension.

Keys written: ``result_code`` (``OK`` or ``CE``), ``compiler_output``,
``exec_info`` (how to run the result) and ``out_file`` (versioned).
"""

import logging
import os
import re
import shlex
import stat

from sio.workers import Failure, ft
from sio.workers import limits as run_limits
from sio.workers.archives import ArchiveError, extract_zip
from sio.workers.environ import decode_output, require, truncate_bytes
from sio.workers.executors import DetailedUnprotectedExecutor
from sio.workers.jobdir import tempcwd

logger = logging.getLogger(__name__)

DEFAULT_TIME_LIMIT_MS = run_limits.DEFAULTS['compilation'].time_limit_ms
DEFAULT_REAL_TIME_LIMIT_MS = run_limits.DEFAULTS['compilation'].real_time_limit_ms
DEFAULT_MEM_LIMIT_KIB = run_limits.DEFAULTS['compilation'].mem_limit_kib
#: How much of the compiler's messages is kept (``compilation_output_limit``).
DEFAULT_OUTPUT_LIMIT = run_limits.DEFAULTS['compilation'].output_limit_bytes
#: What the compiler may write to any one file without a result size limit.
WRITE_CAP = 1 << 30
RESULT_TOO_LARGE = 'Compiled file size limit exceeded.'

# The names upstream's module has (plugins and tests import them).
DEFAULT_COMPILER_TIME_LIMIT = DEFAULT_TIME_LIMIT_MS
DEFAULT_COMPILER_REAL_TIME_LIMIT = DEFAULT_REAL_TIME_LIMIT_MS
DEFAULT_COMPILER_MEM_LIMIT = DEFAULT_MEM_LIMIT_KIB
DEFAULT_COMPILER_OUTPUT_LIMIT = DEFAULT_OUTPUT_LIMIT


_SOURCE_NAME = re.compile(r'[A-Za-z0-9_][A-Za-z0-9_.+-]{0,200}')


def lang_option(environ: dict, key: str, lang: str) -> list[str]:
    """A per-language option: a list, a single string, or {lang: either}."""
    value = environ.get(key) or ()
    if isinstance(value, dict):
        value = value.get(lang) or ()
    if isinstance(value, str):
        value = (value,)
    if not isinstance(value, (list, tuple)):
        raise Failure(f'environ[{key!r}] must be a list, a string or a dict by '
                      f'language, not {value!r}')
    return [str(v) for v in value]


class Compiler:
    """Base class of compilers. A subclass sets ``lang`` and
    ``source_extension`` and implements :meth:`command`; it may override
    :meth:`source_name`, :meth:`output_name`, :meth:`finish` and
    ``exec_info``."""

    lang = ''
    source_extension = ''
    #: More extensions a ``source_name`` of this language may have.
    other_extensions: tuple = ()
    exec_info: dict = {'mode': 'executable'}
    #: Memory limit applied as an address-space rlimit (JVMs reserve far
    #: more address space than they use and manage their heap themselves).
    limit_address_space = True

    def __init__(self, environ: dict):
        self.environ = environ

    # -- what subclasses describe ------------------------------------------

    def source_name(self) -> str:
        name = self.environ.get('source_name')
        if name is None:
            return 'source' + self.source_extension
        if not isinstance(name, str) or not _SOURCE_NAME.fullmatch(name) or \
                os.path.splitext(name)[1] not in (self.source_extension,
                                                  *self.other_extensions):
            raise Failure(f"environ['source_name'] must be a plain file name ending in "
                          f"{self.source_extension}, not {name!r}")
        return name

    def fetch_source(self) -> str:
        """Download the source; the name it was saved under."""
        source = self.source_name()
        ft.download(self.environ, 'source_file', source)
        return source

    def output_name(self) -> str:
        return 'out'

    def command(self, source: str, sources: list[str], extra_args: list[str]) -> list[str]:
        raise NotImplementedError

    def finish(self) -> None:
        """After a successful compiler run (e.g. pack the result)."""

    def compiler_env(self) -> dict[str, str]:
        return {}

    # -- the job -----------------------------------------------------------

    def compile(self) -> dict:
        environ = self.environ
        require(environ, 'out_file', 'compile')
        source = self.fetch_source()
        sources = self._fetch_companions()
        extra_args = self._extra_args()
        result_limit = run_limits.read_value(
            environ, 'compilation_result_size_limit', 'output_limit_bytes', None) or None
        limits = run_limits.read(environ, 'compilation')
        output_limit = limits.output_limit_bytes  # of its messages
        renv = DetailedUnprotectedExecutor()(
            self.command(source, sources, extra_args),
            env=self.compiler_env(), capture_output=True, forward_stderr=True,
            ignore_errors=True,
            limits=limits.replace(
                mem_limit_kib=limits.mem_limit_kib if self.limit_address_space else None,
                # Every file the compiler writes, the result included, is
                # cut here; a bigger result is refused below anyway.
                output_limit_bytes=(result_limit or WRITE_CAP) + output_limit + 65536))
        messages = renv.get('stdout', b'')
        environ['compiler_output'] = decode_output(truncate_bytes(messages, output_limit))
        code = renv['result_code']
        if code == 'OK':
            self.finish()
        # What the compiler left there, never followed (a link is no output).
        try:
            st = os.lstat(tempcwd(self.output_name()))
            size = st.st_size if stat.S_ISREG(st.st_mode) else None
        except FileNotFoundError:
            size = None
        if code == 'OLE' or (code == 'OK' and result_limit and size is not None
                             and size > result_limit):
            return self._compilation_error(RESULT_TOO_LARGE)
        if code != 'OK':
            return self._compilation_error(self._failure_note(renv))
        if size is None:
            return self._compilation_error('The compiler produced no output file.')
        ft.upload(environ, 'out_file', self.output_name())
        environ['result_code'] = 'OK'
        environ['exec_info'] = dict(self.exec_info)
        return environ

    def _failure_note(self, renv: dict) -> str:
        code = renv['result_code']
        if code == 'TLE':
            return 'Compilation time limit exceeded.'
        if code == 'MLE':
            return 'Compilation memory limit exceeded.'
        if code == 'SE':
            raise Failure(f'cannot run the compiler: {renv["result_string"]}')
        return ''

    def _compilation_error(self, note: str) -> dict:
        environ = self.environ
        if note:
            text = environ.get('compiler_output', '')
            environ['compiler_output'] = (text + '\n' + note).strip() if text else note
        environ['result_code'] = 'CE'
        environ.pop('exec_info', None)
        return environ

    def _fetch_companions(self) -> list[str]:
        environ = self.environ
        for path in lang_option(environ, 'additional_includes', self.lang):
            ft.download_path(environ, path)
        sources = []
        for path in lang_option(environ, 'additional_sources', self.lang):
            sources.append(os.path.basename(ft.download_path(environ, path)))
        extra_files = environ.get('extra_files') or {}
        if not isinstance(extra_files, dict):
            raise Failure(f"environ['extra_files'] must be a dict {{name: path}}, "
                          f'not {extra_files!r}')
        for name, path in extra_files.items():
            ft.download_path(environ, path, os.path.basename(name))
        if environ.get('additional_archive'):
            ft.download(environ, 'additional_archive', 'additional-archive.zip')
            try:
                extract_zip(tempcwd('additional-archive.zip'), tempcwd())
            except ArchiveError as exc:
                raise Failure(f"environ['additional_archive']: {exc}") from exc
            os.unlink(tempcwd('additional-archive.zip'))
        return sources

    def _extra_args(self) -> list[str]:
        # A single string is a command line fragment, split like a shell.
        value = self.environ.get('extra_compilation_args') or ()
        if isinstance(value, dict):
            value = value.get(self.lang) or ()
        if isinstance(value, str):
            return shlex.split(value)
        return lang_option(self.environ, 'extra_compilation_args', self.lang)


def compiler_job(compiler_class):
    """Make a compiler entry point out of a :class:`Compiler` subclass."""

    def run(environ: dict) -> dict:
        return compiler_class(environ).compile()

    run.__doc__ = compiler_class.__doc__
    run.__name__ = f'run_{compiler_class.__name__}'
    return run
