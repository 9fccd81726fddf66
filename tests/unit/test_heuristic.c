/*
 * test_heuristic.c - the fallback for bounces no rule knows: recipients
 * found by where they stand (list item, label, failure line), the bounce's
 * own addresses ignored, HTML reports, returned-message fallback.
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
#include "../../src/detect.h"

#include "fixture_classify.h"

static void test_list_item(void **state)
{
	(void)state;
	struct bw_report rep;
	classify("From: postmaster@gw.example.org\nTo: news@shop.example.com\n"
		 "Subject: Undeliverable Mail\n\n"
		 "Your message could not be delivered.\n"
		 "Please contact postmaster@gw.example.org if you have questions.\n\n"
		 "The following recipients failed:\n\n"
		 "   * jack@example.net\n   * kate@example.net\n\n"
		 "Reason: 550 5.1.1 mailbox unavailable\n", &rep);
	assert_int_equal(rep.verdict, BW_VERDICT_BOUNCE);
	assert_int_equal(rep.n_events, 2);
	assert_non_null(event_for(&rep, "jack@example.net"));
	assert_non_null(event_for(&rep, "kate@example.net"));
	assert_null(event_for(&rep, "postmaster@gw.example.org"));
	assert_string_equal(rep.events[0].detector, "heuristic");
	assert_string_equal(rep.events[0].reply_code, "550");
	report_free(&rep);
}

static void test_label(void **state)
{
	(void)state;
	struct bw_report rep;
	classify("From: MAILER-DAEMON@mail.example.org\nTo: news@shop.example.com\n"
		 "Subject: Processing Error\n\n"
		 "Intended recipient: liam@example.net\n\n"
		 "The following mail has been returned because it encountered an error.\n", &rep);
	assert_int_equal(rep.n_events, 1);
	assert_string_equal(rep.events[0].recipient, "liam@example.net");
	report_free(&rep);
}

static void test_own_addresses(void **state)
{
	(void)state;
	struct bw_report rep;
	/* the sender of the returned message is named in prose, not failed */
	classify("From: MAILER-DAEMON@mail.example.org\nTo: news@shop.example.com\n"
		 "Subject: Delivery failure\n\n"
		 "Your message from news@shop.example.com was rejected.\n"
		 "Sorry, unable to deliver your message to mona@example.net for\n"
		 "the following reason: 552 Quota exceeded\n\n"
		 "--- Original message follows.\n\n"
		 "From: news@shop.example.com\nTo: mona@example.net\n", &rep);
	assert_int_equal(rep.n_events, 1);
	assert_string_equal(rep.events[0].recipient, "mona@example.net");
	report_free(&rep);
}

/* An address offered as an alternative is advice, not a failed recipient. */
static void test_suggested_address(void **state)
{
	(void)state;
	struct bw_report rep;
	classify("From: MAILER-DAEMON@mail.example.edu\nTo: news@shop.example.com\n"
		 "Subject: Returned mail\n\n"
		 "Message not delivered to the following:\n\n"
		 "   nora@example.edu   No such user\n\n"
		 "If no lookup tools are available to you, try sending to\n"
		 "the most explicit form of the name, e.g. nora.k.lee@example.edu, or\n"
		 "try emailing to NAME@cs.example.edu instead.\n", &rep);
	assert_int_equal(rep.verdict, BW_VERDICT_BOUNCE);
	assert_int_equal(rep.n_events, 1);
	assert_string_equal(rep.events[0].recipient, "nora@example.edu");
	/* "No such user" that no code or RCPT TO stage confirms */
	assert_int_equal(rep.events[0].reason, BW_R_FILTERED);
	report_free(&rep);
}

/* A free-form warning (the message is still queued) is delayed, not a
 * soft bounce; a permanent failure of the same shape is not. */
static void test_delay_warning(void **state)
{
	(void)state;
	struct bw_report rep;
	classify("From: MAILER-DAEMON@mx.example.org\nTo: news@shop.example.com\n"
		 "Subject: Delivery Notification\n\n"
		 "Your message with Subject: Spring sale\n"
		 "could not be delivered to the following recipients:\n\n"
		 "olga@example.net\n\n"
		 "Please do not resend your original message.\n\n"
		 "Delivery attempts will continue to be made for 5 day(s).\n", &rep);
	assert_int_equal(rep.n_events, 1);
	assert_string_equal(rep.events[0].action, "delayed");
	assert_int_equal(rep.events[0].kind, BW_KIND_DELAYED);
	assert_int_equal(rep.events[0].status[0], '4');
	assert_false(rep.events[0].hard);
	report_free(&rep);
	classify("From: MAILER-DAEMON@mx.example.org\nTo: news@shop.example.com\n"
		 "Subject: Delivery Notification\n\n"
		 "Your message with Subject: Spring sale\n"
		 "could not be delivered to the following recipients:\n\n"
		 "olga@example.net\n\n"
		 "This is a permanent error; I've given up.\n", &rep);
	assert_int_equal(rep.n_events, 1);
	assert_string_not_equal(rep.events[0].action, "delayed");
	assert_int_not_equal(rep.events[0].kind, BW_KIND_DELAYED);
	report_free(&rep);
	/* the subject alone says so (Postfix's "Delayed Mail (still being retried)") */
	classify("From: MAILER-DAEMON@mx.example.org\nTo: news@shop.example.com\n"
		 "Subject: Delayed Mail (still being retried)\n\n"
		 "<pia@example.net>: connect to mx.example.net[192.0.2.9]:25: Connection timed out\n", &rep);
	assert_int_equal(rep.n_events, 1);
	assert_int_equal(rep.events[0].kind, BW_KIND_DELAYED);
	report_free(&rep);
}

