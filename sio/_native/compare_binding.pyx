# cython: language_level=3
"""Python binding of the native comparator (compare.c): whitespace-
insensitive token comparison of two files, streamed in constant memory."""

from libc.string cimport memset


#: The message forms of ``checker_format`` (as oicompare has them).
CHECKER_FORMATS = ('english_abbreviated', 'english_full', 'english_terse',
                   'polish_abbreviated', 'polish_full', 'polish_terse')


class CompareError(OSError):
    """A file could not be read; the message says which and why."""


def compare_files(expected, found, checker_format=None):
    """Compare the tokens of file ``found`` against file ``expected``.

    Returns ``(True, '')`` when they hold the same tokens, else ``(False,
    message)`` with a one-line message naming the line of ``found`` and the
    expected and found tokens: ``line 3: expected "42", found "43"``, or
    with ``checker_format`` (one of :data:`CHECKER_FORMATS`) oicompare's
    line, e.g. ``WRONG: line 3: expected "42", got "43"``. Raises
    :class:`CompareError` when a file cannot be read, ValueError for an
    unknown format. The GIL is released while comparing.
    """
    cdef sio_compare_format fmt
    cdef sio_compare_format *pfmt = NULL
    if checker_format is not None:
        name = checker_format.encode() if isinstance(checker_format, str) else b''
        if sio_compare_format_by_name(name, &fmt) < 0:
            raise ValueError('unknown checker_format %r (one of %s)'
                             % (checker_format, ', '.join(CHECKER_FORMATS)))
        pfmt = &fmt
    cdef bytes e = expected.encode() if isinstance(expected, str) else bytes(expected)
    cdef bytes f = found.encode() if isinstance(found, str) else bytes(found)
    cdef const char *ce = e
    cdef const char *cf = f
    cdef char msg[8192]
    cdef int rc
    memset(msg, 0, sizeof(msg))
    with nogil:
        rc = sio_compare_files_fmt(ce, cf, pfmt, msg, sizeof(msg))
    text = (<bytes>msg).decode('utf-8', errors='replace')
    if rc == SIO_COMPARE_ERROR:
        raise CompareError(text)
    return rc == SIO_COMPARE_SAME, text
