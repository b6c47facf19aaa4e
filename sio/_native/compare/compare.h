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

/* How a difference is described. SIO_COMPARE_LEGACY: `line 3: expected
 * "42", found "43"` (tokens cut to SIO_COMPARE_QUOTE_MAX bytes with "...").
 * The others are oicompare's (checker_format): `WRONG: line 3: expected
 * "42", got "43"` in English, `ŹLE: wiersz 3: oczekiwano "42", otrzymano
 * "43"` in Polish; terse is `WRONG` / `ŹLE` alone; abbreviated cuts tokens
 * around the first differing byte with "…", full shows them whole (up to
 * SIO_COMPARE_FULL_MAX bytes). Non-printable bytes and '"', '<', '>' are
 * shown as <0xHH>. */
enum sio_compare_kind {
    SIO_COMPARE_LEGACY = 0,
    SIO_COMPARE_TERSE,
    SIO_COMPARE_ABBREVIATED,
    SIO_COMPARE_FULL,
};
enum sio_compare_language { SIO_COMPARE_ENGLISH = 0, SIO_COMPARE_POLISH };

struct sio_compare_format {
    int kind;      /* enum sio_compare_kind */
    int language;  /* enum sio_compare_language */
};

#define SIO_COMPARE_FULL_MAX 400

/* A checker_format name (english_abbreviated, polish_full, ...) into fmt.
 * 0, or -1 when unknown. */
int sio_compare_format_by_name(const char *name, struct sio_compare_format *fmt);

/* sio_compare_files with a message in the form fmt says (NULL: legacy). */
int sio_compare_files_fmt(const char *expected, const char *found,
                          const struct sio_compare_format *fmt, char *msg,
                          size_t msglen);

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
