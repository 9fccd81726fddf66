/*
 * test_classify.c - verdicts of whole messages: complaint, auto-reply,
 * human mail, unparsed past a limit, line-ending independence, dates.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "conf.h"
#include "date.h"

#include "fixture_classify.h"

static const char *arf =
	"From: feedback@fbl.example.net\nTo: fbl@shop.example.com\nSubject: Abuse report\n"
	"MIME-Version: 1.0\n"
	"Content-Type: multipart/report; report-type=feedback-report; boundary=\"f\"\n\n"
	"--f\nContent-Type: text/plain\n\nThis is an email abuse report.\n"
	"--f\nContent-Type: message/feedback-report\n\n"
	"Feedback-Type: abuse\nUser-Agent: ExampleFBL/1.0\nVersion: 1\n"
	"Original-Rcpt-To: <carol@example.net>\nArrival-Date: Mon, 02 Sep 2024 08:00:00 +0000\n"
	"--f\nContent-Type: message/rfc822\n\n"
	"From: news@shop.example.com\nTo: carol@example.net\nSubject: offer\n\nhi\n--f--\n";

static void test_arf_complaint(void **state)
{
	(void)state;
	struct bw_report rep;
	classify(arf, &rep);
	assert_int_equal(rep.verdict, BW_VERDICT_COMPLAINT);
	assert_int_equal(rep.n_events, 1);
	assert_string_equal(rep.events[0].recipient, "carol@example.net");
	assert_int_equal(rep.events[0].kind, BW_KIND_COMPLAINT);
	assert_int_equal(rep.events[0].reason, BW_R_FEEDBACK);
	assert_string_equal(rep.events[0].feedback_type, "abuse");
	assert_string_equal(rep.events[0].detector, "arf");
	assert_false(rep.events[0].hard);
	assert_true(rep.n_trace > 0);
	report_free(&rep);
}

static void test_autoreply(void **state)
{
	(void)state;
	const char *msg = "From: Dana <dana@example.org>\nTo: news@shop.example.com\n"
			  "Subject: Automatic reply: Autumn sale\nAuto-Submitted: auto-replied\n\n"
			  "I am out of the office until Monday.\n";
	struct bw_report rep;
	classify(msg, &rep);
	assert_int_equal(rep.verdict, BW_VERDICT_AUTOREPLY);
	assert_int_equal(rep.n_events, 1);
	assert_int_equal(rep.events[0].kind, BW_KIND_AUTOREPLY);
	assert_int_equal(rep.events[0].reason, BW_R_VACATION);
	assert_string_equal(rep.events[0].recipient, "dana@example.org");
	report_free(&rep);
}

static void test_human_reply(void **state)
{
	(void)state;
	const char *msg = "From: Erik <erik@example.org>\nTo: news@shop.example.com\n"
			  "Subject: Re: Autumn sale\n\nPlease call me about the offer.\n";
	struct bw_report rep;
	classify(msg, &rep);
	assert_int_equal(rep.verdict, BW_VERDICT_NOT_BOUNCE);
	assert_int_equal(rep.n_events, 0);
	report_free(&rep);
}

/* The default limits, for a test to tighten one. */
static struct bw_limits default_limits(void)
{
	struct bw_config c;
	conf_defaults(&c);
	struct bw_limits lim = c.classify.limits;
	conf_free(&c);
	return lim;
}

/* Classify msg with the default configuration but limits lim; the caller
 * releases rep with report_free(). */
static void classify_limited(const struct bw_limits *lim, const char *msg, struct bw_report *rep)
{
	struct bw_config c;
	conf_defaults(&c);
	c.classify.limits = *lim;
	struct bw_classifier *limited = classifier_new(&c.classify, NULL);
	memset(rep, 0, sizeof(*rep));
	classify_message(limited, msg, strlen(msg), rep);
	classifier_free(limited);
	conf_free(&c);
}

static void test_unparsed_past_limit(void **state)
{
	(void)state;
	struct bw_limits lim = default_limits();
	lim.max_parts = 1;
	struct bw_report rep;
	classify_limited(&lim, arf, &rep);
	assert_int_equal(rep.verdict, BW_VERDICT_UNPARSED);
	assert_int_equal(rep.n_events, 0);
	assert_non_null(strstr(rep.error, "max_parts"));
	report_free(&rep);
}

/* More recipients than limits.max_events: the message is past a limit like
 * any other (unparsed, no events), not cut to the first max_events. */
