"""The ``exec`` and ``cpu-exec`` jobs: a statically linked program under
:class:`~sio.workers.executors.SupervisedExecutor` (ptrace + seccomp,
in-process). ``exec`` limits CPU time; ``cpu-exec`` the wall clock, as
upstream 1.5.9 and OIOIOI's 'cpu' mode (ACM/PA contests) expect. See
:mod:`sio.executors.common` for the keys."""

from sio.executors import common
from sio.workers.executors import SupervisedExecutor


class SupervisedRunner(common.Runner):
    measure_real_time = False

    def executor(self, environ):
        return SupervisedExecutor(measure_real_time=self.measure_real_time)


class RealTimeSupervisedRunner(SupervisedRunner):
    measure_real_time = True


def run(environ: dict) -> dict:
    return common.run(environ, SupervisedRunner())


def run_cpu(environ: dict) -> dict:
    return common.run(environ, RealTimeSupervisedRunner())
