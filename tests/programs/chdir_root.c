/* Changes its directory to /. */
#include <unistd.h>
int main(void) { return chdir("/"); }
