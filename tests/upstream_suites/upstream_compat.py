"""pytest plugin that runs upstream sioworkers' own test modules, nose-era
ones included, against this package (``-p upstream_compat``).

It supplies what those modules expect from their era and nothing of the
package under test: nose's generator tests (each yielded ``(func, *args)``
is one test), ``os.tmpnam`` (Python 2) and the old ``filetracker.dummy``
module path.
"""

import functools
import inspect
import os
import sys
import tempfile

import pytest
from filetracker.client import dummy as _dummy_client

sys.modules.setdefault('filetracker.dummy', _dummy_client)

if not hasattr(os, 'tmpnam'):
    def _tmpnam() -> str:
        # A fresh name that does not exist yet, as Python 2's os.tmpnam.
        return tempfile.mktemp(prefix='upstream-')

    os.tmpnam = _tmpnam


def _label(args: tuple) -> str:
    parts = []
    for arg in args:
        if isinstance(arg, (str, int, float)) or arg is None:
            parts.append(str(arg))
        elif isinstance(arg, dict):
            parts.append(','.join(f'{k}={v}' for k, v in arg.items()))
        else:
            parts.append(type(arg).__name__)
    return '-'.join(parts).replace('/', '').replace(' ', '_')[:80]


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector, name, obj):
    if not (collector.funcnamefilter(name) and inspect.isgeneratorfunction(obj)):
        return None
    if getattr(obj, 'pytestmark', None) or inspect.signature(obj).parameters:
        return None  # a pytest-era generator fixture or parametrised test
    items = []
    for index, case in enumerate(obj()):
        func, *args = case
        items.append(pytest.Function.from_parent(
            collector, name=f'{name}[{index}-{_label(tuple(args))}]',
            callobj=functools.partial(func, *args)))
    return items
