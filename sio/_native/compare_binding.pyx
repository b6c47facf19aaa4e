# cython: language_level=3
"""Python binding of the native comparator (compare.c): whitespace-
insensitive token comparison of two files, streamed in constant memory."""

from libc.string cimport memset


cdef extern from "compare.h" nogil:
    enum:
        SIO_COMPARE_SAME
        SIO_COMPARE_DIFFERENT
        SIO_COMPARE_ERROR
    int sio_compare_files(const char *expected, const char *found, char *msg,
                          size_t msglen)


class CompareError(OSError):
    """A file could not be read; the message says which and why."""


def compare_files(expected, found):
    """Compare the tokens of file ``found`` against file ``expected``.

    Returns ``(True, '')`` when they hold the same tokens, else ``(False,
    message)`` with a one-line message naming the line of ``found`` and the
    expected and found tokens. Raises :class:`CompareError` when a file
    cannot be read. The GIL is released while comparing.
    """
    cdef bytes e = expected.encode() if isinstance(expected, str) else bytes(expected)
    cdef bytes f = found.encode() if isinstance(found, str) else bytes(found)
    cdef const char *ce = e
    cdef const char *cf = f
    cdef char msg[512]
    cdef int rc
    memset(msg, 0, sizeof(msg))
    with nogil:
        rc = sio_compare_files(ce, cf, msg, sizeof(msg))
    text = (<bytes>msg).decode('utf-8', errors='replace')
    if rc == SIO_COMPARE_ERROR:
        raise CompareError(text)
    return rc == SIO_COMPARE_SAME, text
