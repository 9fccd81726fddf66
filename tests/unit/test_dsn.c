/*
 * test_dsn.c - RFC 3464 parsing through the classifier: per-message and
 * per-recipient fields, folding, several recipients, actions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "classify.h"
#include "conf.h"

#include "fixture_classify.h"

#define HEAD \
	"From: Mail Delivery System <MAILER-DAEMON@relay.example.net>\n" \
	"To: news@shop.example.com\n" \
	"Subject: Delivery Status Notification (Failure)\n" \
	"Date: Tue, 03 Sep 2024 10:15:00 +0200\n" \
	"Message-ID: <dsn-1@relay.example.net>\n" \
	"MIME-Version: 1.0\n" \
	"Content-Type: multipart/report; report-type=delivery-status; boundary=\"=_b\"\n\n" \
	"--=_b\nContent-Type: text/plain\n\nDelivery to the following recipients failed.\n\n"

#define ORIG \
	"--=_b\nContent-Type: text/rfc822-headers\n\n" \
	"From: Shop <news@shop.example.com>\nTo: Anna <anna@Example.ORG>\n" \
	"Subject: =?utf-8?Q?Autumn_sale?=\nMessage-ID: <c-42.1@shop.example.com>\n" \
	"X-Campaign-ID: autumn-2024\n\n--=_b--\n"

static void test_two_recipients(void **state)
{
	(void)state;
	const char *msg = HEAD
		"--=_b\nContent-Type: message/delivery-status\n\n"
		"Reporting-MTA: dns; relay.example.net\n"
		"Arrival-Date: Tue, 03 Sep 2024 10:14:58 +0200\n\n"
		"Original-Recipient: rfc822;Anna@Example.ORG\n"
		"Final-Recipient: rfc822; anna@Example.ORG\n"
		"Action: failed\n"
		"Status: 5.1.1\n"
		"Remote-MTA: dns; mx1.example.org\n"
		"Diagnostic-Code: smtp; 550 5.1.1 <anna@example.org>: Recipient address\n"
		"    rejected: User unknown in virtual mailbox table\n\n"
		"Final-Recipient: rfc822; bob@example.org\n"
		"Action: delayed\n"
		"Status: 4.2.2\n"
		"Diagnostic-Code: smtp; 452 4.2.2 Mailbox full\n\n"
		ORIG;
	struct bw_report rep;
	classify(msg, &rep);
	assert_int_equal(rep.verdict, BW_VERDICT_BOUNCE);
	assert_string_equal(rep.message_id, "<dsn-1@relay.example.net>");
	assert_int_equal(rep.n_events, 2);
	struct bw_event *a = &rep.events[0], *b = &rep.events[1];
	assert_string_equal(a->recipient, "anna@example.org");
	assert_string_equal(a->status, "5.1.1");
	assert_string_equal(a->reply_code, "550");
	assert_string_equal(a->action, "failed");
	assert_string_equal(a->remote_mta, "mx1.example.org");
	assert_string_equal(a->reporting_mta, "relay.example.net");
	assert_string_equal(a->detector, "rfc3464");
	assert_non_null(strstr(a->diagnostic, "Recipient address rejected: User unknown"));
	assert_int_equal(a->kind, BW_KIND_HARD);
	assert_int_equal(a->reason, BW_R_USERUNKNOWN);
	assert_true(a->hard);
	/* Arrival-Date, 08:14:58 UTC */
	assert_int_equal(a->time, 1725351298);
	assert_string_equal(a->original.message_id, "<c-42.1@shop.example.com>");
	assert_string_equal(a->original.subject, "Autumn sale");
	assert_string_equal(a->original.campaign, "autumn-2024");
	assert_string_equal(a->original.to, "anna@example.org");
	assert_string_equal(b->recipient, "bob@example.org");
	assert_string_equal(b->action, "delayed");
	assert_int_equal(b->kind, BW_KIND_DELAYED);
	assert_false(b->hard);
	report_free(&rep);
}

static void test_missing_blank_line_and_generic_status(void **state)
{
	(void)state;
	const char *msg = HEAD
		"--=_b\nContent-Type: message/delivery-status\n\n"
		"Reporting-MTA: dns; relay.example.net\n"
		"Final-Recipient: rfc822; c@example.org\n"
		"Action: failed\n"
		"Status: 5.0.0\n"
		"Diagnostic-Code: smtp; 552 5.2.2 Quota exceeded\n"
		"Final-Recipient: rfc822; <d@example.org>\n"
		"Action: failed\n"
		"Status: 5.1.2\n"
		ORIG;
	struct bw_report rep;
	classify(msg, &rep);
	assert_int_equal(rep.n_events, 2);
	assert_string_equal(rep.events[0].recipient, "c@example.org");
	/* the diagnostic's code is more specific than 5.0.0 */
	assert_string_equal(rep.events[0].status, "5.2.2");
	assert_int_equal(rep.events[0].reason, BW_R_MAILBOXFULL);
	assert_false(rep.events[0].hard);
	assert_string_equal(rep.events[1].recipient, "d@example.org");
	assert_int_equal(rep.events[1].reason, BW_R_HOSTUNKNOWN);
	assert_true(rep.events[1].hard);
	/* no Arrival-Date: the bounce's Date */
	assert_int_equal(rep.events[0].time, 1725351300);
	report_free(&rep);
}

