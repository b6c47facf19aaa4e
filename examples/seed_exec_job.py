"""The seed documentation's example job, as it is written there (ported to
Python 3 only where it must be: the import of os, the octal literal 0o700,
a string environment value): a program run by exec-sandbox's supervisor,
its input, output and report redirected by execute(). Registered for the
tests as the ``seed-exec`` job (tests/plugins)."""

import os

from sio.workers import Failure, ft  # noqa: F401 - as the seed imports them
from sio.workers.execute import execute, noquote
from sio.workers.sandbox import get_sandbox


def run(environ):
    exe_file = ft.download(environ, 'exe_file', 'exe', add_to_cache=True)
    os.chmod(exe_file, 0o700)
    in_file = ft.download(environ, 'in_file', 'in', add_to_cache=True)  # noqa: F841
    sandbox = get_sandbox('exec-sandbox')
    env = os.environ.copy()
    env['MEM_LIMIT'] = '256000'
    retcode, output = execute(
            [os.path.join(sandbox.path, 'bin', 'supervisor'), '-f', '3',
                './exe',
                noquote('<'), 'in',
                noquote('3>'), 'supervisor_result',
                noquote('>'), 'out'],
            env=env)
    result_file = open('supervisor_result')
    environ['status_line'] = result_file.readline().strip()
    result_file.close()
    ft.upload(environ, 'out_file', 'out')
    return environ
