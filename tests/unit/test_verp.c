/*
 * test_verp.c - VERP return paths: decoding, signing, the recipient of a
 * bounce that names nobody, and `unverified` under require_signed.
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
#include "verp.h"

static void test_decode(void **state)
{
	(void)state;
	char rcpt[320], tag[VERP_TAG_LEN + 1];
	assert_true(verp_decode("bounces+{local}={domain}@", "bounces+kim=Example.ORG@bounce.example.com",
				rcpt, sizeof(rcpt), tag));
	assert_string_equal(rcpt, "kim@example.org");
	assert_string_equal(tag, "");
	assert_false(verp_decode("bounces+{local}={domain}@", "news@shop.example.com", rcpt, sizeof(rcpt), tag));
	assert_false(verp_decode("bounces+{local}={domain}@", "bounces+nodomain@bounce.example.com",
				 rcpt, sizeof(rcpt), tag));
}

static void test_signed_round_trip(void **state)
{
	(void)state;
	char path[400], rcpt[320], tag[VERP_TAG_LEN + 1];
	assert_true(verp_encode("bounces+{local}={domain}@", "s3cret", "Lee@Example.org", "bounce.example.com",
				path, sizeof(path)));
	assert_true(verp_decode("bounces+{local}={domain}@", path, rcpt, sizeof(rcpt), tag));
	assert_string_equal(rcpt, "Lee@example.org");
	assert_true(verp_verify("s3cret", rcpt, tag));
	assert_false(verp_verify("other", rcpt, tag));
}

static const char *nameless =
	"From: MAILER-DAEMON@mx.example.net\n"
	"To: bounces+mia=example.net@bounce.shop.example.com\n"
	"Subject: Undeliverable message\n\n"
	"Your message could not be delivered: 550 mailbox unavailable.\n";

static void test_event_from_return_path(void **state)
{
	(void)state;
	struct bw_report rep;
	classify(nameless, &rep);
	assert_int_equal(rep.verdict, BW_VERDICT_BOUNCE);
	assert_int_equal(rep.n_events, 1);
	assert_string_equal(rep.events[0].recipient, "mia@example.net");
	assert_string_equal(rep.events[0].detector, "verp");
	assert_string_equal(rep.events[0].reply_code, "550");
	assert_false(rep.events[0].unverified);
	report_free(&rep);
}

static void test_no_bounce_no_event(void **state)
{
	(void)state;
	struct bw_report rep;
	/* a human reply to a VERP address is not a bounce of that address */
	classify("From: mia@example.net\nTo: bounces+mia=example.net@bounce.shop.example.com\n"
		 "Subject: Re: offer\n\nPlease call me.\n", &rep);
	assert_int_equal(rep.n_events, 0);
	report_free(&rep);
}

static void test_require_signed(void **state)
{
	(void)state;
	struct bw_report rep;
	bool was = cfg.classify.verp.require_signed;
	cfg.classify.verp.require_signed = true;
	struct bw_classifier *signed_cl = classifier_new(&cfg.classify, "s3cret");
	memset(&rep, 0, sizeof(rep));
	classify_message(signed_cl, nameless, strlen(nameless), &rep);
	assert_int_equal(rep.n_events, 1);
	assert_true(rep.events[0].unverified);          /* no tag: a forgery could say this */
	report_free(&rep);

	char path[400], msg[1024];
	assert_true(verp_encode("bounces+{local}={domain}@", "s3cret", "mia@example.net",
				"bounce.shop.example.com", path, sizeof(path)));
	snprintf(msg, sizeof(msg), "From: MAILER-DAEMON@mx.example.net\nTo: %s\n"
		 "Subject: Undeliverable message\n\nYour message could not be delivered: 550 no such user.\n", path);
	memset(&rep, 0, sizeof(rep));
	classify_message(signed_cl, msg, strlen(msg), &rep);
	assert_int_equal(rep.n_events, 1);
	assert_string_equal(rep.events[0].recipient, "mia@example.net");
	assert_false(rep.events[0].unverified);
	report_free(&rep);
	classifier_free(signed_cl);
	cfg.classify.verp.require_signed = was;
}

/* The envelope headers in turn, the format's prefix in either case, and a
 * format with no prefix at all. */
static void test_envelope_headers(void **state)
{
	(void)state;
	struct bw_report rep;
	classify("From: MAILER-DAEMON@mx.example.net\nTo: news@shop.example.com\n"
		 "Delivered-To: \"Bounces\" <BOUNCES+Mia=Example.NET@bounce.shop.example.com>\n"
		 "Subject: Undeliverable message\n\nYour message could not be delivered: 550 no such user.\n", &rep);
	assert_int_equal(rep.n_events, 1);
	assert_string_equal(rep.events[0].recipient, "Mia@example.net");
	assert_string_equal(rep.events[0].detector, "verp");
	report_free(&rep);
	/* the prefix stands in the value, but its first address is another */
	classify("From: MAILER-DAEMON@mx.example.net\nTo: news@shop.example.com, bounces+mia=example.net@b.example.com\n"
		 "Subject: Undeliverable message\n\nYour message could not be delivered: 550 no such user.\n", &rep);
	assert_int_equal(rep.n_events, 0);
	report_free(&rep);
	/* no prefix: every envelope address is tried */
	char *fmt = cfg.classify.verp.format;
	cfg.classify.verp.format = (char *)"{local}={domain}@";
	struct bw_classifier *bare = classifier_new(&cfg.classify, NULL);
	const char *msg = "From: MAILER-DAEMON@mx.example.net\nTo: mia=example.net@bounce.shop.example.com\n"
			  "Subject: Undeliverable message\n\nYour message could not be delivered: 550 no such user.\n";
	memset(&rep, 0, sizeof(rep));
	classify_message(bare, msg, strlen(msg), &rep);
	assert_int_equal(rep.n_events, 1);
	assert_string_equal(rep.events[0].recipient, "mia@example.net");
	report_free(&rep);
	classifier_free(bare);
	cfg.classify.verp.format = fmt;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_signed_round_trip),
		cmocka_unit_test(test_event_from_return_path),
		cmocka_unit_test(test_no_bounce_no_event),
		cmocka_unit_test(test_require_signed),
		cmocka_unit_test(test_envelope_headers),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