/* SMTPUTF8 (RFC 6533): a message/global-delivery-status whose recipient is
 * a "utf-8" address with U-labels in the domain, written out or as \x{HEX}
 * escapes; a broken one falls back to the ASCII address reader (none here). */
static void test_utf8_recipient(void **state)
{
	(void)state;
	static const struct {
		const char *field, *want;
	} cases[] = {
		{ "utf-8; \xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.Example", "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.example" },
		{ "utf-8; \\x{7528}\\x{6237}@\\x{4F8B}\\x{5B50}.example", "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.example" },
		{ "UTF-8;<jos\xc3\xa9@b\xc3\xbc\x63her.example>", "jos\xc3\xa9@b\xc3\xbc\x63her.example" },
		{ "utf-8; user@example.org", "user@example.org" },
		{ "utf-8; \\x{D800}@example.org", "" },          /* a surrogate is no character */
		{ "utf-8; a@\xe4\xbe\x8b\xe5\xad\x90", "" },       /* no dot */
		{ "utf-8; a@\xc3\x28.example", "" },              /* invalid UTF-8 */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char msg[2048];
		snprintf(msg, sizeof(msg),
			 "From: MAILER-DAEMON@relay.example.net\nTo: news@shop.example.com\n"
			 "Subject: Undelivered Mail Returned to Sender\nMessage-ID: <u%zu@relay.example.net>\n"
			 "MIME-Version: 1.0\n"
			 "Content-Type: multipart/report; report-type=global-delivery-status; boundary=b\n\n"
			 "--b\nContent-Type: text/plain\n\nfailed\n\n"
			 "--b\nContent-Type: message/global-delivery-status\n\n"
			 "Reporting-MTA: dns; relay.example.net\n\n"
			 "Final-Recipient: %s\nAction: failed\nStatus: 5.1.1\n"
			 "Diagnostic-Code: smtp; 550 5.1.1 User unknown\n\n--b--\n", i, cases[i].field);
		struct bw_report rep;
		classify(msg, &rep);
		if (cases[i].want[0]) {
			assert_int_equal(rep.n_events, 1);
			assert_string_equal(rep.events[0].recipient, cases[i].want);
			assert_int_equal(rep.events[0].reason, BW_R_USERUNKNOWN);
		} else {
			assert_int_equal(rep.n_events, 0);
		}
		report_free(&rep);
	}
}

/* A recipient block with no Diagnostic-Code takes the notice's own line for
 * the recipient when a server code follows the address there, or the words
 * after "address:" on a line the address opens; a mere mention of the
 * address in a sentence gives nothing. */
static void test_diagnostic_from_notice(void **state)
{
	(void)state;
	static const char *const notes[] = {
		"Hi!\n\nThis is the MAILER-DAEMON.\n\n"
		"    ptr@example.org: 550 5.7.25 <ptr@example.org>: Recipient address rejected: "
		"Reverse DNS validation failed\n\n",
		"Your message to ptr@example.org could not be delivered.\n\n",
		("    A message is delayed for more than 4 hours for the following\n"
		 "    list of recipients:\n\n<ptr@example.org>: Envelope expired\n\n"),
		"Delivery to ptr@example.org: failed, see below.\n\n",
	};
	for (size_t i = 0; i < 4; i++) {
		char msg[2048];
		snprintf(msg, sizeof(msg),
			 "From: MAILER-DAEMON@relay.example.net\nTo: news@shop.example.com\n"
			 "Subject: Delivery status notification: error\nMessage-ID: <n%zu@relay.example.net>\n"
			 "MIME-Version: 1.0\n"
			 "Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"
			 "--b\nContent-Type: text/plain\n\n%s"
			 "--b\nContent-Type: message/delivery-status\n\n"
			 "Reporting-MTA: dns; relay.example.net\n\n"
			 "Final-Recipient: rfc822; ptr@example.org\nAction: failed\nStatus: 5.0.0\n\n--b--\n",
			 i, notes[i]);
		struct bw_report rep;
		classify(msg, &rep);
		assert_int_equal(rep.n_events, 1);
		if (i == 0) {
			assert_string_equal(rep.events[0].status, "5.7.25");
			assert_string_equal(rep.events[0].reply_code, "550");
			assert_int_equal(rep.events[0].reason, BW_R_REQUIREPTR);
			assert_non_null(strstr(rep.events[0].diagnostic, "Reverse DNS validation failed"));
		} else if (i == 2) {
			assert_string_equal(rep.events[0].diagnostic, "Envelope expired");
			assert_int_equal(rep.events[0].reason, BW_R_EXPIRED);
		} else {
			assert_string_equal(rep.events[0].status, "5.0.0");
			assert_string_equal(rep.events[0].diagnostic, "");
		}
		report_free(&rep);
	}
}

