/* Wrong on the examples alone (group 0 scores nothing anyway). */
#include <stdio.h>
#include <string.h>
int main(void) {
    char word[64];
    if (scanf("%63s", word) != 1) return 1;
    puts(!strcmp(word, "zero") || !strcmp(word, "ocen") ? "wrong" : word);
    return 0;
}
