/* interactive_sum answering sum + 1. */
#define MODE 1
#include "interactive_sum.c"
