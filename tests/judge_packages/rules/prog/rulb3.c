/* Right on group 3 but wrong on group 2, which group 3 depends on. */
#include <stdio.h>
#include <string.h>
int main(void) {
    char word[64];
    if (scanf("%63s", word) != 1) return 1;
    puts(!strcmp(word, "gamma") ? "wrong" : word);
    return 0;
}
