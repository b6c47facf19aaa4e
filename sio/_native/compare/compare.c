/*
 * compare.c - streaming token comparison. See compare.h.
 *
 * Two readers walk the files. While their bytes agree, whole blocks are
 * compared with memcmp and only newlines are counted. At the first byte
 * that differs both readers are, by construction, at the same place of the
 * same token stream (everything before was identical), so the comparison
 * continues token by token from there; once a token compares equal the
 * fast path is tried again.
 */
#define _GNU_SOURCE
#include "compare.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define BUFFER_SIZE (1 << 20)
/* Bytes kept from the previous buffer so a token that started there can
 * still be quoted. */
#define CARRY (SIO_COMPARE_QUOTE_MAX + 1)
/* Room after the buffer to read the rest of a token being quoted. */
#define SLACK (SIO_COMPARE_QUOTE_MAX + 1)

struct reader {
    int fd;
    const char *name;
    unsigned char *base;      /* CARRY bytes of history, then the buffer */
    unsigned char *buf;       /* base + CARRY */
    size_t len, pos;
    size_t history;           /* valid bytes before buf (<= CARRY) */
    int eof;
    int error;                /* errno of a failed read */
    uint64_t line;            /* 1-based line of buf[pos] */
    uint64_t offset;          /* file offset of buf[0] */
};

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' ||
           c == '\f';
}

static uint64_t count_newlines(const unsigned char *p, size_t n)
{
    uint64_t count = 0;
    size_t i = 0;
#if defined(__SSE2__)
    const __m128i nl = _mm_set1_epi8('\n');
    for (; i + 64 <= n; i += 64) {
        __m128i a = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i)), nl);
        __m128i b = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i + 16)), nl);
        __m128i c = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i + 32)), nl);
        __m128i d = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i + 48)), nl);
        uint64_t mask = (uint64_t)(unsigned)_mm_movemask_epi8(a) |
                        (uint64_t)(unsigned)_mm_movemask_epi8(b) << 16 |
                        (uint64_t)(unsigned)_mm_movemask_epi8(c) << 32 |
                        (uint64_t)(unsigned)_mm_movemask_epi8(d) << 48;
        count += (uint64_t)__builtin_popcountll(mask);
    }
#endif
    for (; i < n; i++)
        count += p[i] == '\n';
    return count;
}

/* Refill when the buffer is used up. 1 if data is available, 0 at EOF or
 * on error (r->error set). */
static int fill(struct reader *r)
{
    if (r->pos < r->len)
        return 1;
    if (r->eof)
        return 0;
    /* History and buffer are contiguous: keep the last CARRY bytes of them
     * in front of the new buffer, so a token that started here can still
     * be quoted. */
    size_t keep = r->history + r->len;
    if (keep > CARRY)
        keep = CARRY;
    memmove(r->buf - keep, r->buf + r->len - keep, keep);
    r->history = keep;
    r->offset += r->len;
    r->len = r->pos = 0;
    for (;;) {
        ssize_t got = read(r->fd, r->buf, BUFFER_SIZE);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            r->error = errno;
            r->eof = 1;
            return 0;
        }
        if (got == 0) {
            r->eof = 1;
            return 0;
        }
        r->len = (size_t)got;
        return 1;
    }
}

/* Current byte, or -1 at end of file. */
static int peek(struct reader *r)
{
    if (r->pos >= r->len && !fill(r))
        return -1;
    return r->buf[r->pos];
}

static void advance(struct reader *r)
{
    if (r->buf[r->pos] == '\n')
        r->line++;
    r->pos++;
}

/* Skip whitespace; the next byte (or -1). */
static int skip_space(struct reader *r)
{
    int c;
    while ((c = peek(r)) >= 0 && is_space((unsigned char)c))
        advance(r);
    return c;
}

/* A quotable copy of a token: its start (possibly in history) up to the
 * current position and on past it to the token's end within the buffer. */
struct quote {
    char text[6 * SIO_COMPARE_FULL_MAX + 32];
};

/* Quoting may read a little past a full buffer to see where a token ends;
 * the comparison is over by then. */
static void extend(struct reader *r)
{
    if (r->eof || r->len >= BUFFER_SIZE + SLACK)
        return;
    ssize_t got;
    do {
        got = read(r->fd, r->buf + r->len, BUFFER_SIZE + SLACK - r->len);
    } while (got < 0 && errno == EINTR);
    if (got <= 0)
        r->eof = 1;
    else
        r->len += (size_t)got;
}

