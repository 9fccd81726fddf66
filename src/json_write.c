/*
 * json_write.c - the streaming JSON writer (json_write.h).
 *
 * A string is escaped in one pass that also checks its UTF-8: runs of
 * plain ASCII (no control character, '"' or '\') are copied 16 bytes a step
 * with SSE2 (shorter ones in two overlapping blocks), the rest a byte or a
 * character at a time.  Room for the worst case (6 bytes out per byte in:
 * \u00XX) is made once per string, so the copy loops never test for room.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "json_write.h"
#include "util.h"

struct jw *jw_new(void)
{
	return xcalloc(1, sizeof(struct jw));
}

void jw_free(struct jw *w)
{
	if (!w)
		return;
	free(w->buf);
	free(w);
}

void jw_reset(struct jw *w)
{
	w->len = 0;
	w->sep = false;
}

const char *jw_data(const struct jw *w, size_t *len)
{
	*len = w->len;
	if (!w->buf)
		return "";
	w->buf[w->len] = '\0';   /* there is always room for it (jw_grow_) */
	return w->buf;
}

struct jw_mark jw_mark(const struct jw *w)
{
	struct jw_mark m = { w->len, w->sep };
	return m;
}

void jw_rewind(struct jw *w, struct jw_mark m)
{
	w->len = m.len;
	w->sep = m.sep;
}

void jw_grow_(struct jw *w, size_t n)
{
	if (n > SIZE_MAX / 4 - w->len)
		fatal("out of memory (JSON text of %zu bytes)", w->len);
	size_t cap = w->cap ? w->cap : 256;
	while (cap <= w->len + n)
		cap *= 2;
	w->buf = xrealloc(w->buf, cap);
	w->cap = cap;
}

/* Write c; value: it ends a value (a ',' before the next). */
static void put_char(struct jw *w, char c, bool value)
{
	char *d = jw_item_(w, 1);
	*d++ = c;
	w->len = (size_t)(d - w->buf);
	w->sep = value;
}

void jw_object_begin(struct jw *w) { put_char(w, '{', false); }
void jw_array_begin(struct jw *w) { put_char(w, '[', false); }

/* A closing bracket ends a value, and no ',' goes before it. */
static void close_with(struct jw *w, char c)
{
	w->sep = false;
	put_char(w, c, true);
}

void jw_object_end(struct jw *w) { close_with(w, '}'); }
void jw_array_end(struct jw *w) { close_with(w, ']'); }

void jw_int(struct jw *w, int64_t v)
{
	char num[24], *p = num + sizeof(num);
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	jw_word_(w, p, (size_t)(num + sizeof(num) - p));
}

void jw_newline(struct jw *w)
{
	close_with(w, '\n');
	w->sep = false;
}

/* 0: copied as it is; 1: escaped; 2: the first byte of a non-ASCII
 * character (or not UTF-8 at all). */
static const unsigned char byte_class[256] = {
	[0 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1, [0x80 ... 0xff] = 2,
};

#ifdef __SSE2__
/* The bytes of x that end a plain run, one bit each: below 0x20 or from
 * 0x80 up (a signed compare: those are negative), '"', '\'. */
static inline unsigned special_bits(__m128i x)
{
	const __m128i ctl = _mm_set1_epi8(0x20), quote = _mm_set1_epi8('"'), bsl = _mm_set1_epi8('\\');
	__m128i m = _mm_or_si128(_mm_cmplt_epi8(x, ctl),
				 _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bsl)));
	return (unsigned)_mm_movemask_epi8(m);
}

/* s[0..n), 8 <= n < 16, as two blocks of 8 that overlap (n < 16 bytes read
 * and written, none past n); the same for 4 <= n < 8 with blocks of 4. */
static inline size_t copy_plain_short(char *d, const unsigned char *s, size_t n)
{
	unsigned bits, k;
	if (n >= 8) {
		uint64_t lo, hi;
		memcpy(&lo, s, 8);
		memcpy(&hi, s + n - 8, 8);
		memcpy(d, &lo, 8);
		memcpy(d + n - 8, &hi, 8);
		bits = special_bits(_mm_set_epi64x((long long)hi, (long long)lo));
		if (!bits)
			return n;
		k = (unsigned)__builtin_ctz(bits);
		return k < 8 ? k : n - 16 + k;   /* lane k >= 8 holds s[n - 16 + k] */
	}
	uint32_t lo, hi;
	memcpy(&lo, s, 4);
	memcpy(&hi, s + n - 4, 4);
	memcpy(d, &lo, 4);
	memcpy(d + n - 4, &hi, 4);
	bits = special_bits(_mm_set_epi32(0, 0, (int)hi, (int)lo)) & 0xffu;   /* lanes 8-15 are 0 */
	if (!bits)
		return n;
	k = (unsigned)__builtin_ctz(bits);
	return k < 4 ? k : n - 8 + k;       /* lane k >= 4 holds s[n - 8 + k] */
}
#endif

