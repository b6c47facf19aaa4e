/* Does nothing: the fixed cost of a run (benchmark). */
int main(void) { return 0; }
