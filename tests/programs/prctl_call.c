/* A harmless prctl first (allowed), then PR_SET_DUMPABLE (forbidden). */
#include <sys/prctl.h>
int main(void) { char name[16]; if (prctl(PR_GET_NAME, name)) return 2; return prctl(PR_SET_DUMPABLE, 1) == 0 ? 0 : 1; }
