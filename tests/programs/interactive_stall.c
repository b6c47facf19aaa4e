/* interactive_sum that never answers. */
#define MODE 3
#include "interactive_sum.c"
