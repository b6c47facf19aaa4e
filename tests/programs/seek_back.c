/* Writes, seeks back to the start and writes again (overwriting, unless
 * its output is append-only). */
#include <unistd.h>
int main(void) { (void)!write(1, "AAAA", 4); lseek(1, 0, SEEK_SET); (void)!write(1, "BB", 2); return 0; }