static void test_unparsed_past_max_events(void **state)
{
	(void)state;
	const char *dsn =
		"From: MAILER-DAEMON@relay.example.net\nTo: news@shop.example.com\n"
		"Subject: Undelivered Mail Returned to Sender\nMessage-ID: <m@relay.example.net>\n"
		"MIME-Version: 1.0\n"
		"Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"
		"--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; relay.example.net\n\n"
		"Final-Recipient: rfc822; a@example.org\nAction: failed\nStatus: 5.1.1\n\n"
		"Final-Recipient: rfc822; b@example.org\nAction: failed\nStatus: 5.1.1\n\n"
		"Final-Recipient: rfc822; c@example.org\nAction: failed\nStatus: 5.1.1\n\n--b--\n";
	for (unsigned max = 2; max <= 3; max++) {
		struct bw_limits lim = default_limits();
		lim.max_events = max;
		struct bw_report rep;
		classify_limited(&lim, dsn, &rep);
		if (max == 2) {
			assert_int_equal(rep.verdict, BW_VERDICT_UNPARSED);
			assert_int_equal(rep.n_events, 0);
			assert_non_null(strstr(rep.error, "max_events"));
		} else {
			assert_int_equal(rep.verdict, BW_VERDICT_BOUNCE);
			assert_int_equal(rep.n_events, 3);
		}
		report_free(&rep);
	}
}

/* A long diagnostic is cut to limits.max_diagnostic_bytes at a character
 * boundary; its reason comes from all of it. */
static void test_diagnostic_cut(void **state)
{
	(void)state;
	char dsn[2048];
	snprintf(dsn, sizeof(dsn),
		 "From: MAILER-DAEMON@relay.example.net\nTo: news@shop.example.com\n"
		 "Subject: Undelivered Mail Returned to Sender\nMessage-ID: <d@relay.example.net>\n"
		 "MIME-Version: 1.0\n"
		 "Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"
		 "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; relay.example.net\n\n"
		 "Final-Recipient: rfc822; a@example.org\nAction: failed\nStatus: 5.0.0\n"
		 "Diagnostic-Code: smtp; 552 %s \xc3\xa9t\xc3\xa9 the recipient's mailbox is full\n\n--b--\n",
		 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	struct bw_limits lim = default_limits();
	lim.max_diagnostic_bytes = 64;
	struct bw_report rep;
	classify_limited(&lim, dsn, &rep);
	assert_int_equal(rep.n_events, 1);
	assert_int_equal(rep.events[0].reason, BW_R_MAILBOXFULL);
	/* "552 ", 58 x and a blank are 63 bytes; the 64th would split the
	 * "\xc3\xa9" that follows: 63 are kept */
	assert_int_equal(strlen(rep.events[0].diagnostic), 63);
	assert_int_equal(rep.events[0].diagnostic[62], ' ');
	report_free(&rep);
}

static void test_crlf_same_verdict(void **state)
{
	(void)state;
	size_t n = strlen(arf);
	char *crlf = malloc(n * 2 + 1), *w = crlf;
	for (const char *p = arf; *p; p++) {
		if (*p == '\n')
			*w++ = '\r';
		*w++ = *p;
	}
	*w = '\0';
	struct bw_report a, b;
	classify(arf, &a);
	classify(crlf, &b);
	assert_int_equal(a.verdict, b.verdict);
	assert_int_equal(a.n_events, b.n_events);
	assert_string_equal(a.events[0].recipient, b.events[0].recipient);
	assert_string_equal(a.events[0].feedback_type, b.events[0].feedback_type);
	report_free(&a);
	report_free(&b);
	free(crlf);
}

static void test_dates(void **state)
{
	(void)state;
	assert_int_equal(bw_parse_date("Wed, 16 Oct 2013 14:15:35 +0900"), 1381900535);
	assert_int_equal(bw_parse_date("16 Oct 2013 05:15:35 GMT"), 1381900535);
	assert_int_equal(bw_parse_date("Wed, 16 Oct 13 00:15:35 EST"), 1381900535);
	assert_int_equal(bw_parse_date("garbage"), 0);
	assert_int_equal(bw_parse_date("Wed, 32 Oct 2013 14:15:35 +0900"), 0);
	char buf[32];
	bw_format_time(1381900535, buf, sizeof(buf));
	assert_string_equal(buf, "2013-10-16T05:15:35Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arf_complaint),
		cmocka_unit_test(test_autoreply),
		cmocka_unit_test(test_human_reply),
		cmocka_unit_test(test_unparsed_past_limit),
		cmocka_unit_test(test_unparsed_past_max_events),
		cmocka_unit_test(test_diagnostic_cut),
		cmocka_unit_test(test_crlf_same_verdict),
		cmocka_unit_test(test_dates),
	};
	return cmocka_run_group_tests_name("classify", tests, setup, teardown);
}
