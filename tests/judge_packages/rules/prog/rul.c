/* The model: prints the word it reads. */
#include <stdio.h>
int main(void) {
    char word[64];
    if (scanf("%63s", word) != 1) return 1;
    printf("%s\n", word);
    return 0;
}
