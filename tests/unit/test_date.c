/*
 * test_date.c - bw_format_time against gmtime_r and strftime, the text it
 * must equal: the edges of days, months, leap years and its fast range,
 * and random times inside and outside it.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <time.h>

#include "date.h"

static void reference(time_t t, char *out, size_t outsz)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void check(time_t t)
{
	char got[32], want[32];
	bw_format_time(t, got, sizeof(got));
	reference(t, want, sizeof(want));
	assert_string_equal(got, want);
}

static void test_format_time_examples(void **state)
{
	(void)state;
	char s[32];
	bw_format_time(0, s, sizeof(s));
	assert_string_equal(s, "1970-01-01T00:00:00Z");
	bw_format_time(1381900535, s, sizeof(s));
	assert_string_equal(s, "2013-10-16T05:15:35Z");
	bw_format_time(951825599, s, sizeof(s));
	assert_string_equal(s, "2000-02-29T11:59:59Z");
	bw_format_time(253402300799LL, s, 21);   /* just fits */
	assert_string_equal(s, "9999-12-31T23:59:59Z");
	static const long long edges[] = {
		0, 1, 59, 60, 3599, 3600, 86399, 86400, 2678399, 2678400, 5097599, 5097600,
		68255999, 68256000, 951782399, 951782400, 951868800, 978307199, 978307200,
		4107542399LL, 4107542400LL, 4102444800LL, 32503679999LL, 32503680000LL,
		253402300799LL, 253402300800LL, 253402387200LL, -1, -86400, -86401,
	};
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		check((time_t)edges[i]);
}

static void test_format_time_random(void **state)
{
	(void)state;
	uint64_t x = 88172645463325252ull;
	for (int round = 0; round < 300000; round++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		long long t;
		switch (round % 4) {
		case 0: t = (long long)(x % 253402300800ull); break;        /* the whole fast range */
		case 1: t = (long long)(x % 4102444800ull); break;          /* 1970-2100 */
		case 2: t = 253402300800LL - 1 - (long long)(x % 86400000); /* its last 1,000 days */
			break;
		default: t = (long long)(x % 600000000000ull) - 100000000000LL;   /* around it */
		}
		check((time_t)t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_time_examples),
		cmocka_unit_test(test_format_time_random),
	};
	return cmocka_run_group_tests_name("date", tests, NULL, NULL);
}
