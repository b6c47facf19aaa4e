# C declarations of the comparator used by compare_binding.pyx (Cython
# reads this file with the module).

cdef extern from "compare/compare.h" nogil:
    enum:
        SIO_COMPARE_SAME
        SIO_COMPARE_DIFFERENT
        SIO_COMPARE_ERROR
    struct sio_compare_format:
        int kind
        int language
    int sio_compare_format_by_name(const char *name, sio_compare_format *fmt)
    int sio_compare_files_fmt(const char *expected, const char *found,
                              const sio_compare_format *fmt, char *msg,
                              size_t msglen)
