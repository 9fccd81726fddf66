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

/* How common a byte is in mail text, 0 (rare) .. 9 (very common): the
 * search anchors on the needle's rarest byte, so memchr skips far. */
static unsigned char rank_table[256];
static bool rank_ready;

static unsigned char byte_rank(unsigned char c)
{
	if (!rank_ready) {
		/* the same bytes are written by any thread that gets here first */
		static const char common[] = " etaoinsrhldcumfpgwybvk.,:-@<>";
		for (size_t i = 0; i + 1 < sizeof(common); i++) {
			unsigned char r = (unsigned char)(9 - i * 9 / 30);
			rank_table[(unsigned char)common[i]] = r;
			if (common[i] >= 'a' && common[i] <= 'z')
				rank_table[(unsigned char)common[i] - 32] = r;
		}
		rank_ready = true;
	}
	return rank_table[c];
}

static bool casecmp_n(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (bw_lower((unsigned char)a[i]) != bw_lower((unsigned char)b[i]))
			return false;
	return true;
}

const char *bw_memcasemem(const char *hay, size_t len, const char *needle)
{
	size_t nl = strlen(needle);
	if (nl == 0)
		return hay;
	if (nl > len)
		return NULL;
	/* anchor on the rarest byte of the needle */
	size_t k = 0;
	for (size_t i = 1; i < nl; i++)
		if (byte_rank((unsigned char)needle[i]) < byte_rank((unsigned char)needle[k]))
			k = i;
	unsigned char lo = (unsigned char)bw_lower((unsigned char)needle[k]);
	unsigned char up = (lo >= 'a' && lo <= 'z') ? (unsigned char)(lo - 32) : lo;
	const char *p = hay + k, *end = hay + len - (nl - k) + 1;   /* anchor positions */
	while (p < end) {
		const char *a = memchr(p, lo, (size_t)(end - p));
		const char *b = up != lo ? memchr(p, up, (size_t)((a ? a : end) - p)) : NULL;
		const char *c = b ? b : a;
		if (!c)
			return NULL;
		if (casecmp_n(c - k, needle, nl))
			return c - k;
		p = c + 1;
	}
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
