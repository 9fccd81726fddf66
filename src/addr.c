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

static bool is_domain_char(unsigned char c)
{
	return bw_isalpha(c) || bw_isdigit(c) || c == '-' || c == '.' || c == '_' || c >= 0x80;
}

void addr_normalise(char *a)
{
	char *at = strrchr(a, '@');
	if (!at)
		return;
	for (char *p = at + 1; *p; p++)
		*p = (char)bw_lower((unsigned char)*p);
}

bool addr_valid(const char *a)
{
	const char *at = strrchr(a, '@');
	if (!at || at == a || !at[1])
		return false;
	const char *dot = strchr(at + 1, '.');
	if (!dot && strcmp(at + 1, "localhost") != 0)
		return false;
	for (const char *p = a; p < at; p++)
		if (!is_local_char((unsigned char)*p))
			return false;
	for (const char *p = at + 1; *p; p++)
		if (!is_domain_char((unsigned char)*p))
			return false;
	size_t n = strlen(a);
	return a[n - 1] != '.' && a[0] != '.';
}

const char *addr_extract(const char *s, size_t len, char *out, size_t outsz)
{
	const char *end = s + len;
	for (const char *p = s; p < end; p++) {
		const char *at = memchr(p, '@', (size_t)(end - p));
		if (!at)
			return NULL;
		const char *b = at, *e = at + 1;
		while (b > s && is_local_char((unsigned char)b[-1]))
			b--;
		while (e < end && is_domain_char((unsigned char)*e))
			e++;
		/* trim dots a sentence or a quoted local part leaves behind */
		while (b < at && *b == '.')
			b++;
		while (e > at + 1 && (e[-1] == '.' || e[-1] == '-'))
			e--;
		size_t n = (size_t)(e - b);
		if (b < at && e > at + 1 && n < outsz) {
			memcpy(out, b, n);
			out[n] = '\0';
			if (addr_valid(out)) {
				addr_normalise(out);
				return e;
			}
		}
		p = at;
	}
	return NULL;
}
