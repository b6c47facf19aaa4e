"""nose-style assertion helpers, as upstream sioworkers exports them.

Tests written for upstream (``from sio.assertion_utils import ok_, eq_``...)
keep working. They need no test framework: failures raise
:class:`AssertionError` like plain ``assert``.
"""

import functools
import time
from collections.abc import Callable


def ok_(expr: object, msg: str | None = None) -> None:
    if not expr:
        raise AssertionError(msg or f'{expr!r} does not evaluate to True')


def eq_(a: object, b: object, msg: str | None = None) -> None:
    if not a == b:
        raise AssertionError(msg or f'{a!r} != {b!r}')


def not_eq_(a: object, b: object, msg: str | None = None) -> None:
    if a == b:
        raise AssertionError(msg or f'{a!r} == {b!r}')


def in_(a: object, b, msg: str | None = None) -> None:
    if a not in b:
        raise AssertionError(msg or f'{a!r} not in {b!r}')


def not_in_(a: object, b, msg: str | None = None) -> None:
    if a in b:
        raise AssertionError(msg or f'{a!r} in {b!r}')


def assert_raises(exception: type[BaseException], func: Callable, *args, **kwargs) -> None:
    """Fail unless ``func(*args, **kwargs)`` raises ``exception``."""
    try:
        func(*args, **kwargs)
    except exception:
        return
    raise AssertionError(f'{getattr(func, "__name__", func)} did not raise '
                         f'{exception.__name__}')


def raises(exception: type[BaseException]) -> Callable[[Callable], Callable]:
    """Decorator: the test passes only if it raises ``exception``."""
    def decorator(func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            assert_raises(exception, func, *args, **kwargs)
        return wrapper
    return decorator


def timed(limit: float) -> Callable[[Callable], Callable]:
    """Decorator: the test fails if it takes longer than ``limit`` seconds
    (checked when it returns, as nose does)."""
    def decorator(func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            start = time.monotonic()
            result = func(*args, **kwargs)
            elapsed = time.monotonic() - start
            if elapsed > limit:
                raise AssertionError(f'{func.__name__} took {elapsed:.1f} s, '
                                     f'more than {limit} s')
            return result
        return wrapper
    return decorator


def nottest(func: Callable) -> Callable:
    """Mark a helper whose name looks like a test as not a test."""
    func.__test__ = False
    return func