static char *put_escaped(char *out, unsigned char c)
{
    if (c == '"' || c == '\\') {
        *out++ = '\\';
        *out++ = (char)c;
    } else if (c < 0x20 || c >= 0x7f) {
        out += sprintf(out, "\\x%02x", c);
    } else {
        *out++ = (char)c;
    }
    return out;
}

/* oicompare's escaping: printable ASCII but '"', '<', '>' as it is, the
 * rest as <0xHH>. */
static char *put_oi_escaped(char *out, unsigned char c)
{
    if (c >= 32 && c <= 126 && c != '"' && c != '<' && c != '>')
        *out++ = (char)c;
    else
        out += sprintf(out, "<0x%02X>", c);
    return out;
}

/* The token around the current position, `back` bytes of it already
 * passed: quoted, escaped, and cut to SIO_COMPARE_QUOTE_MAX bytes around
 * the place of the difference (the legacy form's "..." marks). */
static void quote_token(struct reader *r, size_t back, struct quote *q)
{
    const size_t half = SIO_COMPARE_QUOTE_MAX / 2;
    size_t before = back;
    int cut_front = 0;
    if (before > r->pos + r->history) {
        before = r->pos + r->history;
        cut_front = 1;
    }
    if (before > half) {
        before = half;
        cut_front = 1;
    }
    char *out = q->text;
    *out++ = '"';
    if (cut_front)
        out += sprintf(out, "...");
    const unsigned char *p = r->buf + r->pos - before;
    for (size_t i = 0; i < before; i++)
        out = put_escaped(out, p[i]);
    size_t shown = before, at = r->pos;
    int cut_back = 0;
    for (;;) {
        if (at >= r->len) {
            extend(r);
            if (at >= r->len)
                break;
        }
        if (is_space(r->buf[at]))
            break;
        if (shown == SIO_COMPARE_QUOTE_MAX) {
            cut_back = 1;
            break;
        }
        out = put_escaped(out, r->buf[at++]);
        shown++;
    }
    if (cut_back)
        out += sprintf(out, "...");
    *out++ = '"';
    *out = '\0';
}

static int report_mismatch(struct reader *exp, size_t exp_back,
                           struct reader *fnd, size_t fnd_back, char *msg,
                           size_t msglen)
{
    struct quote e, f;
    uint64_t line = fnd->line;
    if (peek(exp) < 0 && exp_back == 0)
        snprintf(e.text, sizeof e.text, "end of file");
    else
        quote_token(exp, exp_back, &e);
    if (peek(fnd) < 0 && fnd_back == 0)
        snprintf(f.text, sizeof f.text, "end of file");
    else
        quote_token(fnd, fnd_back, &f);
    snprintf(msg, msglen, "line %llu: expected %s, found %s",
             (unsigned long long)line, e.text, f.text);
    return SIO_COMPARE_DIFFERENT;
}

static int read_error(struct reader *r, char *msg, size_t msglen)
{
    snprintf(msg, msglen, "cannot read %s: %s", r->name, strerror(r->error));
    return SIO_COMPARE_ERROR;
}

/* --- oicompare 1.0.2's rules (the checker_format modes) -------------------
 *
 * Tokens are words (runs of bytes that are neither white space nor a
 * newline), newlines and the end of file; white space is ' ', '\t', '\v',
 * '\r' and '\0' ('\f' is part of a word). Tokens must match one for one,
 * newlines included, except that newlines before the end of one file match
 * its end. A difference is reported at the line of the expected file, a
 * word abbreviated to at most OI_ABBREVIATED_MAX display units around its
 * first differing byte (a byte shown as <0xHH> counts 6, "…" 3): its first
 * byte, as much of the rest before the difference as fits (else cut with
 * "…"), the byte before the difference, the differing one and the next,
 * then as much of the rest as fits. */

#define OI_ABBREVIATED_MAX 100
#define OI_ELLIPSIS "\xe2\x80\xa6"
#define OI_ELLIPSIS_UNITS 3
/* More bytes of a word than any abbreviation can show. */
#define OI_WINDOW (OI_ABBREVIATED_MAX + 8)

static int is_oi_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\v' || c == '\r' || c == '\0';
}

static int oi_word_end(int c)
{
    return c < 0 || c == '\n' || is_oi_space((unsigned char)c);
}

static size_t oi_units(unsigned char c)
{
    return c >= 32 && c <= 126 && c != '"' && c != '<' && c != '>' ? 1 : 6;
}

