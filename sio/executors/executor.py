"""The ``exec`` and ``cpu-exec`` jobs: a statically linked program under
:class:`~sio.workers.executors.SupervisedExecutor` (ptrace + seccomp,
in-process). Both limit and measure the wall clock, as upstream 1.5.9 does
for both (its RealTimeSio2JailExecutor, ``sio2jail -o oireal``) and
OIOIOI's modes expect; ``sio2jail-exec`` measures the program's own time
(instructions, or precise CPU time where there are no hardware counters).
:func:`run_cpu_time` (the ``cpu-time-exec`` job) is the precise-CPU-time
variant, for callers that run several programs at once (sio-judge). See
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
    return common.run(environ, RealTimeSupervisedRunner())


def run_cpu(environ: dict) -> dict:
    return common.run(environ, RealTimeSupervisedRunner())


def run_cpu_time(environ: dict) -> dict:
    return common.run(environ, SupervisedRunner())
