/*
 * addr.c - finding and normalising e-mail addresses in untrusted text.
 */
#include "config.h"

#include <string.h>

#include "detect.h"
#include "util.h"

/*
 * The bytes of an address, one table lookup each (these tests run on every
 * byte around every '@' of the text).  A local part holds letters, digits,
 * RFC 5322 atext punctuation, dots and any byte past 0x7f (EAI).  Domains
 * are ASCII (IDNs travel as punycode): a byte past 0x7f ends one, so that
 * punctuation of other scripts does not stick to it.
 */
#define ADDR_LOCAL 1u
#define ADDR_DOMAIN 2u
static const unsigned char addr_class[256] = {
	['0' ... '9'] = ADDR_LOCAL | ADDR_DOMAIN,
	['A' ... 'Z'] = ADDR_LOCAL | ADDR_DOMAIN,
	['a' ... 'z'] = ADDR_LOCAL | ADDR_DOMAIN,
	['-'] = ADDR_LOCAL | ADDR_DOMAIN, ['.'] = ADDR_LOCAL | ADDR_DOMAIN, ['_'] = ADDR_LOCAL | ADDR_DOMAIN,
	['!'] = ADDR_LOCAL, ['#'] = ADDR_LOCAL, ['$'] = ADDR_LOCAL, ['%'] = ADDR_LOCAL, ['&'] = ADDR_LOCAL,
	['\''] = ADDR_LOCAL, ['*'] = ADDR_LOCAL, ['+'] = ADDR_LOCAL, ['/'] = ADDR_LOCAL, ['='] = ADDR_LOCAL,
	['?'] = ADDR_LOCAL, ['^'] = ADDR_LOCAL, ['`'] = ADDR_LOCAL, ['{'] = ADDR_LOCAL, ['|'] = ADDR_LOCAL,
	['}'] = ADDR_LOCAL, ['~'] = ADDR_LOCAL,
	[0x80 ... 0xff] = ADDR_LOCAL,
};

static inline bool is_local_char(unsigned char c)
{
	return addr_class[c] & ADDR_LOCAL;
}

static inline bool is_domain_char(unsigned char c)
{
	return addr_class[c] & ADDR_DOMAIN;
}

void addr_normalise(char *a)
{
	char *at = strrchr(a, '@');
	if (!at)
		return;
	for (char *p = at + 1; *p; p++)
		*p = (char)bw_lower((unsigned char)*p);
}

/* A quoted local part ("a..b"@example.org) may hold what an atom may not. */
static bool quoted_local_valid(const char *a, const char *at)
{
	if (at - a < 3 || a[0] != '"' || at[-1] != '"')
		return false;
	for (const char *p = a + 1; p < at - 1; p++)
		if ((unsigned char)*p < 0x20 || *p == '"' || *p == '\\')
			return false;
	return true;
}

bool addr_valid(const char *a)
{
	const char *at = strrchr(a, '@');
	if (!at || at == a || !at[1])
		return false;
	const char *dot = strchr(at + 1, '.');
	if (!dot && strcmp(at + 1, "localhost") != 0)
		return false;
	if (a[0] == '"') {
		if (!quoted_local_valid(a, at))
			return false;
	} else {
		for (const char *p = a; p < at; p++)
			if (!is_local_char((unsigned char)*p) || (*p == '.' && p[1] == '.'))
				return false;
		if (at[-1] == '.' || a[0] == '.')
			return false;
	}
	for (const char *p = at + 1; *p; p++)
		if (!is_domain_char((unsigned char)*p) || (*p == '.' && (p[1] == '.' || p == at + 1)))
			return false;
	size_t n = strlen(a);
	return a[n - 1] != '.';
}

/* Length of the valid UTF-8 sequence at p (1-4), 0 when it is not one. */
static size_t utf8_len(const unsigned char *p)
{
	if (p[0] < 0x80)
		return p[0] ? 1 : 0;
	size_t n = p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 && p[0] < 0xe0 ? 2 : 0;
	if (!n)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	/* no overlong three- and four-byte forms, no surrogates, nothing past U+10FFFF */
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))
		return 0;
	return n;
}

/* Append code point cp as UTF-8 to out[*n..cap); false when it does not fit
 * or is no character. */
static bool put_utf8(char *out, size_t *n, size_t cap, unsigned long cp)
{
	unsigned char b[4];
	size_t k;
	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		k = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | cp >> 6);
		b[1] = (unsigned char)(0x80 | (cp & 0x3f));
		k = 2;
	} else if (cp < 0x10000) {
		if (cp >= 0xd800 && cp <= 0xdfff)
			return false;
		b[0] = (unsigned char)(0xe0 | cp >> 12);
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f));
		k = 3;
	} else if (cp <= 0x10ffff) {
		b[0] = (unsigned char)(0xf0 | cp >> 18);
		b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (unsigned char)(0x80 | (cp & 0x3f));
		k = 4;
	} else {
		return false;
	}
	if (*n + k >= cap)
		return false;
	memcpy(out + *n, b, k);
	*n += k;
	return true;
}

