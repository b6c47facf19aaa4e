// cflags: -pthread
/* Starts a thread. */
#include <pthread.h>
static void *work(void *arg) { return arg; }
int main(void) { pthread_t t; if (pthread_create(&t, 0, work, 0)) return 2; pthread_join(t, 0); return 0; }
