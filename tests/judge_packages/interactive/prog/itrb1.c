/* Guesses 1, 2, 3...: too many guesses but for the secret 1. */
#include <stdio.h>
int main(void) {
    char answer[4];
    for (int guess = 1; guess <= 1000; guess++) {
        printf("%d\n", guess);
        fflush(stdout);
        if (scanf("%3s", answer) != 1 || answer[0] == '=') return 0;
    }
    return 0;
}