bool addr_utf8_field(const char *v, char *out, size_t outsz)
{
	while (*v == ' ' || *v == '\t' || *v == '<')
		v++;
	size_t n = 0;
	for (const char *p = v; *p && *p != '>' && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n';) {
		if (p[0] == '\\' && p[1] == 'x' && p[2] == '{') {   /* \x{HEX}: RFC 6533 3 */
			unsigned long cp = 0;
			const char *q = p + 3;
			for (int d; (d = bw_hexval((unsigned char)*q)) >= 0 && q - p < 10; q++)
				cp = cp * 16 + (unsigned long)d;
			if (*q != '}' || q == p + 3 || !put_utf8(out, &n, outsz, cp))
				return false;
			p = q + 1;
			continue;
		}
		size_t k = utf8_len((const unsigned char *)p);
		if (!k || n + k >= outsz || (unsigned char)*p < 0x21)
			return false;
		memcpy(out + n, p, k);
		n += k;
		p += k;
	}
	if (!n)
		return false;
	out[n] = '\0';
	char *at = strrchr(out, '@');
	if (!at || at == out || !at[1] || !strchr(at + 1, '.'))
		return false;
	for (const char *p = out; p < at; p++)
		if (!is_local_char((unsigned char)*p) && *p != '"')
			return false;
	for (const char *p = at + 1; *p; p++)
		if (!is_domain_char((unsigned char)*p) && (unsigned char)*p < 0x80)
			return false;
	if (at[1] == '.' || out[n - 1] == '.' || strstr(at, ".."))
		return false;
	addr_normalise(out);
	return true;
}

/* "smtp=" or "smtp:" (the letters in either case) at p: Exchange's X.400
 * forms of an address. */
static inline bool smtp_prefix(const char *p)
{
	return (p[0] | 0x20) == 's' && (p[1] | 0x20) == 'm' && (p[2] | 0x20) == 't' && (p[3] | 0x20) == 'p' &&
	       (p[4] == '=' || p[4] == ':');
}

/*
 * addr_valid() of an address addr_extract_at() cut out: a[0..n), its last
 * '@' at a[k] (0 < k < n - 1), a domain of domain bytes that ends in neither
 * '.' nor '-', and, when a[0] is not a quote, a local part of local bytes.
 * Only the tests those facts leave open are made.
 */
static bool extracted_valid(const char *a, size_t n, size_t k)
{
	const char *d = a + k + 1, *end = a + n;
	if (!memchr(d, '.', (size_t)(end - d)) && !((size_t)(end - d) == 9 && memcmp(d, "localhost", 9) == 0))
		return false;
	if (a[0] == '"') {
		if (!quoted_local_valid(a, a + k))
			return false;
	} else {
		if (a[0] == '.' || a[k - 1] == '.')
			return false;
		for (size_t i = 0; i + 1 < k; i++)
			if (a[i] == '.' && a[i + 1] == '.')
				return false;
	}
	if (d[0] == '.')
		return false;
	for (const char *p = d; p + 1 < end; p++)
		if (p[0] == '.' && p[1] == '.')
			return false;
	return true;
}

const char *addr_extract_at(const char *s, size_t len, char *out, size_t outsz, const char **start)
{
	const char *end = s + len;
	for (const char *p = s; p < end; p++) {
		const char *at = memchr(p, '@', (size_t)(end - p));
		if (!at)
			return NULL;
		const char *b = at, *e = at + 1;
		if (b > s && b[-1] == '"') {
			/* a quoted local part: back to its opening quote */
			const char *q = b - 1;
			while (q > s && q[-1] != '"' && q[-1] != '\n' && b - q < 66)
				q--;
			if (q > s && q[-1] == '"')
				b = q - 1;
		}
		if (b == at) {
			while (b > s && is_local_char((unsigned char)b[-1]))
				b--;
			/* trim dots a sentence leaves behind */
			while (b < at && *b == '.')
				b++;
			/* 'a@b' in single quotes; Exchange's X.400 "SMTP=a@b", "smtp:a@b" */
			if (b < at && *b == '\'')
				b++;
			if (at - b > 5 && smtp_prefix(b))
				b += 5;
		}
		while (e < end && is_domain_char((unsigned char)*e))
			e++;
		while (e > at + 1 && (e[-1] == '.' || e[-1] == '-'))
			e--;
		size_t n = (size_t)(e - b), k = (size_t)(at - b);
		if (b < at && e > at + 1 && n < outsz) {
			/* out holds every candidate tried, as it always has (callers
			 * that ignore the result see the last one) */
			memcpy(out, b, n);
			out[n] = '\0';
			if (extracted_valid(b, n, k)) {
				for (size_t i = k + 1; i < n; i++)      /* addr_normalise */
					out[i] = (char)bw_lower((unsigned char)out[i]);
				if (start)
					*start = b;
				return e;
			}
		}
		p = at;
	}
	return NULL;
}

const char *addr_extract(const char *s, size_t len, char *out, size_t outsz)
{
	return addr_extract_at(s, len, out, outsz, NULL);
}
