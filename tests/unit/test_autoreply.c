/*
 * test_autoreply.c - RFC 3834 auto-replies and vacation notices: one
 * autoreply event for the sender, never for a bounce that carries an
 * Auto-Submitted header.
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

static void test_auto_submitted(void **state)
{
	(void)state;
	struct bw_report rep;
	classify("From: Quinn <quinn@example.net>\nTo: news@shop.example.com\n"
		 "Subject: Away until Monday\nAuto-Submitted: auto-replied\n\n"
		 "I am out of the office until Monday.\n", &rep);
	assert_int_equal(rep.verdict, BW_VERDICT_AUTOREPLY);
	assert_int_equal(rep.n_events, 1);
	assert_string_equal(rep.events[0].recipient, "quinn@example.net");
	assert_string_equal(rep.events[0].detector, "rfc3834");
	assert_int_equal(rep.events[0].reason, BW_R_VACATION);
	assert_int_equal(rep.events[0].kind, BW_KIND_AUTOREPLY);
	report_free(&rep);
}

static void test_subject_languages(void **state)
{
	(void)state;
	static const char *const subjects[] = {
		"Out of Office: offer", "Automatische Antwort: offer", "Réponse automatique : offer",
		"Risposta automatica: offer",
	};
	for (size_t i = 0; i < sizeof(subjects) / sizeof(subjects[0]); i++) {
		char msg[512];
		snprintf(msg, sizeof(msg), "From: rosa@example.net\nTo: news@shop.example.com\n"
			 "Subject: %s\n\nBack soon.\n", subjects[i]);
		struct bw_report rep;
		classify(msg, &rep);
		assert_int_equal(rep.verdict, BW_VERDICT_AUTOREPLY);
		report_free(&rep);
	}
}

static void test_bounce_with_auto_submitted(void **state)
{
	(void)state;
	struct bw_report rep;
	/* providers mark their bounces Auto-Submitted too: still a bounce */
	classify("From: Mail Delivery Subsystem <mailer-daemon@mail.example.org>\n"
		 "To: news@shop.example.com\nSubject: Delivery Status Notification (Failure)\n"
		 "Auto-Submitted: auto-replied\nX-Failed-Recipients: sam@groups.example.org\n\n"
		 "The group you tried to contact (sam) may not exist.\n", &rep);
	assert_int_equal(rep.verdict, BW_VERDICT_BOUNCE);
	assert_int_equal(rep.n_events, 1);
	assert_string_equal(rep.events[0].recipient, "sam@groups.example.org");
	report_free(&rep);
}

static void test_human_reply(void **state)
{
	(void)state;
	struct bw_report rep;
	classify("From: Tom <tom@example.net>\nTo: news@shop.example.com\nSubject: Re: offer\n\n"
		 "Thanks, sounds good.\n", &rep);
	assert_int_equal(rep.verdict, BW_VERDICT_NOT_BOUNCE);
	assert_int_equal(rep.n_events, 0);
	report_free(&rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auto_submitted),
		cmocka_unit_test(test_subject_languages),
		cmocka_unit_test(test_bounce_with_auto_submitted),
		cmocka_unit_test(test_human_reply),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
