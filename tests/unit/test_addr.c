/*
 * test_addr.c - address extraction from free text against the plain
 * reading (every '@', the bytes around it, addr_valid and addr_normalise on
 * the copy), on random text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/detect.h"
#include "util.h"

static bool ref_local(unsigned char c)
{
	return bw_isalpha(c) || bw_isdigit(c) || c >= 0x80 || (c && strchr("-._!#$%&'*+/=?^`{|}~", c));
}

static bool ref_domain(unsigned char c)
{
	return bw_isalpha(c) || bw_isdigit(c) || c == '-' || c == '.' || c == '_';
}

/* addr_extract_at as it was written first: cut out, then addr_valid(). */
static const char *ref_extract(const char *s, size_t len, char *out, size_t outsz, const char **start)
{
	const char *end = s + len;
	for (const char *p = s; p < end; p++) {
		const char *at = memchr(p, '@', (size_t)(end - p));
		if (!at)
			return NULL;
		const char *b = at, *e = at + 1;
		if (b > s && b[-1] == '"') {
			const char *q = b - 1;
			while (q > s && q[-1] != '"' && q[-1] != '\n' && b - q < 66)
				q--;
			if (q > s && q[-1] == '"')
				b = q - 1;
		}
		if (b == at) {
			while (b > s && ref_local((unsigned char)b[-1]))
				b--;
			while (b < at && *b == '.')
				b++;
			if (b < at && *b == '\'')
				b++;
			if (at - b > 5 && (bw_prefixcase(b, 5, "smtp=") || bw_prefixcase(b, 5, "smtp:")))
				b += 5;
		}
		while (e < end && ref_domain((unsigned char)*e))
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

/* Text made of address bytes and the bytes that end, quote or break them:
 * dots in every place, quotes, "SMTP:" prefixes, "localhost", line ends. */
static void test_extract_random(void **state)
{
	(void)state;
	static const char *const pieces[] = {
		"a", "B", "x1", ".", "..", "-", "_", "@", "@", "@", "\"", "'", " ", "\n", "<", ">", "smtp:", "SMTP=",
		"localhost", "LocalHost", "example.COM", "\xc3\xa9", "+tag", "=", ";", "(", "\"a b\"", "\x01",
	};
	char text[400], out[80], want[80];
	srand(99);
	for (int round = 0; round < 300000; round++) {
		size_t len = 0;
		int n = rand() % 30;
		for (int i = 0; i < n; i++) {
			const char *pc = pieces[rand() % (int)ARRAY_LEN(pieces)];
			size_t pl = strlen(pc);
			if (len + pl >= sizeof(text))
				break;
			memcpy(text + len, pc, pl);
			len += pl;
		}
		size_t outsz = 1 + (size_t)(rand() % (int)sizeof(out));
		const char *b1 = NULL, *b2 = NULL;
		memset(out, 'X', sizeof(out));
		memset(want, 'X', sizeof(want));
		const char *r1 = addr_extract_at(text, len, out, outsz, &b1);
		const char *r2 = ref_extract(text, len, want, outsz, &b2);
		assert_ptr_equal(r1, r2);
		if (r1)
			assert_ptr_equal(b1, b2);
		/* out is written for every candidate tried, found or not (some
		 * callers read it whatever the result) */
		assert_memory_equal(out, want, sizeof(out));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extract_random),
	};
	return cmocka_run_group_tests_name("addr", tests, NULL, NULL);
}
