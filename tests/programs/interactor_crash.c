/* interactor_sum that aborts after reading an answer. */
#define CRASH
#include "interactor_sum.c"
