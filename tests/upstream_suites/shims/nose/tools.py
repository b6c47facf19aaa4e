"""The part of ``nose.tools`` upstream's nose-era test modules import,
served by :mod:`sio.assertion_utils` (nose itself does not run on
Python 3.10+)."""

from sio.assertion_utils import (  # noqa: F401
    assert_raises,
    eq_,
    in_,
    not_eq_,
    not_in_,
    nottest,
    ok_,
    raises,
    timed,
)

assert_equal = eq_
assert_not_equal = not_eq_
assert_true = ok_