/* n bytes of the current word from offset `from` (0: its first byte) into
 * out; the word's bytes up to the current position are `back` long. From
 * memory where they still are, else read again from the file (regular
 * files); how many were had. */
static size_t word_bytes(struct reader *r, size_t back, size_t from, size_t n,
                         unsigned char *out)
{
    /* The current position is byte `back` of the word. */
    if (from + n <= back + (r->len - r->pos) && from + r->history + r->pos >= back) {
        memcpy(out, r->buf + r->pos - back + from, n);
        return n;
    }
    uint64_t start = r->offset + r->pos - back + from;
    ssize_t got;
    do {
        got = pread(r->fd, out, n, (off_t)start);
    } while (got < 0 && errno == EINTR);
    if (got > 0)
        return (size_t)got;
    /* Not seekable: what memory still holds. */
    size_t had = 0;
    for (; had < n; had++) {
        ptrdiff_t at = (ptrdiff_t)r->pos - (ptrdiff_t)back + (ptrdiff_t)(from + had);
        if (at < -(ptrdiff_t)r->history || at >= (ptrdiff_t)r->len)
            break;
        out[had] = r->buf[at];
    }
    return had;
}

/* A span of a word that a cut mark was reserved for: shown whole if the
 * first `weighed` bytes of it (the span's own n, or more as oicompare
 * weighs them; (size_t)-1: more than fits) fit in place of the mark, else
 * as many of its n bytes as fit the limit, then the mark. *used: the
 * display units spent so far. */
static char *oi_put_span(char *out, const unsigned char *span, size_t n, size_t weighed,
                         size_t *used)
{
    size_t need = 0, room = OI_ABBREVIATED_MAX - (*used - OI_ELLIPSIS_UNITS);
    int fits = weighed != (size_t)-1;
    for (size_t i = 0; fits && i < weighed; i++) {
        need += oi_units(span[i]);
        fits = need <= room;
    }
    if (fits) {
        for (size_t i = 0; i < n; i++) {
            *used += oi_units(span[i]);
            out = put_oi_escaped(out, span[i]);
        }
        *used -= OI_ELLIPSIS_UNITS;
        return out;
    }
    for (size_t i = 0; i < n && *used + oi_units(span[i]) <= OI_ABBREVIATED_MAX; i++) {
        *used += oi_units(span[i]);
        out = put_oi_escaped(out, span[i]);
    }
    memcpy(out, OI_ELLIPSIS, strlen(OI_ELLIPSIS));
    return out + strlen(OI_ELLIPSIS);
}

/* The word at the reader, `back` of its bytes before the current position,
 * d the index of its first difference: quoted and abbreviated as
 * oicompare does (full: whole, up to SIO_COMPARE_FULL_MAX bytes). */
static void oi_quote_word(struct reader *r, size_t back, size_t d, int full,
                          struct quote *q)
{
    unsigned char head[OI_WINDOW], rest[OI_WINDOW + 1];
    size_t head_len = word_bytes(r, back, 0, d < OI_WINDOW ? d : OI_WINDOW, head);
    if (head_len == 0)
        head[0] = '?';  /* gone from memory, and the file cannot be read again */
    unsigned char before = 0;
    if (d > 0 && word_bytes(r, back, d - 1, 1, &before) != 1)
        before = d - 1 < head_len ? head[d - 1] : '?';
    /* From the difference to the word's end (or OI_WINDOW bytes of it). */
    size_t rest_len = word_bytes(r, back, d, sizeof rest, rest);
    for (size_t i = 0; i < rest_len; i++) {
        if (oi_word_end(rest[i])) {
            rest_len = i;
            break;
        }
    }
    int rest_whole = rest_len < sizeof rest;
    /* Bytes after the difference; "more than fits" when not whole. */
    size_t after = rest_whole ? rest_len : (size_t)-1;
    char *out = q->text;
    *out++ = '"';
    if (full) {  /* the whole word, up to SIO_COMPARE_FULL_MAX bytes */
        unsigned char word[SIO_COMPARE_FULL_MAX + 1];
        size_t len = word_bytes(r, back, 0, sizeof word, word);
        size_t shown = 0;
        while (shown < len && shown < SIO_COMPARE_FULL_MAX && !oi_word_end(word[shown]))
            out = put_oi_escaped(out, word[shown++]);
        if (shown == SIO_COMPARE_FULL_MAX && len > shown && !oi_word_end(word[shown])) {
            memcpy(out, OI_ELLIPSIS, strlen(OI_ELLIPSIS));
            out += strlen(OI_ELLIPSIS);
        }
        *out++ = '"';
        *out = '\0';
        return;
    }
    /* What is always shown, and the two cut marks it may need. */
    size_t used = 1;
    if (d > 0) {
        used += oi_units(before);
        if (d > 1) {
            used += oi_units(head[0]);
            if (d > 2)
                used += OI_ELLIPSIS_UNITS;
        }
    }
    if (after > 0)
        used += oi_units(rest[0]);
    if (after > 1) {
        used += oi_units(rest[1]);
        if (after > 2)
            used += OI_ELLIPSIS_UNITS;
    }
    used += 1;
    if (d > 1) {
        out = put_oi_escaped(out, head[0]);
        /* Bytes 1..d-1 (the one before the difference counted too, as
         * oicompare counts them) shown whole if they fit in place of the
         * cut mark; else as many as fit, then the mark. */
        /* Bytes 1..d-1 are weighed (the one before the difference too, as
         * oicompare does), 1..d-2 shown. */
        size_t shown = d - 2 < head_len ? d - 2 : (head_len ? head_len - 1 : 0);
        out = oi_put_span(out, head + 1, shown, d - 1 < head_len ? d - 1 : (size_t)-1,
                          &used);
    }
    if (d > 0)
        out = put_oi_escaped(out, before);
    if (after > 0)
        out = put_oi_escaped(out, rest[0]);
    if (after > 1)
        out = put_oi_escaped(out, rest[1]);
    if (after > 2)
        out = oi_put_span(out, rest + 2, rest_len - 2,
                          rest_whole ? rest_len - 2 : (size_t)-1, &used);
    *out++ = '"';
    *out = '\0';
}

