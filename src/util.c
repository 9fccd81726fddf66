/*
 * util.c - allocation wrappers, bounded buffers, small string helpers.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

void fatal(const char *fmt, ...)
{
	va_list ap;
	fputs("bouncewatch: fatal: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		fatal("out of memory (%zu bytes)", n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		fatal("out of memory (%zu x %zu bytes)", n, size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		fatal("out of memory (%zu bytes)", n);
	return q;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatal("bad format");
	char *p = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

static bool casecmp_n(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (bw_lower((unsigned char)a[i]) != bw_lower((unsigned char)b[i]))
			return false;
	return true;
}

/*
 * bw_memcasemem - the first case-insensitive occurrence of needle in
 * hay[0..len).  It filters positions 16 at a time on the needle's first and
 * last bytes, folded by OR 0x20 (which maps 'A'-'Z' onto 'a'-'z' and may let
 * a few other bytes through), then checks each candidate exactly.  This is
 * the classifier's hot loop: phrase and marker searches over bounce text.
 */
const char *bw_memcasemem(const char *hay, size_t len, const char *needle)
{
	size_t nl = strlen(needle);
	if (nl == 0)
		return hay;
	if (nl > len)
		return NULL;
	const unsigned char f = (unsigned char)needle[0] | 0x20;
	const unsigned char l = (unsigned char)needle[nl - 1] | 0x20;
	size_t i = 0;
	const size_t last = len - nl;            /* the last position a match may start */
#ifdef __SSE2__
	const __m128i vf = _mm_set1_epi8((char)f), vl = _mm_set1_epi8((char)l);
	const __m128i fold = _mm_set1_epi8(0x20);
	for (; i + 16 <= last + 1; i += 16) {
		__m128i a = _mm_or_si128(_mm_loadu_si128((const __m128i *)(const void *)(hay + i)), fold);
		__m128i b = _mm_or_si128(_mm_loadu_si128((const __m128i *)(const void *)(hay + i + nl - 1)), fold);
		unsigned mask = (unsigned)_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(a, vf),
									  _mm_cmpeq_epi8(b, vl)));
		while (mask) {
			unsigned bit = (unsigned)__builtin_ctz(mask);
			if (casecmp_n(hay + i + bit, needle, nl))
				return hay + i + bit;
			mask &= mask - 1;
		}
	}
#endif
	for (; i <= last; i++)
		if (((unsigned char)hay[i] | 0x20) == f && ((unsigned char)hay[i + nl - 1] | 0x20) == l &&
		    casecmp_n(hay + i, needle, nl))
			return hay + i;
	return NULL;
}

bool bw_prefixcase(const char *hay, size_t len, const char *word)
{
	size_t i = 0;
	for (; word[i]; i++)
		if (i >= len || bw_lower((unsigned char)hay[i]) != bw_lower((unsigned char)word[i]))
			return false;
	return true;
}

bool bw_buf_append(struct bw_buf *b, const void *p, size_t n)
{
	if (b->limit && b->len + n > b->limit)
		return false;
	if (b->len + n + 1 > b->cap) {
		size_t nc = b->cap ? b->cap : 256;
		while (nc < b->len + n + 1)
			nc *= 2;
		b->data = xrealloc(b->data, nc);
		b->cap = nc;
	}
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return true;
}

bool bw_buf_printf(struct bw_buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[512];
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return false;
	if ((size_t)n < sizeof(small))
		return bw_buf_append(b, small, (size_t)n);
	char *big = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	bool ok = bw_buf_append(b, big, (size_t)n);
	free(big);
	return ok;
}

void bw_buf_free(struct bw_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

char *bw_read_file(const char *path, size_t limit, size_t *len, bool *too_big)
{
	int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t cap = 65536, n = 0;
	char *buf = xmalloc(cap + 1);
	*too_big = false;
	for (;;) {
		if (n == cap) {
			if (limit && cap >= limit + 1) {
				*too_big = true;
				break;
			}
			cap *= 2;
			buf = xrealloc(buf, cap + 1);
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			if (fd != STDIN_FILENO)
				close(fd);
			free(buf);
			errno = e;
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (limit && n > limit) {
			*too_big = true;
			break;
		}
	}
	if (fd != STDIN_FILENO)
		close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
}
