/* A solution for interactor_sum: reads two numbers and answers their sum,
 * then waits for the interactor's "0 0". Variants (MODE, set by the files
 * that include this one): 1 answers sum + 1, 2 exits without reading,
 * 3 never answers. */
#include <stdio.h>
#include <unistd.h>

#ifndef MODE
#define MODE 0
#endif

int main(void)
{
    if (MODE == 2)
        return 0;
    long a, b;
    if (scanf("%ld %ld", &a, &b) != 2)
        return 1;
    if (MODE == 3)
        for (;;)
            pause();
    printf("%ld\n", a + b + (MODE == 1));
    fflush(stdout);
    if (scanf("%ld %ld", &a, &b) != 2)
        return 1;
    return 0;
}
