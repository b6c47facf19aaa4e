/* Integer division by zero. */
int main(int argc, char **argv) { (void)argv; volatile int zero = 0; volatile int r = (argc + 1000) / zero; return r; }
