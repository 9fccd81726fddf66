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
#include "util.h"

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

/* --- bw_parse_date against the reading it replaced ---------------------- */

static const char *ref_skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == ',')
		p++;
	return p;
}

static const char *ref_num(const char *p, int maxdigits, int *out)
{
	int v = 0, n = 0;
	while (bw_isdigit((unsigned char)*p) && n < maxdigits)
		v = v * 10 + (*p++ - '0'), n++;
	*out = n ? v : -1;
	return p;
}

static long ref_days(int y, int m, int d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* Every month and zone name tried in turn with bw_prefixcase, as at first. */
static time_t ref_parse_date(const char *s)
{
	static const char *const mons[12] = { "jan", "feb", "mar", "apr", "may", "jun",
					      "jul", "aug", "sep", "oct", "nov", "dec" };
	static const struct { const char *n; int off; } zones[] = {
		{ "UT", 0 }, { "GMT", 0 }, { "UTC", 0 }, { "Z", 0 }, { "EST", -300 }, { "EDT", -240 },
		{ "CST", -360 }, { "CDT", -300 }, { "MST", -420 }, { "MDT", -360 }, { "PST", -480 },
		{ "PDT", -420 }, { "JST", 540 }, { "CET", 60 }, { "CEST", 120 },
	};
	const char *p = ref_skip_ws(s);
	if (bw_isalpha((unsigned char)*p)) {
		while (bw_isalpha((unsigned char)*p))
			p++;
		p = ref_skip_ws(p);
	}
	int day, mon = -1, year, hh, mm, ss = 0;
	p = ref_num(p, 2, &day);
	if (day < 1 || day > 31)
		return 0;
	p = ref_skip_ws(p);
	if (*p == '-')
		p++;
	for (int i = 0; i < 12; i++)
		if (bw_prefixcase(p, 3, mons[i]))
			mon = i + 1;
	if (mon < 0)
		return 0;
	while (bw_isalpha((unsigned char)*p))
		p++;
	if (*p == '-')
		p++;
	p = ref_skip_ws(p);
	p = ref_num(p, 4, &year);
	if (year < 0)
		return 0;
	year += year < 50 ? 2000 : year < 1000 ? 1900 : 0;
	p = ref_skip_ws(p);
	p = ref_num(p, 2, &hh);
	if (hh < 0 || *p != ':')
		return 0;
	p = ref_num(p + 1, 2, &mm);
	if (mm < 0)
		return 0;
	if (*p == ':')
		p = ref_num(p + 1, 2, &ss);
	if (ss < 0)
		ss = 0;
	p = ref_skip_ws(p);
	if (hh > 23 || mm > 59 || ss > 60)
		return 0;
	long long t = (long long)ref_days(year, mon, day) * 86400 + hh * 3600 + mm * 60 + ss;
	int off = 0;
	if (*p == '+' || *p == '-') {
		int v;
		ref_num(p + 1, 4, &v);
		off = v < 0 ? 0 : (*p == '-' ? -1 : 1) * ((v / 100) * 60 + v % 100);
	} else {
		for (size_t i = 0; i < ARRAY_LEN(zones); i++)
			if (bw_prefixcase(p, strlen(p), zones[i].n)) {
				off = zones[i].off;
				break;
			}
	}
	t -= (long long)off * 60;
	return t > 0 ? (time_t)t : 0;
}

/* Dates made of the pieces mail writes (day names, months in any case, two-
 * and four-digit years, zones by name and number, stray commas and dashes)
 * and of near misses. */
static void test_parse_date_random(void **state)
{
	(void)state;
	static const char *const pieces[] = {
		"Wed", "wed,", " ", "  ", ",", "-", "16", "3", "32", "0", "Oct", "oCT", "Dec", "Ju", "Jun",
		"jul", "Febr", "2013", "13", "99", "1999", "14:15", ":35", ":7", "25:00", "+0900", "-0500",
		"+09", "GMT", "gmt", "UT", "Z", "CEST", "CE", "est", "\t", "x", "(UTC)",
	};
	char d[200];
	srand(1970);
	for (int round = 0; round < 300000; round++) {
		size_t o = 0;
		int n = rand() % 12;
		for (int i = 0; i < n; i++) {
			const char *pc = pieces[rand() % (int)ARRAY_LEN(pieces)];
			size_t pl = strlen(pc);
			if (o + pl + 1 >= sizeof(d))
				break;
			memcpy(d + o, pc, pl);
			o += pl;
			if (rand() % 3)
				d[o++] = ' ';
		}
		d[o] = '\0';
		assert_int_equal(bw_parse_date(d), ref_parse_date(d));
	}
	/* the shapes the corpus writes, each in full */
	assert_int_equal(bw_parse_date("Thu, 1 Jan 2026 00:00:00 -0000"), ref_parse_date("Thu, 1 Jan 2026 00:00:00 -0000"));
	assert_int_equal(bw_parse_date("16-oct-2013 14:15:35 JST"), ref_parse_date("16-oct-2013 14:15:35 JST"));
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
		cmocka_unit_test(test_parse_date_random),
	};
	return cmocka_run_group_tests_name("classify", tests, setup, teardown);
}
