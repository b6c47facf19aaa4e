"""The ``compile`` job and its compilers.

A compiler is registered in the ``sio.compilers`` entry-point group and is
a function environ -> environ; :mod:`sio.compilers.job` picks it by
``environ['compiler']`` (or ``default-<extension of source_file>``).
:mod:`sio.compilers.template` shows how to write one.
"""
