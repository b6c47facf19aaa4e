/* Lifts its address-space limit. */
#include <sys/resource.h>
int main(void) { struct rlimit r = {RLIM_INFINITY, RLIM_INFINITY}; return setrlimit(RLIMIT_AS, &r) == 0 ? 0 : 1; }