static void test_html_report(void **state)
{
	(void)state;
	struct bw_report rep;
	classify("From: MAILER-DAEMON@webmail.example.org\nTo: news@shop.example.com\n"
		 "Subject: failure notice\nContent-Type: text/html\n\n"
		 "<html><body>I wasn't able to deliver your message to the following addresses.<br><br>"
		 "nick@example.net<br>No such user<br></body></html>\n", &rep);
	assert_int_equal(rep.n_events, 1);
	assert_string_equal(rep.events[0].recipient, "nick@example.net");
	assert_non_null(strstr(rep.events[0].diagnostic, "No such user"));
	report_free(&rep);
}

static void test_returned_to_fallback(void **state)
{
	(void)state;
	struct bw_report rep;
	classify("From: MAILER-DAEMON@mail.example.org\nTo: news@shop.example.com\n"
		 "Subject: Returned mail\n\n"
		 "Delivery failed: mailbox unavailable.\n\n"
		 "----- Original message -----\n\n"
		 "From: news@shop.example.com\nTo: olga@example.net\nSubject: hi\n\nbody\n", &rep);
	assert_int_equal(rep.n_events, 1);
	assert_string_equal(rep.events[0].recipient, "olga@example.net");
	report_free(&rep);
	/* ... but not when the returned message is a list post: its To is the list */
	classify("From: MAILER-DAEMON@mail.example.org\nTo: list-bounces@lists.example.com\n"
		 "Subject: Returned mail\n\n"
		 "Delivery failed: mailbox unavailable.\n\n"
		 "----- Original message -----\n\n"
		 "From: ann@example.com\nTo: list@lists.example.com\nList-Id: <list.lists.example.com>\n"
		 "Subject: hi\n\nbody\n", &rep);
	assert_int_equal(rep.n_events, 0);
	report_free(&rep);
}

static void test_line_endings(void **state)
{
	(void)state;
	const char *lf = "From: MAILER-DAEMON@mail.example.org\nTo: news@shop.example.com\n"
			 "Subject: Delivery failure\n\n<pete@example.net>:\n"
			 "This user doesn't have an account here [550]\n";
	char crlf[512], cr[512];
	size_t o = 0, k = 0;
	for (const char *p = lf; *p; p++) {
		if (*p == '\n')
			crlf[o++] = '\r';
		crlf[o++] = *p;
		cr[k++] = *p == '\n' ? '\r' : *p;
	}
	crlf[o] = cr[k] = '\0';
	const char *forms[] = { lf, crlf, cr };
	for (size_t i = 0; i < 3; i++) {
		struct bw_report rep;
		classify(forms[i], &rep);
		assert_int_equal(rep.n_events, 1);
		assert_string_equal(rep.events[0].recipient, "pete@example.net");
		report_free(&rep);
	}
}

/* A bare address, then a blank line, then the reason (DragonFly style). */
static void test_paragraph_after(void **state)
{
	(void)state;
	struct bw_report rep;
	classify("From: MAILER-DAEMON <>\nTo: me@src.example.org\nSubject: Mail delivery failed\n\n"
		 "There was an error delivering your mail to <gone@nowhere.example.net>.\n\n"
		 "DNS lookup failure: host nowhere.example.net not found\n\n"
		 "Message headers follow.\n\nTo: <gone@nowhere.example.net>\n", &rep);
	assert_int_equal(rep.n_events, 1);
	assert_string_equal(rep.events[0].recipient, "gone@nowhere.example.net");
	assert_non_null(strstr(rep.events[0].diagnostic, "DNS lookup failure"));
	assert_int_equal(rep.events[0].reason, BW_R_HOSTUNKNOWN);
	assert_true(rep.events[0].hard);
	report_free(&rep);
}

