/* Asks to be traced (and so to escape its tracer). */
#include <sys/ptrace.h>
int main(void) { return ptrace(PTRACE_TRACEME, 0, 0, 0) == 0 ? 0 : 1; }