/* How oicompare names the token at the reader. */
static void oi_describe(struct reader *r, size_t back, size_t d, int full, int polish,
                        struct quote *q)
{
    int c = peek(r);
    if (back == 0 && c < 0)
        snprintf(q->text, sizeof q->text, "%s", polish ? "koniec pliku" : "end of file");
    else if (back == 0 && c == '\n')
        snprintf(q->text, sizeof q->text, "%s",
                 polish ? "koniec wiersza" : "end of line");
    else
        oi_quote_word(r, back, d, full, q);
}

static int oi_report(struct reader *exp, size_t exp_back, struct reader *fnd,
                     size_t fnd_back, size_t d, char *msg, size_t msglen,
                     const struct sio_compare_format *fmt)
{
    int pl = fmt->language == SIO_COMPARE_POLISH;
    if (fmt->kind == SIO_COMPARE_TERSE) {
        snprintf(msg, msglen, "%s", pl ? "\xc5\xb9LE" : "WRONG");
        return SIO_COMPARE_DIFFERENT;
    }
    struct quote e, f;
    int full = fmt->kind == SIO_COMPARE_FULL;
    oi_describe(exp, exp_back, d, full, pl, &e);
    oi_describe(fnd, fnd_back, d, full, pl, &f);
    snprintf(msg, msglen,
             pl ? "\xc5\xb9LE: wiersz %llu: oczekiwano %s, otrzymano %s"
                : "WRONG: line %llu: expected %s, got %s",
             (unsigned long long)exp->line, e.text, f.text);
    return SIO_COMPARE_DIFFERENT;
}

/* Skip white space (not newlines); the next byte or -1. */
static int oi_skip_space(struct reader *r)
{
    int c;
    while ((c = peek(r)) >= 0 && is_oi_space((unsigned char)c))
        advance(r);
    return c;
}

/* Skip white space and newlines: what oicompare does to the file that has
 * not ended when the other has. */
static int oi_skip_lines(struct reader *r)
{
    int c;
    while ((c = peek(r)) >= 0 && (c == '\n' || is_oi_space((unsigned char)c)))
        advance(r);
    return c;
}

/* Bytes of the current word already consumed (identical in both files). */
static size_t oi_word_prefix(struct reader *r)
{
    size_t n = 0;
    while (n < r->pos + r->history && n <= OI_WINDOW) {
        unsigned char c = r->buf[(ptrdiff_t)r->pos - (ptrdiff_t)n - 1];
        if (c == '\n' || is_oi_space(c))
            break;
        n++;
    }
    return n;
}

/* How far back the current word starts (the files are read again, a
 * block at a time, for a word longer than what memory keeps). */