/* The reason above the address (a "Failure Reasons" section). */
static void test_paragraph_above(void **state)
{
	(void)state;
	struct bw_report rep;
	classify("From: postmaster@mail.example.co.jp\nTo: me@src.example.org\nSubject: Undeliverable mail\n\n"
		 "------- Failure Reasons  --------\n\n"
		 "User not listed in public Name & Address Book\n"
		 "nobody@mail.example.co.jp\n\n"
		 "------- Returned Message --------\n", &rep);
	assert_int_equal(rep.n_events, 1);
	assert_string_equal(rep.events[0].recipient, "nobody@mail.example.co.jp");
	assert_int_equal(rep.events[0].reason, BW_R_USERUNKNOWN);
	report_free(&rep);
}

/* A multi-line reply whose middle line names the recipient. */
static void test_multiline_reply(void **state)
{
	(void)state;
	struct bw_report rep;
	classify("From: postmaster@mail.example.com\nTo: me@src.example.org\nSubject: Undeliverable Mail\n\n"
		 "undeliverable to rcpt@example.jp\n\n"
		 "550-REJECTED - Blacklisted URL in message.\n"
		 "550-F=[me@src.example.org] T=[rcpt@example.jp]\n"
		 "550 end of reply\n", &rep);
	assert_int_equal(rep.n_events, 1);
	assert_non_null(strstr(rep.events[0].diagnostic, "Blacklisted URL"));
	assert_int_equal(rep.events[0].reason, BW_R_SPAMDETECTED);
	assert_string_equal(rep.events[0].reply_code, "550");
	report_free(&rep);
}

/* Bare local parts under a heading, completed from the reporter's domain. */
static void test_bare_local_part(void **state)
{
	(void)state;
	struct bw_report rep;
	classify("From: \"Mail Delivery Subsystem\" <MAILER-DAEMON@mx2.dept.Example.EDU>\n"
		 "To: list-bounces@lists.example.org\nSubject: Mail Delivery Problem\n\n"
		 "Your mail to the following recipients could not be delivered because they are not\n"
		 "accepting mail from list@lists.example.org:\n"
		 "\tsomeone\n", &rep);
	assert_int_equal(rep.n_events, 1);
	assert_string_equal(rep.events[0].recipient, "someone@example.edu");
	report_free(&rep);
}

/* A sendmail transcript: the summary line takes the remote reply above it,
 * and the next coded line is another entry. */
static void test_transcript_entries(void **state)
{
	(void)state;
	struct bw_report rep;
	classify("From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.com>\nTo: me@example.com\n"
		 "Subject: Returned mail: see transcript for details\n\n"
		 "   ----- Transcript of session follows -----\n"
		 "While talking to mx.example.edu:\n"
		 ">>> MAIL From:<me@example.com>\n"
		 "<<< 550 Insecure Mail Relay\n"
		 "554 <a@example.edu>... Remote protocol error\n"
		 "554 <b@example.net>... 550 Host unknown\n\n"
		 "   ----- Unsent message follows -----\n", &rep);
	assert_int_equal(rep.n_events, 2);
	const struct bw_event *a = event_for(&rep, "a@example.edu"), *b = event_for(&rep, "b@example.net");
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(a->reason, BW_R_NORELAYING);
	assert_string_equal(a->reply_code, "550");
	assert_int_equal(b->reason, BW_R_HOSTUNKNOWN);
	report_free(&rep);
}

/* det_past_heading against a line-by-line reading: each line trimmed of
 * blanks and CR at its end, the first that ends in ':'. */
static const char *ref_past_heading(const char *p, const char *e)
{
	while (p < e) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		const char *le = nl ? nl : e, *t = le;
		while (t > p && (t[-1] == ' ' || t[-1] == '\t' || t[-1] == '\r'))
			t--;
		if (t > p && t[-1] == ':')
			return nl ? nl + 1 : e;
		p = nl ? nl + 1 : e;
	}
	return NULL;
}

static void test_past_heading_random(void **state)
{
	(void)state;
	static const char alphabet[] = "ab:: \t\r\n\n";
	char text[120];
	srand(1234);
	for (int round = 0; round < 200000; round++) {
		size_t len = (size_t)(rand() % (int)sizeof(text));
		for (size_t i = 0; i < len; i++)
			text[i] = alphabet[rand() % (int)(sizeof(alphabet) - 1)];
		assert_ptr_equal(det_past_heading(text, text + len), ref_past_heading(text, text + len));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_past_heading_random),
		cmocka_unit_test(test_list_item),
		cmocka_unit_test(test_label),
		cmocka_unit_test(test_own_addresses),
		cmocka_unit_test(test_suggested_address),
		cmocka_unit_test(test_delay_warning),
		cmocka_unit_test(test_html_report),
		cmocka_unit_test(test_returned_to_fallback),
		cmocka_unit_test(test_line_endings),
		cmocka_unit_test(test_paragraph_after),
		cmocka_unit_test(test_paragraph_above),
		cmocka_unit_test(test_multiline_reply),
		cmocka_unit_test(test_bare_local_part),
		cmocka_unit_test(test_transcript_entries),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
