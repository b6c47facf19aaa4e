/* interactive_sum exiting without reading. */
#define MODE 2
#include "interactive_sum.c"