static size_t oi_word_start(struct reader *r)
{
    unsigned char chunk[4096];
    size_t back = 0;
    uint64_t here = r->offset + r->pos;
    while (back < here) {
        size_t n = here - back < sizeof chunk ? here - back : sizeof chunk;
        ssize_t got;
        do {
            got = pread(r->fd, chunk, n, (off_t)(here - back - n));
        } while (got < 0 && errno == EINTR);
        if (got != (ssize_t)n)
            return oi_word_prefix(r);  /* not seekable: what memory has */
        for (size_t i = n; i > 0; i--) {
            if (chunk[i - 1] == '\n' || is_oi_space(chunk[i - 1]))
                return back;
            back++;
        }
    }
    return back;
}

/* compare_tokens under oicompare's rules. */
static int compare_tokens_oi(struct reader *a, struct reader *b, char *msg, size_t msglen,
                             const struct sio_compare_format *fmt)
{
    size_t back = oi_word_prefix(b);
    if (back > OI_WINDOW)
        back = oi_word_start(b);
    for (;;) {
        if (back == 0) {
            int ca = oi_skip_space(a), cb = oi_skip_space(b);
            if (a->error || b->error)
                return read_error(a->error ? a : b, msg, msglen);
            if (ca < 0)
                cb = oi_skip_lines(b);
            else if (cb < 0)
                ca = oi_skip_lines(a);
            if (ca < 0 && cb < 0)
                return SIO_COMPARE_SAME;
            if (ca < 0 || cb < 0 || (ca == '\n') != (cb == '\n'))
                return oi_report(a, 0, b, 0, 0, msg, msglen, fmt);
            if (ca == '\n') {
                advance(a);
                advance(b);
                goto next;
            }
        }
        /* Walk one word in both; back counts its bytes seen so far. */
        for (;;) {
            int ca = peek(a), cb = peek(b);
            if (a->error || b->error)
                return read_error(a->error ? a : b, msg, msglen);
            int end_a = oi_word_end(ca), end_b = oi_word_end(cb);
            if (end_a && end_b)
                break;
            if (end_a || end_b || ca != cb)
                return oi_report(a, back, b, back, back, msg, msglen, fmt);
            advance(a);
            advance(b);
            back++;
        }
    next:
        back = 0;
        /* Equal tokens. If the bytes agree from here on, go fast again. */
        if (peek(a) >= 0 && peek(b) >= 0 && a->buf[a->pos] == b->buf[b->pos])
            return -1;
    }
}

/* Bytes of the current token already consumed (identical in both files). */
static size_t token_prefix(struct reader *r)
{
    size_t n = 0;
    while (n < r->pos + r->history && n <= SIO_COMPARE_QUOTE_MAX) {
        unsigned char c = r->buf[(ptrdiff_t)r->pos - (ptrdiff_t)n - 1];
        if (is_space(c))
            break;
        n++;
    }
    return n;
}

/* Both readers stand where their bytes differ, inside or between tokens,
 * with equal history. Compare tokens until they agree again at a token end.
 * Returns -1 to go on with the fast path, else a status. */
static int compare_tokens(struct reader *a, struct reader *b, char *msg,
                          size_t msglen)
{
    /* Within a token if the (shared) previous byte was not whitespace. */
    size_t back = token_prefix(b);
    for (;;) {
        if (back == 0) {
            int ca = skip_space(a), cb = skip_space(b);
            if (a->error || b->error)
                return read_error(a->error ? a : b, msg, msglen);
            if (ca < 0 && cb < 0)
                return SIO_COMPARE_SAME;
            if (ca < 0 || cb < 0)
                return report_mismatch(a, 0, b, 0, msg, msglen);
        }
        /* Walk one token in both; back counts its bytes seen so far. */
        for (;;) {
            int ca = peek(a), cb = peek(b);
            if (a->error || b->error)
                return read_error(a->error ? a : b, msg, msglen);
            int end_a = ca < 0 || is_space((unsigned char)ca);
            int end_b = cb < 0 || is_space((unsigned char)cb);
            if (end_a && end_b)
                break;
            if (end_a || end_b || ca != cb)
                return report_mismatch(a, back, b, back, msg, msglen);
            advance(a);
            advance(b);
            back++;
        }
        back = 0;
        /* Equal tokens. If the bytes agree from here on, go fast again. */
        if (peek(a) >= 0 && peek(b) >= 0 && a->buf[a->pos] == b->buf[b->pos])
            return -1;
    }
}

