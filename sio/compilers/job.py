"""The ``compile`` job and the ``sio-compile`` script.

``environ['compiler']`` names the compiler (``system-g++``...); without it
``default-<extension>`` of ``source_file`` is used. A name with a dot
(``system-gcc.4_8_2``) falls back to its prefix when not registered itself.
See :mod:`sio.compilers.common` for the keys.
"""

import json
import logging
import os
import sys

from sio.workers import Failure
from sio.workers.environ import require
from sio.workers.registry import UnknownEntryPoint, get_compiler


def compiler_name(environ: dict) -> str:
    name = environ.get('compiler')
    if not name:
        source = require(environ, 'source_file', 'compile')
        extension = os.path.splitext(source.split('@')[0])[1].lstrip('.').lower()
        if not extension:
            raise Failure(f'cannot choose a compiler for {source!r}: no extension and '
                          f"no environ['compiler']")
        name = 'default-' + extension
    return name.lower()


def run(environ: dict) -> dict:
    name = compiler_name(environ)
    try:
        compiler = get_compiler(name)
    except UnknownEntryPoint:
        if '.' not in name:
            raise
        compiler = get_compiler(name.split('.', 1)[0])
    environ['compiler'] = name
    return compiler(environ)


def main(argv: list[str] | None = None) -> int:
    """``sio-compile SOURCE OUTPUT [COMPILER]``: compile a local file."""
    args = sys.argv[1:] if argv is None else argv
    if args == ['--list']:
        from sio.workers.registry import COMPILERS, names

        sys.stdout.write(''.join(f'{name}\n' for name in names(COMPILERS)))
        return 0
    usage = ('usage: sio-compile SOURCE OUTPUT [COMPILER]\n'
             '       sio-compile --list    (every compiler name)\n')
    if args and args[0] in ('-h', '--help'):
        sys.stdout.write(usage + '\nCompiles the local file SOURCE into OUTPUT with the '
                         'compile job\n(COMPILER: a name from --list; default: by the '
                         "source's extension).\nExit status 0 when it compiles, 1 when "
                         'not (the messages on stderr), 2 for bad arguments.\n')
        return 0
    if len(args) not in (2, 3):
        sys.stderr.write(usage)
        return 2
    source, output = args[0], args[1]
    problem = None
    if not os.path.isfile(source):
        problem = f'no source file {source}'
    elif os.path.isdir(output):
        problem = f'{output} is a directory: give the path of the program to write'
    elif not os.path.isdir(os.path.dirname(os.path.abspath(output))):
        problem = f'no directory {os.path.dirname(os.path.abspath(output))} for {output}'
    if problem:
        sys.stderr.write(f'sio-compile: {problem}\n')
        return 2
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format='%(levelname)s %(name)s: %(message)s')
    environ = {'job_type': 'compile', 'use_filetracker': False,
               'source_file': os.path.abspath(args[0]), 'out_file': os.path.abspath(args[1])}
    if len(args) == 3:
        environ['compiler'] = args[2]
    from sio.workers.runner import run_reporting_errors

    result = run_reporting_errors(environ)
    if result['result'] != 'SUCCESS':
        sys.stderr.write(f'sio-compile: {result["exception"]}\n')
        return 1
    if result.get('compiler_output'):
        sys.stderr.write(result['compiler_output'] + '\n')
    sys.stderr.write(json.dumps({'result_code': result['result_code'],
                                 'exec_info': result.get('exec_info')}) + '\n')
    return 0 if result['result_code'] == 'OK' else 1


if __name__ == '__main__':
    sys.exit(main())
