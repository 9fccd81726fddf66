/*
 * test_source_imap.c - the pure parts of the IMAP source: account URLs and
 * the reconnect backoff.  The protocol itself is tested against a real
 * Dovecot in tests/imap.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "source_imap.h"

static void test_urls(void **state)
{
	(void)state;
	struct imap_url u;
	char err[256];
	assert_int_equal(imap_parse_url("imaps://imap.example.com", &u, err, sizeof err), 0);
	assert_true(u.tls);
	assert_string_equal(u.host, "imap.example.com");
	assert_int_equal(u.port, 993);
	assert_int_equal(imap_parse_url("imap://127.0.0.1:10143/", &u, err, sizeof err), 0);
	assert_false(u.tls);
	assert_string_equal(u.host, "127.0.0.1");
	assert_int_equal(u.port, 10143);
	assert_int_equal(imap_parse_url("IMAP://mail.example.net", &u, err, sizeof err), 0);
	assert_int_equal(u.port, 143);
	assert_int_equal(imap_parse_url("imaps://[::1]:9993", &u, err, sizeof err), 0);
	assert_string_equal(u.host, "::1");
	assert_int_equal(u.port, 9993);
}

static void test_bad_urls(void **state)
{
	(void)state;
	struct imap_url u;
	char err[256];
	const char *bad[] = {
		"pop3://mail.example.net", "imap://", "imaps://:993", "imap://host:0",
		"imap://host:65536", "imap://host:12x", "imap://host:", "imaps://[::1",
		"imap://host/INBOX", "mail.example.net",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		assert_int_equal(imap_parse_url(bad[i], &u, err, sizeof err), -1);
		assert_true(strlen(err) > 0);
	}
	char longhost[400] = "imap://";
	memset(longhost + 7, 'a', 300);
	longhost[307] = '\0';
	assert_int_equal(imap_parse_url(longhost, &u, err, sizeof err), -1);
}

static void test_backoff(void **state)
{
	(void)state;
	/* the n-th wait is in [d/2, d] for d = min(2^n, cap), and never 0 */
	for (unsigned n = 0; n < 40; n++) {
		unsigned d = n < 31 ? 1u << n : 1u << 31;
		if (d > 120)
			d = 120;
		for (uint32_t r = 0; r < 2000; r += 7) {
			unsigned w = imap_backoff(n, 120, r * 2654435761u);
			assert_true(w >= (d / 2 ? d / 2 : 1));
			assert_true(w <= d);
		}
	}
	assert_int_equal(imap_backoff(3, 120, 0), 4);     /* jitter 0: the lower bound */
	assert_int_equal(imap_backoff(10, 600, 0), 300);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_bad_urls),
		cmocka_unit_test(test_backoff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
