# C declarations of the pure helpers the tests call through testhooks.pyx.

from libc.stdint cimport uint64_t


cdef extern from "core/rules.h" nogil:
    uint64_t sio_table_bound_kib(uint64_t addr, uint64_t length)

cdef extern from "confine/uidpool.h" nogil:
    int sio_ids_parse_range(const char *text, unsigned *first, unsigned *count)
