/* The interactor: itrsoc N R0 W0 (one solution process); the secret on
 * stdin; answers each guess with <, > or =; at most 10 guesses. */
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
    int secret, guess, asked = 0;
    if (argc != 4 || scanf("%d", &secret) != 1) return 3;
    FILE *from = fdopen(atoi(argv[2]), "r"), *to = fdopen(atoi(argv[3]), "w");
    if (!from || !to) return 3;
    while (fscanf(from, "%d", &guess) == 1) {
        if (++asked > 10) {
            printf("WRONG\ntoo many guesses\n");
            return 0;
        }
        fprintf(to, "%s\n", guess < secret ? "<" : guess > secret ? ">" : "=");
        fflush(to);
        if (guess == secret) {
            printf("OK\nfound in %d guesses\n100\n", asked);
            return 0;
        }
    }
    printf("WRONG\nthe solution stopped guessing\n");
    return 0;
}
