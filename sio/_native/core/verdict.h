/*
 * verdict.h - turning what happened to a program into a result code and the
 * exact result string contest systems show to contestants.
 */
#ifndef SIO_VERDICT_H
#define SIO_VERDICT_H

#include <stddef.h>
#include <stdint.h>

#include "supervisor.h"

enum sio_code { SIO_OK = 0, SIO_RE, SIO_TLE, SIO_MLE, SIO_OLE, SIO_RV, SIO_SE };

struct sio_verdict {
    int code;            /* enum sio_code */
    char text[320];      /* "ok", "runtime error 3", ... */
};

struct sio_verdict_input {
    uint64_t mem_limit_kib;   /* 0: none */
    uint64_t time_limit_ms;   /* 0: none */
    uint64_t time_used_ms;    /* in the unit the limit is in */
    int ignore_return;        /* a non-zero exit code is OK */
};

/* "OK", "RE", "TLE", "MLE", "OLE", "RV", "SE". */
const char *sio_code_name(int code);

/* One place that decides the verdict of a run. */
void sio_decide_verdict(const struct sio_result *res,
                        const struct sio_verdict_input *in,
                        struct sio_verdict *v);

#endif
