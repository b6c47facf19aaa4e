/* Sleeps 1.5 s (no CPU), then prints the sum of two numbers. */
#include <stdio.h>
#include <time.h>
int main(void)
{
    struct timespec nap = {1, 500000000};
    nanosleep(&nap, NULL);
    long a, b;
    if (scanf("%ld %ld", &a, &b) != 2)
        return 1;
    printf("%ld\n", a + b);
    return 0;
}
