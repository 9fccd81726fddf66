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
	static const struct {
		const char *text, *want;   /* want NULL: no reply code */
	} cases[] = {
		{ "550-5.1.1 The email account does not exist", "550" },
		{ "said: 452 4.2.2 over quota", "452" },
		{ "in the year 2550 at 12:30", NULL },
		/* a count that looks like a 2xx code gives way to a failure code */
		{ "Size (in bytes): 222 Number of lines: 2 550 - no such user here", "550" },
		{ "250 2.0.0 Ok: queued", "250" },
		{ "Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound'", "550" },
		/* a colon after the code, or a label ending in "code" before it */
		{ "550: <a@example.org>: User unknown", "550" },
		{ "Invalid Address, ERROR_CODE :550, ERROR_CODE :5.1.1 <a@example.org>", "550" },
		{ "delay :450 ms, retry at 10:55: later", NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char rc[4] = "";
		bool found = reply_find(cases[i].text, strlen(cases[i].text), rc);
		if (found != (cases[i].want != NULL) || (found && strcmp(rc, cases[i].want) != 0))
			fail_msg("%s: got %s, want %s", cases[i].text, found ? rc : "none",
				 cases[i].want ? cases[i].want : "none");
	}
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
	/* RFC 7505: the recipient's null MX takes no mail; the sender's own
	 * null MX is the sender's problem */
	assert_int_equal(status_reason("5.7.27", &specific), BW_R_REJECTED);
	assert_int_equal(status_reason("5.7.23", &specific), BW_R_AUTHFAILURE);
	assert_int_equal(status_reason("5.7.1", &specific), status_reason("5.7.1", &specific));
	assert_false(specific);
	assert_int_equal(status_reason("", &specific), BW_R_UNDEFINED);
	assert_string_equal(status_text("5.1.2"), "Bad destination system address");
}

static void test_find_remote(void **state)
{
	(void)state;
	char s[16];
	size_t at = 99;
	const char *t = "5.1.0 - Unknown address error 550-'5.7.1 <x@y>... Access denied'";
	assert_true(status_find_remote(t, strlen(t), s, sizeof(s), &at));
	assert_string_equal(s, "5.7.1");
	assert_int_equal(at, 30);
	const char *nested = "554 4.4.7 Message expired: unable to deliver.<421 4.4.2 Connection timed out>";
	assert_true(status_find_remote(nested, strlen(nested), s, sizeof(s), NULL));
	assert_string_equal(s, "4.4.2");
	const char *cont = "550-5.7.26 Unauthenticated email 550-5.7.26 is not accepted";
	assert_true(status_find_remote(cont, strlen(cont), s, sizeof(s), NULL));
	assert_string_equal(s, "5.7.26");
	/* a reply and a code of different classes are no reply */
	const char *bad = "550 4.4.7 QUEUE.Expired; message expired";
	assert_false(status_find_remote(bad, strlen(bad), s, sizeof(s), NULL));
	const char *none = "Status: 5.1.1 without a reply code";
	assert_false(status_find_remote(none, strlen(none), s, sizeof(s), NULL));
	const char *ip = "host 192.0.2.1 550 5.1.1.2";
	assert_false(status_find_remote(ip, strlen(ip), s, sizeof(s), NULL));
}

static void test_table_specificity(void **state)
{
	(void)state;
	bool specific;
	assert_int_equal(status_reason("5.1.2", &specific), BW_R_HOSTUNKNOWN);
	assert_true(specific);
	assert_int_equal(status_reason("5.1.6", &specific), BW_R_HASMOVED);
	assert_true(specific);
	assert_int_equal(status_reason("5.2.3", &specific), BW_R_EXCEEDLIMIT);
	assert_true(specific);
	assert_int_equal(status_reason("5.3.4", &specific), BW_R_MESGTOOBIG);
	assert_int_equal(status_reason("5.7.25", &specific), BW_R_REQUIREPTR);
	assert_true(specific);
	assert_int_equal(status_reason("5.7.13", &specific), BW_R_SUSPEND);
	assert_int_equal(status_reason("5.0.0", &specific), BW_R_UNDEFINED);
	assert_false(specific);
	assert_int_equal(status_reason("5.2.1", &specific), BW_R_SUSPEND);
	assert_false(specific);   /* "disabled" is often said for "unknown" */
	assert_int_equal(status_reason("5.9.99", &specific), BW_R_UNDEFINED);
	assert_null(status_text("5.9.99"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_find_in_text),
		cmocka_unit_test(test_reply_code),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_find_remote),
		cmocka_unit_test(test_table_specificity),
	};
	return cmocka_run_group_tests_name("status", tests, NULL, NULL);
}
