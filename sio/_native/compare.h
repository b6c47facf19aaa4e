/*
 * compare.h - whitespace-insensitive token comparison of two files.
 *
 * The files are streamed through two fixed buffers: memory use does not
 * depend on file sizes, token lengths or line lengths. Identical stretches
 * are compared with memcmp (the common case: a correct answer); only where
 * the bytes differ does the comparison fall back to walking tokens, so
 * "1 2\n" and "1   2 \r\n" are equal while "12" and "1 2" are not.
 *
 * Whitespace is ' ', '\t', '\n', '\v', '\f', '\r'; every other byte,
 * NUL included, is part of a token.
 */
#ifndef SIO_COMPARE_H
#define SIO_COMPARE_H

#include <stddef.h>
#include <stdint.h>

enum sio_compare_status {
    SIO_COMPARE_SAME = 0,      /* the files hold the same tokens */
    SIO_COMPARE_DIFFERENT = 1, /* message says where and how */
    SIO_COMPARE_ERROR = 2,     /* a file could not be read: message says why */
};

/* Longest token prefix quoted in a message (longer ones are cut with "..."). */
#define SIO_COMPARE_QUOTE_MAX 40

/* Compare the tokens of `expected` against those of `found` (paths).
 * Writes a one-line message (no newline) into msg when they differ or on
 * error, e.g. `line 3: expected "42", found "43"`; line numbers are those of
 * `found`. */
int sio_compare_files(const char *expected, const char *found, char *msg,
                      size_t msglen);

/* The same on open descriptors (names are only used in error messages). */
int sio_compare_fds(int expected_fd, const char *expected_name, int found_fd,
                    const char *found_name, char *msg, size_t msglen);

#endif
