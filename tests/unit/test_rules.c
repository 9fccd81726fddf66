/*
 * test_rules.c - the MTA rule table: free-form bounces of the common MTAs
 * (written for these tests) give the right recipients, codes, diagnostics
 * and rule names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "conf.h"

#include "fixture_classify.h"

static void test_postfix(void **state)
{
	(void)state;
	struct bw_report rep;
	classify("From: MAILER-DAEMON@mx.example.org (Mail Delivery System)\n"
		 "To: news@shop.example.com\nSubject: Undelivered Mail Returned to Sender\n\n"
		 "This is the mail system at host mx.example.org.\n\n"
		 "I'm sorry to have to inform you that your message could not\n"
		 "be delivered to one or more recipients.\n\n"
		 "For further assistance, please contact <postmaster@mx.example.org>\n\n"
		 "                   The mail system\n\n"
		 "<dana@example.net>: host mx.example.net[192.0.2.7] said: 550 5.1.1\n"
		 "    <dana@example.net>: Recipient address rejected: User unknown in local\n"
		 "    recipient table (in reply to RCPT TO command)\n\n"
		 "<erin@Example.NET>: host mx.example.net[192.0.2.7] said: 452 4.2.2 Mailbox\n"
		 "    full (in reply to RCPT TO command)\n", &rep);
	assert_int_equal(rep.verdict, BW_VERDICT_BOUNCE);
	assert_int_equal(rep.n_events, 2);
	const struct bw_event *d = event_for(&rep, "dana@example.net");
	assert_non_null(d);
	assert_string_equal(d->detector, "lhost:postfix");
	assert_string_equal(d->status, "5.1.1");
	assert_string_equal(d->reply_code, "550");
	assert_non_null(strstr(d->diagnostic, "User unknown in local recipient table"));
	const struct bw_event *e = event_for(&rep, "erin@example.net");   /* domain lower-cased */
	assert_non_null(e);
	assert_string_equal(e->status, "4.2.2");
	assert_null(event_for(&rep, "postmaster@mx.example.org"));
	report_free(&rep);
}

static void test_qmail_double_bounce(void **state)
{
	(void)state;
	struct bw_report rep;
	/* a qmail bounce to the very address that failed is still that address */
	classify("From: MAILER-DAEMON@mail.example.org\nTo: frank@example.org\nSubject: failure notice\n\n"
		 "Hi. This is the qmail-send program at mail.example.org.\n"
		 "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
		 "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
		 "<frank@example.org>:\n192.0.2.9 does not like recipient.\n"
		 "Remote host said: 552 sorry, mailbox quota exceeded\nGiving up on 192.0.2.9.\n\n"
		 "--- Below this line is a copy of the message.\n\n"
		 "Return-Path: <>\nFrom: MAILER-DAEMON@mail.example.org\nTo: frank@example.org\n", &rep);
	assert_int_equal(rep.n_events, 1);
	assert_string_equal(rep.events[0].recipient, "frank@example.org");
	assert_string_equal(rep.events[0].detector, "lhost:qmail");
	assert_string_equal(rep.events[0].reply_code, "552");
	assert_non_null(strstr(rep.events[0].diagnostic, "mailbox quota exceeded"));
	report_free(&rep);
}

static void test_exim_failed_header(void **state)
{
	(void)state;
	struct bw_report rep;
	classify("From: Mail Delivery System <Mailer-Daemon@relay.example.org>\n"
		 "To: news@shop.example.com\nSubject: Mail delivery failed: returning message to sender\n"
		 "X-Failed-Recipients: gina@example.net\n\n"
		 "This message was created automatically by mail delivery software.\n\n"
		 "A message that you sent could not be delivered to one or more of its\n"
		 "recipients. This is a permanent error. The following address(es) failed:\n\n"
		 "  gina@example.net\n"
		 "    SMTP error from remote mail server after RCPT TO:<gina@example.net>:\n"
		 "    host mx.example.net [192.0.2.3]: 550 5.7.1 Service unavailable; client blocked\n"
		 "    (ultimately generated from info@example.com)\n\n"
		 "------ This is a copy of the message, including all the headers. ------\n\n"
		 "From: news@shop.example.com\nTo: info@example.com\nSubject: offer\n", &rep);
	/* the header names the failed address; the alias it came from is not a second one */
	assert_int_equal(rep.n_events, 1);
	assert_string_equal(rep.events[0].recipient, "gina@example.net");
	assert_string_equal(rep.events[0].detector, "lhost:exim");
	assert_string_equal(rep.events[0].status, "5.7.1");
	assert_string_equal(rep.events[0].reply_code, "550");
	report_free(&rep);
}

