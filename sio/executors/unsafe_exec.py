"""The ``unsafe-exec`` job: the program runs without isolation, measured by
:class:`~sio.workers.executors.DetailedUnprotectedExecutor`. For trusted
programs only; it may use threads, open files (``extra_execution_files``
are put next to it) and run on the JVM. See :mod:`sio.executors.common`."""

from sio.executors import common
from sio.workers.executors import DetailedUnprotectedExecutor


class UnprotectedRunner(common.Runner):
    allows_extra_files = True
    allows_java = True

    def executor(self, environ):
        return DetailedUnprotectedExecutor()


def run(environ: dict) -> dict:
    return common.run(environ, UnprotectedRunner(), use_sandboxes=False)
