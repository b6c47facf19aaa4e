/* interactor_sum accepting without a comment. */
#define SILENT
#include "interactor_sum.c"
