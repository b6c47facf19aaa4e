/* 30 MiB of initialized static data (in the binary), all read. */
static char big[30 << 20] = {1};
int main(void) { unsigned long s = 0; for (unsigned long i = 0; i < sizeof big; i += 4096) s += big[i]; return s == 1 ? 0 : 1; }
