"""sioworkers: running the batch jobs of a contest system.

A job is a function from an *environ* (a JSON-able dict) to an environ,
registered under the ``sio.jobs`` entry-point group and run by
:func:`sio.workers.runner.run`. See ``README.md`` for the list of jobs.
"""


class Failure(Exception):
    """A job could not do its work because of a system problem.

    Jobs raise it (or any other exception) for problems the contest system
    must see as failures of the judging system, not of the submission:
    a missing input file, a broken checker, a misconfigured sandbox.
    :func:`sio.workers.runner.run` records it in the environ as
    ``result: 'FAILURE'`` with ``exception`` and ``traceback``.
    """
