"""The ``exec`` and ``cpu-exec`` jobs: a statically linked program under
:class:`~sio.workers.executors.SupervisedExecutor` (ptrace + seccomp,
in-process). See :mod:`sio.executors.common` for the keys."""

from sio.executors import common
from sio.workers.executors import SupervisedExecutor


class SupervisedRunner(common.Runner):
    def executor(self, environ):
        return SupervisedExecutor()


def run(environ: dict) -> dict:
    return common.run(environ, SupervisedRunner())
