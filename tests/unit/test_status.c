/*
 * test_status.c - RFC 3463 codes: validity, extraction from text, meaning.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "status.h"

static void test_valid(void **state)
{
	(void)state;
	assert_true(status_valid("5.1.1"));
	assert_true(status_valid("4.7.26"));
	assert_false(status_valid("3.1.1"));
	assert_false(status_valid("5.1"));
	assert_false(status_valid("5.1.1a"));
}

static void test_find_in_text(void **state)
{
	(void)state;
	char s[16];
	const char *t = "host 192.0.2.5 said: 550 5.1.1 <a@b.c>: unknown (in reply to RCPT TO)";
	assert_true(status_find(t, strlen(t), s, sizeof(s)));
	assert_string_equal(s, "5.1.1");
	const char *ip = "from 5.1.1.2 version 4.2.0.1";
	assert_false(status_find(ip, strlen(ip), s, sizeof(s)));
	const char *none = "no code here";
	assert_false(status_find(none, strlen(none), s, sizeof(s)));
}

static void test_reply_code(void **state)
{
	(void)state;
	char rc[4];
	const char *t = "550-5.1.1 The email account does not exist";
	assert_true(reply_find(t, strlen(t), rc));
	assert_string_equal(rc, "550");
	const char *t2 = "said: 452 4.2.2 over quota";
	assert_true(reply_find(t2, strlen(t2), rc));
	assert_string_equal(rc, "452");
	const char *t3 = "in the year 2550 at 12:30";
	assert_false(reply_find(t3, strlen(t3), rc));
}

static void test_reasons(void **state)
{
	(void)state;
	bool specific;
	assert_int_equal(status_reason("5.1.1", &specific), BW_R_USERUNKNOWN);
	assert_true(specific);
	assert_int_equal(status_reason("5.2.2", &specific), BW_R_MAILBOXFULL);
	assert_int_equal(status_reason("4.4.7", &specific), BW_R_EXPIRED);
	assert_int_equal(status_reason("5.1.10", &specific), BW_R_NOTACCEPT);
	assert_int_equal(status_reason("5.7.23", &specific), BW_R_AUTHFAILURE);
	assert_int_equal(status_reason("5.7.1", &specific), status_reason("5.7.1", &specific));
	assert_false(specific);
	assert_int_equal(status_reason("", &specific), BW_R_UNDEFINED);
	assert_string_equal(status_text("5.1.2"), "Bad destination system address");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_find_in_text),
		cmocka_unit_test(test_reply_code),
		cmocka_unit_test(test_reasons),
	};
	return cmocka_run_group_tests_name("status", tests, NULL, NULL);
}