/* Sendmail: a local mailer's exit status as the diagnostic, the reply in the
 * session transcript of the notice.  With one recipient the transcript's
 * last failure reply gives the reply code (and the status where the DSN
 * says only x.0.0); the diagnostic and the reason stay.  With two
 * recipients the transcript could be either's: nothing is taken. */
static void test_reply_from_transcript(void **state)
{
	(void)state;
	const char *one =
		"From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.jp>\nTo: postmaster\n"
		"Subject: Returned mail: see transcript for details\nMessage-ID: <t1@mx.example.jp>\n"
		"MIME-Version: 1.0\n"
		"Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"
		"--b\n\n   ----- Transcript of session follows -----\n"
		"DBI connect failed: too many clients already\n"
		"554 5.3.0 unknown mailer error 255\n\n"
		"--b\nContent-Type: message/delivery-status\n\n"
		"Reporting-MTA: dns; mx.example.jp\n\n"
		"Final-Recipient: RFC822; pipe@example.jp\n"
		"X-Actual-Recipient: X-Unix; |/home/pipe/catch.pl\n"
		"Action: failed\nStatus: 5.0.0\nDiagnostic-Code: X-Unix; 255\n\n--b--\n";
	struct bw_report rep;
	classify(one, &rep);
	assert_int_equal(rep.n_events, 1);
	assert_string_equal(rep.events[0].reply_code, "554");
	assert_string_equal(rep.events[0].status, "5.3.0");
	assert_string_equal(rep.events[0].diagnostic, "255");
	assert_int_equal(rep.events[0].reason, BW_R_MAILERERROR);
	report_free(&rep);

	const char *two =
		"From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.jp>\nTo: postmaster\n"
		"Subject: Returned mail: see transcript for details\nMessage-ID: <t2@mx.example.jp>\n"
		"MIME-Version: 1.0\n"
		"Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"
		"--b\n\n   ----- Transcript of session follows -----\n"
		"<<< 421\n\n"
		"--b\nContent-Type: message/delivery-status\n\n"
		"Reporting-MTA: dns; mx.example.jp\n\n"
		"Final-Recipient: RFC822; one@example.jp\nAction: failed\nStatus: 4.5.0\n\n"
		"Final-Recipient: RFC822; two@example.jp\nAction: failed\nStatus: 4.5.0\n\n--b--\n";
	classify(two, &rep);
	assert_int_equal(rep.n_events, 2);
	assert_string_equal(rep.events[0].reply_code, "");
	assert_string_equal(rep.events[1].reply_code, "");
	report_free(&rep);
}

static void test_success_dsn(void **state)
{
	(void)state;
	const char *msg = HEAD
		"--=_b\nContent-Type: message/delivery-status\n\n"
		"Reporting-MTA: dns; relay.example.net\n\n"
		"Final-Recipient: rfc822; ok@example.org\n"
		"Action: delivered\n"
		"Status: 2.0.0\n\n"
		ORIG;
	struct bw_report rep;
	classify(msg, &rep);
	assert_int_equal(rep.n_events, 1);
	assert_int_equal(rep.events[0].kind, BW_KIND_DELIVERED);
	assert_int_equal(rep.events[0].reason, BW_R_DELIVERED);
	report_free(&rep);
}

/* Status and Action before the recipient fields, with no blank line; a
 * delivery to a program that failed is a mailer error. */
static void test_fields_before_recipient_and_pipe(void **state)
{
	(void)state;
	struct bw_report rep;
	classify("From: MAILER-DAEMON@mx.example.org\nTo: me@example.com\nSubject: Returned mail\n"
		 "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n"
		 "--B\nContent-Type: text/plain\n\nfailed\n\n"
		 "--B\nContent-Type: message/delivery-status\n\n"
		 "Reporting-MTA: dns; mx.example.org\n\n"
		 "Action: failed\nStatus: 5.0.0\nDiagnostic-Code: smtp; 550 no thanks\n"
		 "Final-Recipient: rfc822; one@example.org\n\n"
		 "Final-Recipient: rfc822; two@example.org\n"
		 "X-Actual-Recipient: X-Unix; |/usr/local/bin/filter\nAction: failed\nStatus: 5.3.0\n\n"
		 "--B--\n", &rep);
	assert_int_equal(rep.n_events, 2);
	assert_string_equal(rep.events[0].recipient, "one@example.org");
	assert_string_equal(rep.events[0].status, "5.0.0");
	assert_string_equal(rep.events[0].reply_code, "550");
	assert_string_equal(rep.events[1].recipient, "two@example.org");
	assert_int_equal(rep.events[1].reason, BW_R_MAILERERROR);
	report_free(&rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_recipients),
		cmocka_unit_test(test_missing_blank_line_and_generic_status),
		cmocka_unit_test(test_success_dsn),
		cmocka_unit_test(test_utf8_recipient),
		cmocka_unit_test(test_diagnostic_from_notice),
		cmocka_unit_test(test_reply_from_transcript),
		cmocka_unit_test(test_fields_before_recipient_and_pipe),
	};
	return cmocka_run_group_tests_name("dsn", tests, setup, teardown);
}