static int compare_readers(struct reader *a, struct reader *b, char *msg,
                           size_t msglen, const struct sio_compare_format *fmt)
{
    for (;;) {
        int ha = peek(a) >= 0, hb = peek(b) >= 0;
        if (a->error)
            return read_error(a, msg, msglen);
        if (b->error)
            return read_error(b, msg, msglen);
        if (!ha && !hb)
            return SIO_COMPARE_SAME;
        if (ha && hb) {
            size_t n = a->len - a->pos;
            if (b->len - b->pos < n)
                n = b->len - b->pos;
            const unsigned char *pa = a->buf + a->pos, *pb = b->buf + b->pos;
            size_t same = 0;
            uint64_t lines = 0;
            /* Find the first differing byte, a cache-sized block at a
             * time, counting the newlines of each equal block while it is
             * still in cache. */
            while (same < n) {
                size_t block = n - same < 16384 ? n - same : 16384;
                if (memcmp(pa + same, pb + same, block) != 0) {
                    size_t start = same;
                    while (pa[same] == pb[same])
                        same++;
                    lines += count_newlines(pa + start, same - start);
                    break;
                }
                lines += count_newlines(pa + same, block);
                same += block;
            }
            a->line += lines;
            b->line += lines;
            a->pos += same;
            b->pos += same;
            if (same == n)
                continue;  /* one buffer used up: refill and go on */
        }
        int rc = fmt && fmt->kind != SIO_COMPARE_LEGACY
                     ? compare_tokens_oi(a, b, msg, msglen, fmt)
                     : compare_tokens(a, b, msg, msglen);
        if (rc >= 0)
            return rc;
    }
}

static int compare_fds(int expected_fd, const char *expected_name, int found_fd,
                       const char *found_name, const struct sio_compare_format *fmt,
                       char *msg, size_t msglen)
{
    struct reader r[2] = {
        {.fd = expected_fd, .name = expected_name, .line = 1},
        {.fd = found_fd, .name = found_name, .line = 1},
    };
    msg[0] = '\0';
    for (int i = 0; i < 2; i++) {
        r[i].base = malloc(CARRY + BUFFER_SIZE + SLACK);
        if (!r[i].base) {
            free(r[0].base);
            snprintf(msg, msglen, "out of memory");
            return SIO_COMPARE_ERROR;
        }
        r[i].buf = r[i].base + CARRY;
        (void)posix_fadvise(r[i].fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    }
    int rc = compare_readers(&r[0], &r[1], msg, msglen, fmt);
    free(r[0].base);
    free(r[1].base);
    return rc;
}

int sio_compare_fds(int expected_fd, const char *expected_name, int found_fd,
                    const char *found_name, char *msg, size_t msglen)
{
    return compare_fds(expected_fd, expected_name, found_fd, found_name, NULL, msg,
                       msglen);
}

int sio_compare_format_by_name(const char *name, struct sio_compare_format *fmt)
{
    static const struct {
        const char *name;
        int language, kind;
    } names[] = {
        {"english_terse", SIO_COMPARE_ENGLISH, SIO_COMPARE_TERSE},
        {"english_abbreviated", SIO_COMPARE_ENGLISH, SIO_COMPARE_ABBREVIATED},
        {"english_full", SIO_COMPARE_ENGLISH, SIO_COMPARE_FULL},
        {"polish_terse", SIO_COMPARE_POLISH, SIO_COMPARE_TERSE},
        {"polish_abbreviated", SIO_COMPARE_POLISH, SIO_COMPARE_ABBREVIATED},
        {"polish_full", SIO_COMPARE_POLISH, SIO_COMPARE_FULL},
    };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        if (!strcmp(name, names[i].name)) {
            fmt->language = names[i].language;
            fmt->kind = names[i].kind;
            return 0;
        }
    }
    return -1;
}

int sio_compare_files(const char *expected, const char *found, char *msg,
                      size_t msglen)
{
    return sio_compare_files_fmt(expected, found, NULL, msg, msglen);
}

int sio_compare_files_fmt(const char *expected, const char *found,
                          const struct sio_compare_format *fmt, char *msg,
                          size_t msglen)
{
    int fds[2];
    const char *names[2] = {expected, found};
    for (int i = 0; i < 2; i++) {
        fds[i] = open(names[i], O_RDONLY | O_CLOEXEC);
        if (fds[i] < 0) {
            snprintf(msg, msglen, "cannot open %s: %s", names[i],
                     strerror(errno));
            if (i)
                close(fds[0]);
            return SIO_COMPARE_ERROR;
        }
    }
    int rc = compare_fds(fds[0], expected, fds[1], found, fmt, msg, msglen);
    close(fds[0]);
    close(fds[1]);
    return rc;
}
