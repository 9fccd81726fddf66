/*
 * addr.c - finding and normalising e-mail addresses in untrusted text.
 */
#include "config.h"

#include <string.h>

#include "detect.h"
#include "util.h"

static bool is_local_char(unsigned char c)
{
	return bw_isalpha(c) || bw_isdigit(c) || (c && strchr("!#$%&'*+-/=?^_`{|}~.", c)) || c >= 0x80;
}

/* Domains are ASCII (IDNs travel as punycode): a byte past 0x7f ends one,
 * so that punctuation of other scripts does not stick to it. */
static bool is_domain_char(unsigned char c)
{
	return bw_isalpha(c) || bw_isdigit(c) || c == '-' || c == '.' || c == '_';
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
			if (at - b > 5 && (bw_prefixcase(b, 5, "smtp=") || bw_prefixcase(b, 5, "smtp:")))
				b += 5;
		}
		while (e < end && is_domain_char((unsigned char)*e))
			e++;
		while (e > at + 1 && (e[-1] == '.' || e[-1] == '-'))
			e--;
		size_t n = (size_t)(e - b);
		if (b < at && e > at + 1 && n < outsz) {
			memcpy(out, b, n);
			out[n] = '\0';
			if (addr_valid(out)) {
				addr_normalise(out);
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
