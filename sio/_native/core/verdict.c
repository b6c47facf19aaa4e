/*
 * verdict.c - result codes and strings. The order of the checks is the
 * precedence of verdicts: a supervision failure, then whatever made the
 * supervisor kill the program, then limits seen after the fact, then how
 * the program ended.
 */
#include "verdict.h"

#include <signal.h>
#include <stdio.h>

static const char *const code_names[] = {"OK", "RE", "TLE", "MLE",
                                         "OLE", "RV", "SE"};

const char *sio_code_name(int code)
{
    if (code < 0 || code > SIO_SE)
        return "SE";
    return code_names[code];
}

static void set(struct sio_verdict *v, int code, const char *text)
{
    v->code = code;
    snprintf(v->text, sizeof v->text, "%s", text);
}

/* Did the program die of an allocation refused by the address-space limit
 * that the tracer could not see (small mmaps, stack growth)? */
static int died_at_memory_limit(const struct sio_result *r, uint64_t limit)
{
    if (!limit || !r->peak_vm_kib)
        return 0;
    if (r->exited && r->exit_code == 0)
        return 0;
    uint64_t as_limit = limit + sio_as_margin_kib(limit);
    return r->peak_vm_kib + SIO_TRACED_MAP_MIN / 1024 > as_limit;
}

void sio_decide_verdict(const struct sio_result *r,
                        const struct sio_verdict_input *in,
                        struct sio_verdict *v)
{
    if (r->internal_error) {
        v->code = SIO_SE;
        snprintf(v->text, sizeof v->text, "supervisor error: %s", r->detail);
        return;
    }
    if (r->exec_failed) {
        if (in->mem_limit_kib && r->exec_errno == 12 /* ENOMEM */) {
            set(v, SIO_MLE, "memory limit exceeded");
            return;
        }
        v->code = SIO_SE;
        snprintf(v->text, sizeof v->text, "cannot execute the program: %s",
                 r->detail);
        return;
    }
    if (r->died_in_exec && in->mem_limit_kib && !r->kill_reason) {
        /* execve maps the whole image; the kernel kills a program whose
         * static data does not fit the address-space limit. */
        set(v, SIO_MLE, "memory limit exceeded");
        return;
    }
    switch (r->kill_reason) {
    case SIO_KILL_SYSCALL:
        v->code = SIO_RV;
        snprintf(v->text, sizeof v->text, "intercepted forbidden syscall %s",
                 r->detail);
        return;
    case SIO_KILL_OPEN:
        set(v, SIO_RV, "opening files is not allowed");
        return;
    case SIO_KILL_MEMORY:
        set(v, SIO_MLE, "memory limit exceeded");
        return;
    case SIO_KILL_CPU_TIME:
    case SIO_KILL_INSTRUCTIONS:
        set(v, SIO_TLE, "time limit exceeded");
        return;
    case SIO_KILL_REAL_TIME:
        set(v, SIO_TLE, "real time limit exceeded");
        return;
    case SIO_KILL_OUTPUT:
        set(v, SIO_OLE, "output limit exceeded");
        return;
    case SIO_KILL_SUPERVISOR:
        v->code = SIO_SE;
        snprintf(v->text, sizeof v->text, "supervisor error: %s", r->detail);
        return;
    default:
        break;
    }
    if (r->memcg_oom && !(r->exited && r->exit_code == 0)) {
        set(v, SIO_MLE, "memory limit exceeded");
        return;
    }
    if (in->mem_limit_kib && (r->peak_vm_kib > in->mem_limit_kib ||
                              died_at_memory_limit(r, in->mem_limit_kib))) {
        set(v, SIO_MLE, "memory limit exceeded");
        return;
    }
    if (in->time_limit_ms && in->time_used_ms > in->time_limit_ms) {
        set(v, SIO_TLE, "time limit exceeded");
        return;
    }
    if (r->signaled && r->term_signal == SIGXCPU && in->time_limit_ms) {
        /* RLIMIT_CPU, our own backstop of the time limit. */
        set(v, SIO_TLE, "time limit exceeded");
        return;
    }
    if (r->signaled && r->term_signal == SIGXFSZ) {
        set(v, SIO_OLE, "output limit exceeded");
        return;
    }
    if (r->signaled) {
        v->code = SIO_RE;
        snprintf(v->text, sizeof v->text, "process exited due to signal %d",
                 r->term_signal);
        return;
    }
    if (r->exited && r->exit_code != 0 && !in->ignore_return) {
        v->code = SIO_RE;
        snprintf(v->text, sizeof v->text, "runtime error %d", r->exit_code);
        return;
    }
    set(v, SIO_OK, "ok");
}
