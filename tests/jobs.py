"""Helpers for running jobs on local files (use_filetracker False)."""

import os
import zipfile

from sio.workers.runner import run


class LocalJobs:
    """Jobs reading and writing files under one directory."""

    def __init__(self, root):
        self.root = str(root)

    def path(self, name):
        return os.path.join(self.root, name)

    def write(self, name, data):
        path = self.path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        mode = 'wb' if isinstance(data, bytes) else 'w'
        with open(path, mode) as f:
            f.write(data)
        return path

    def read(self, name):
        with open(self.path(name), 'rb') as f:
            return f.read()

    def zip(self, name, members):
        path = self.path(name)
        with zipfile.ZipFile(path, 'w') as z:
            for member, data in members.items():
                z.writestr(member, data)
        return path

    def run(self, **environ):
        environ.setdefault('use_filetracker', False)
        result = run(environ)
        return result

    def compile(self, source_name, source, compiler=None, out='prog', **extra):
        env = {'job_type': 'compile', 'source_file': self.write(source_name, source),
               'out_file': self.path(out), **extra}
        if compiler:
            env['compiler'] = compiler
        result = self.run(**env)
        assert result['result'] == 'SUCCESS', result.get('exception')
        return result

    def execute(self, job_type, exe, input_data, **extra):
        env = {'job_type': job_type, 'exe_file': self.path(exe),
               'in_file': self.write('input-' + exe, input_data), **extra}
        return self.run(**env)
