/*
 * test_arf.c - complaints: RFC 5965 reports (one event per Original-Rcpt-To),
 * provider complaint loops that return the message whole, SES complaints.
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

#include "fixture_classify.h"

static void test_two_rcpt_to(void **state)
{
	(void)state;
	struct bw_report rep;
	classify("From: fbl@isp.example.net\nTo: fbl@shop.example.com\nSubject: Spam report\n"
		 "MIME-Version: 1.0\n"
		 "Content-Type: multipart/report; report-type=feedback-report; boundary=\"b\"\n\n"
		 "--b\nContent-Type: text/plain\n\nSpam report.\n"
		 "--b\nContent-Type: message/feedback-report\n\n"
		 "Feedback-Type: abuse\nUser-Agent: ExampleFBL/2\nVersion: 1\n"
		 "Original-Rcpt-To: uma@example.net\nOriginal-Rcpt-To: <vic@example.net>\n"
		 "Reporting-MTA: dns; fbl.isp.example.net\n"
		 "--b\nContent-Type: message/rfc822\n\n"
		 "From: news@shop.example.com\nTo: uma@example.net\nSubject: offer\n\nhi\n--b--\n", &rep);
	assert_int_equal(rep.verdict, BW_VERDICT_COMPLAINT);
	assert_int_equal(rep.n_events, 2);
	assert_string_equal(rep.events[0].recipient, "uma@example.net");
	assert_string_equal(rep.events[1].recipient, "vic@example.net");
	assert_string_equal(rep.events[1].feedback_type, "abuse");
	assert_string_equal(rep.events[1].reporting_mta, "fbl.isp.example.net");
	assert_int_equal(rep.events[0].reason, BW_R_FEEDBACK);
	report_free(&rep);
}

static void test_complaint_loop(void **state)
{
	(void)state;
	struct bw_report rep;
	classify("From: staff@mail.example.net\nTo: fbl@shop.example.com\n"
		 "Subject: complaint about message from 192.0.2.1\nMIME-Version: 1.0\n"
		 "Content-Type: multipart/mixed; boundary=\"m\"\n\n"
		 "--m\nContent-Type: message/rfc822\n\n"
		 "X-HmXmrOriginalRecipient: wes@example.net\n"
		 "From: news@shop.example.com\nTo: wes@example.net\nSubject: offer\n\nhi\n--m--\n", &rep);
	assert_int_equal(rep.verdict, BW_VERDICT_COMPLAINT);
	assert_int_equal(rep.n_events, 1);
	assert_string_equal(rep.events[0].recipient, "wes@example.net");
	assert_string_equal(rep.events[0].detector, "arf");
	report_free(&rep);
}

static void test_ses_complaint(void **state)
{
	(void)state;
	struct bw_report rep;
	classify("From: no-reply@sns.example.com\nTo: hooks@shop.example.com\n"
		 "Subject: AWS Notification Message\n\n"
		 "{\"notificationType\":\"Complaint\",\"complaint\":{\"complainedRecipients\":"
		 "[{\"emailAddress\":\"xena@example.net\"}],\"complaintFeedbackType\":\"abuse\","
		 "\"timestamp\":\"2024-05-01T10:00:00.000Z\"},\"mail\":{\"source\":\"news@shop.example.com\"}}\n",
		 &rep);
	assert_int_equal(rep.verdict, BW_VERDICT_COMPLAINT);
	assert_int_equal(rep.n_events, 1);
	assert_string_equal(rep.events[0].recipient, "xena@example.net");
	assert_string_equal(rep.events[0].detector, "lhost:amazonses");
	assert_int_equal(rep.events[0].reason, BW_R_FEEDBACK);
	report_free(&rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_rcpt_to),
		cmocka_unit_test(test_complaint_loop),
		cmocka_unit_test(test_ses_complaint),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