/*
 * copy_plain - copy the run of plain bytes at the start of s[0..n) to d;
 * returns its length.  With SSE2, 16 bytes a step, the last block
 * overlapping the one before it, and a short text in two overlapping
 * halves: bytes of s after the run may be copied too (the caller writes
 * over them), but nothing is read or written past n.
 */
static inline size_t copy_plain(char *d, const unsigned char *s, size_t n)
{
	size_t i = 0;
#ifdef __SSE2__
	if (n >= 16) {
		for (; n - i >= 16; i += 16) {
			__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
			_mm_storeu_si128((__m128i *)(void *)(d + i), x);
			unsigned bits = special_bits(x);
			if (bits)
				return i + (size_t)__builtin_ctz(bits);
		}
		if (i == n)
			return n;
		/* s[n - 16 .. i) is plain and already in d[]: its lanes drop out */
		size_t j = n - 16;
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + j));
		_mm_storeu_si128((__m128i *)(void *)(d + j), x);
		unsigned bits = special_bits(x) >> (i - j);
		return bits ? i + (size_t)__builtin_ctz(bits) : n;
	}
	if (n >= 4)
		return copy_plain_short(d, s, n);
#endif
	for (; i < n && !byte_class[s[i]]; i++)
		d[i] = (char)s[i];
	return i;
}

/*
 * utf8_len - the length of the UTF-8 character at s (s < end, *s >= 0x80),
 * 0 when it is not one by jansson's rules (utf8_check_first/_full): a lone
 * continuation byte, C0/C1, F5-FF, a short or broken sequence, an overlong
 * form, a surrogate, above U+10FFFF.
 */
static size_t utf8_len(const unsigned char *s, const unsigned char *end)
{
	unsigned c = s[0];
	size_t n;
	uint32_t v;
	if (c < 0xc2)
		return 0;
	if (c < 0xe0) {
		n = 2;
		v = c & 0x1f;
	} else if (c < 0xf0) {
		n = 3;
		v = c & 0x0f;
	} else if (c < 0xf5) {
		n = 4;
		v = c & 0x07;
	} else {
		return 0;
	}
	if ((size_t)(end - s) < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3fu);
	}
	if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff) || (n == 3 && v < 0x800) ||
	    (n == 4 && v < 0x10000))
		return 0;
	return n;
}

/* The escape of c (below 0x20, '"' or '\') at d; returns the end. */
static char *escape_byte(char *d, unsigned c)
{
	static const char hex[] = "0123456789ABCDEF";
	static const char short_form[0x20] = { ['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r',
					       ['\t'] = 't' };
	*d++ = '\\';
	if (c == '"' || c == '\\') {
		*d++ = (char)c;
	} else if (short_form[c]) {
		*d++ = short_form[c];
	} else {
		memcpy(d, "u00", 3);
		d[3] = hex[c >> 4];
		d[4] = hex[c & 15];
		d += 5;
	}
	return d;
}

/*
 * escape - s[0..n) escaped at d (room for 6n + 16 bytes), without quotes;
 * returns the end.  latin1: a byte from 0x80 up is that Latin-1 character
 * (two bytes of UTF-8); else it must begin a valid UTF-8 character, which is
 * copied, and NULL is returned at the first that does not.
 */
static char *escape(char *d, const unsigned char *s, size_t n, bool latin1)
{
	const unsigned char *end = s + n;
	for (;;) {
		size_t k = copy_plain(d, s, (size_t)(end - s));
		s += k;
		d += k;
		if (s == end)
			return d;
		unsigned c = *s;
		if (c < 0x80) {
			d = escape_byte(d, c);
			s++;
		} else if (latin1) {
			*d++ = (char)(0xc0 | c >> 6);
			*d++ = (char)(0x80 | (c & 0x3f));
			s++;
		} else {
			size_t len = utf8_len(s, end);
			if (!len)
				return NULL;
			d[0] = (char)s[0];
			d[1] = (char)s[1];
			if (len > 2)
				d[2] = (char)s[2];
			if (len > 3)
				d[3] = (char)s[3];
			d += len;
			s += len;
		}
	}
}

/* A quoted string; false (nothing written) when it is not UTF-8 and
 * latin1 is false. */
static bool put_string(struct jw *w, const char *s, size_t n, bool latin1)
{
	if (n > (SIZE_MAX - 32) / 6)
		fatal("out of memory (JSON string of %zu bytes)", n);
	bool sep = w->sep;
	char *d = jw_item_(w, 6 * n + 2);
	*d++ = '"';
	d = escape(d, (const unsigned char *)s, n, latin1);
	if (!d) {
		w->sep = sep;   /* w->len untouched */
		return false;
	}
	*d++ = '"';
	w->len = (size_t)(d - w->buf);
	w->sep = true;
	return true;
}

bool jw_string(struct jw *w, const char *s, size_t n)
{
	return put_string(w, s, n, false);
}

void jw_text(struct jw *w, const char *s, size_t n)
{
	if (!put_string(w, s, n, false))
		put_string(w, s, n, true);
}
