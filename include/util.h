/*
 * util.h - allocation that never returns NULL, bounded string helpers.
 */
#ifndef BW_UTIL_H
#define BW_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Print "bouncewatch: fatal: ..." on stderr and exit(1).  For start-up,
 * configuration and out-of-memory only. */
void fatal(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* malloc'd printf. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ASCII-only case folding, independent of the locale. */
static inline int bw_lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }
static inline bool bw_isspace(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
static inline bool bw_isdigit(int c) { return c >= '0' && c <= '9'; }
/* The value of a hex digit (either case), -1 for any other byte. */
static inline int bw_hexval(int c) { return bw_isdigit(c) ? c - '0' : ((c | 32) >= 'a' && (c | 32) <= 'f') ? (c | 32) - 'a' + 10 : -1; }
static inline bool bw_isalpha(int c) { return (c | 32) >= 'a' && (c | 32) <= 'z'; }

/* Copy the string src into dst[0..dstsz), always NUL-terminated, truncated
 * when it does not fit (no formatting: the cheap snprintf("%s")).  libc's
 * strnlen and memmove, not a byte loop: subjects and diagnostics run to
 * hundreds of bytes. */
static inline void bw_strlcpy(char *dst, const char *src, size_t dstsz)
{
	if (!dstsz)
		return;
	size_t n = strnlen(src, dstsz - 1);   /* reads no further than the loop it replaced */
	memmove(dst, src, n);                 /* as that loop, src may lie inside dst */
	dst[n] = '\0';
}

/*
 * bw_eol - the first '\n' in p..end, or end when there is none: the end of
 * the line at p.  Inline, 32 bytes a step with SSE2: lines of mail are
 * short, and a memchr call per line costs more than the search.
 */
static inline const char *bw_eol(const char *p, const char *end)
{
#ifdef __SSE2__
	const __m128i nl = _mm_set1_epi8('\n');
	while (end - p >= 32) {
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)p), nl)) |
			     (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 16)), nl)) << 16;
		if (m)
			return p + __builtin_ctz(m);
		p += 32;
	}
#endif
	const char *e = memchr(p, '\n', (size_t)(end - p));
	return e ? e : end;
}

/* The first byte a or b in p..end, or end when there is none.  Inline, 16
 * bytes a step with SSE2. */
static inline const char *bw_find2(const char *p, const char *end, char a, char b)
{
#ifdef __SSE2__
	const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b);
	for (; end - p >= 16; p += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, va), _mm_cmpeq_epi8(x, vb)));
		if (m)
			return p + __builtin_ctz(m);
	}
#endif
	while (p < end && *p != a && *p != b)
		p++;
	return p;
}

/* Case-insensitive search for needle (NUL-terminated, ASCII) in hay[0..len);
 * _n takes the needle's length (nl == strlen(needle)).  Inline, so that the
 * length of a constant needle is known when compiling. */
const char *bw_memcasemem_n(const char *hay, size_t len, const char *needle, size_t nl);
static inline const char *bw_memcasemem(const char *hay, size_t len, const char *needle)
{
	return bw_memcasemem_n(hay, len, needle, strlen(needle));
}
/* The first occurrence of needle[0..nl) in hay[0..len), exact bytes (as
 * memmem); NULL when none.  For needles of a few bytes to a few hundred,
 * found by their first two and last bytes 32 positions a step, then
 * compared. */
const char *bw_memmem(const char *hay, size_t len, const char *needle, size_t nl);
/* The first i with p[i] == a and p[i + 1] == b, i + 1 < len (both bytes
 * inside p[0..len)); NULL when there is none.  Exact bytes, no folding.
 * For a line start that begins with a given byte: a = '\n'. */
const char *bw_mempair(const char *p, size_t len, char a, char b);
/* Case-insensitive prefix test of hay[0..len) against a NUL-terminated word. */
bool bw_prefixcase(const char *hay, size_t len, const char *word);

/*
 * A set of patterns searched in one pass over a text (a trie walked from
 * every position where a pattern may begin; the first two levels are dense
 * tables; a set of long patterns skips along the text, see util.c).
 * Matching folds ASCII letters on both sides; other bytes match as they are.  With
 * BW_PSET_BLANKS a space in a pattern matches any run of blanks and line
 * ends in the text ("end of data" matches "end of\n   DATA").  A set is
 * built once (bw_pset_new never fails: out of memory is fatal), is read-only
 * afterwards and so may be shared by threads.  At most 65535 trie nodes.
 */
#define BW_PSET_BLANKS 1u
struct bw_pset;
struct bw_pset *bw_pset_new(const char *const *pats, size_t n, unsigned flags);
void bw_pset_free(struct bw_pset *s);
/* The lowest index of a pattern that occurs in text[0..len), or -1. */
int bw_pset_best(const struct bw_pset *s, const char *text, size_t len);
/* Where the first occurrence of any pattern begins, SIZE_MAX when none
 * occurs (the scan stops there). */
size_t bw_pset_earliest(const struct bw_pset *s, const char *text, size_t len);

/* A growable byte buffer with a cap: appends past cap fail (return false). */
struct bw_buf {
	char *data;     /* owned, always NUL-terminated when non-NULL */
	size_t len;
	size_t cap;     /* allocated */
	size_t limit;   /* 0 = no limit */
};
bool bw_buf_append(struct bw_buf *b, const void *p, size_t n);
bool bw_buf_printf(struct bw_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void bw_buf_free(struct bw_buf *b);

/* Read a whole file (or stdin for "-") into a malloc'd buffer, at most limit
 * bytes (more is an error: *too_big set).  Returns NULL with errno set. */
char *bw_read_file(const char *path, size_t limit, size_t *len, bool *too_big);

#endif
