/* Shared by the generator, the verifier, the checker and the model. */
static inline long long oi_answer(long long x) { return 2 * x; }