static void test_sendmail_transcript(void **state)
{
	(void)state;
	struct bw_report rep;
	classify("From: Mail Delivery Subsystem <MAILER-DAEMON@old.example.org>\n"
		 "To: news@shop.example.com\nSubject: Returned mail: User unknown\n\n"
		 "   ----- Transcript of session follows -----\n"
		 "While talking to mx.example.net:\n"
		 ">>> RCPT To:<hank@example.net>\n"
		 "<<< 550 <hank@example.net>... User unknown\n"
		 "550 <hank@example.net>... User unknown\n\n"
		 "   ----- Unsent message follows -----\n"
		 "From: news@shop.example.com\nTo: hank@example.net\nSubject: offer\n", &rep);
	assert_int_equal(rep.n_events, 1);
	assert_string_equal(rep.events[0].recipient, "hank@example.net");
	assert_string_equal(rep.events[0].detector, "lhost:sendmail");
	assert_string_equal(rep.events[0].reply_code, "550");
	report_free(&rep);
}

/* A mail system that looks its recipients up itself (RULE_LOOKUP) states
 * "unknown user" as a verdict; the same words from an unknown relay, with
 * no code and no RCPT TO stage, are a filter's (filtered, not hard). */
static void test_own_lookup(void **state)
{
	(void)state;
	static const char imail[] =
		"From: \"Postmaster\" <postmaster@example.org>\nTo: news@shop.example.com\n"
		"Subject: Undeliverable Mail\n%s\n"
		"Unknown user: jack@example.org\n\n"
		"Original message follows.\n\nFrom: news@shop.example.com\nTo: jack@example.org\n";
	char msg[1024];
	struct bw_report rep;
	snprintf(msg, sizeof(msg), imail, "X-Mailer: <SMTP32 v8.12>\n");
	classify(msg, &rep);
	assert_int_equal(rep.n_events, 1);
	assert_string_equal(rep.events[0].detector, "lhost:imailserver");
	assert_int_equal(rep.events[0].reason, BW_R_USERUNKNOWN);
	assert_true(rep.events[0].hard);
	report_free(&rep);
	snprintf(msg, sizeof(msg), imail, "");
	classify(msg, &rep);
	assert_int_equal(rep.n_events, 1);
	assert_int_equal(rep.events[0].reason, BW_R_FILTERED);
	assert_false(rep.events[0].hard);
	report_free(&rep);

	/* a gateway's DSN: the DSN detector finds the event, the gateway's
	 * header says who looked the recipient up */
	static const char dsn[] =
		"From: <MAILER-DAEMON@gw.example.org>\nTo: news@shop.example.com\nSubject: Delivery Status\n%s"
		"MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n"
		"--b\nContent-Type: text/plain\n\nThe following addresses had delivery problems\n\n"
		"--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; gw.example.org\n\n"
		"Original-Recipient: <kim@example.org>\nAction: failed\n"
		"Diagnostic-Code: smtp; 550 Unknown user kim@example.org\n\n--b--\n";
	snprintf(msg, sizeof(msg), dsn, "X-NAI-Header: Modified by McAfee Email Gateway\n");
	classify(msg, &rep);
	assert_int_equal(rep.n_events, 1);
	assert_string_equal(rep.events[0].detector, "rfc3464");
	assert_int_equal(rep.events[0].reason, BW_R_USERUNKNOWN);
	report_free(&rep);
	snprintf(msg, sizeof(msg), dsn, "");
	classify(msg, &rep);
	assert_int_equal(rep.n_events, 1);
	assert_int_equal(rep.events[0].reason, BW_R_FILTERED);
	report_free(&rep);
}

static void test_not_a_bounce(void **state)
{
	(void)state;
	struct bw_report rep;
	/* a human message that mentions an MTA by name is no bounce */
	classify("From: Ivy <ivy@example.net>\nTo: news@shop.example.com\nSubject: about postfix\n\n"
		 "Hi, we run Postfix and Exim. Write to joe@example.net for details.\n", &rep);
	assert_int_equal(rep.verdict, BW_VERDICT_NOT_BOUNCE);
	assert_int_equal(rep.n_events, 0);
	report_free(&rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_postfix),
		cmocka_unit_test(test_qmail_double_bounce),
		cmocka_unit_test(test_exim_failed_header),
		cmocka_unit_test(test_sendmail_transcript),
		cmocka_unit_test(test_own_lookup),
		cmocka_unit_test(test_not_a_bounce),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
