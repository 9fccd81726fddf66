/*
 * test_policy.c - every rule of SPEC §4 and its boundaries, with an injected
 * clock: hard, soft (3 campaigns, 7 in a row, 15 in all, 72 hours),
 * mailboxfull 30 days, block, delayed, complaint, autoreply, sender-side,
 * global, rates.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"

#define HOUR 3600
#define DAY (24 * HOUR)
#define T0 1700000000

static struct bw_policy_conf conf(void)
{
	struct bw_policy_conf c = {
		.soft_campaigns = 3, .soft_consecutive = 7, .soft_total = 15,
		.soft_window_hours = 72, .mailboxfull_days = 30, .global_accounts = 3,
		.alert_hard_rate = 0.02, .alert_soft_rate = 0.05,
	};
	return c;
}

static struct bw_event event(enum bw_kind kind, enum bw_reason reason, const char *campaign)
{
	struct bw_event ev;
	memset(&ev, 0, sizeof ev);
	snprintf(ev.recipient, sizeof ev.recipient, "user@example.org");
	ev.kind = kind;
	ev.reason = reason;
	ev.hard = kind == BW_KIND_HARD;
	snprintf(ev.original.campaign, sizeof ev.original.campaign, "%s", campaign ? campaign : "");
	return ev;
}

static struct bw_address_state fresh(void)
{
	struct bw_address_state st;
	memset(&st, 0, sizeof st);
	snprintf(st.account, sizeof st.account, "main");
	snprintf(st.address, sizeof st.address, "user@example.org");
	return st;
}

struct outcome {
	struct bw_decision d[BW_POLICY_MAX_DECISIONS];
	unsigned n;
};

/* Apply one event at time t (campaign number seq) and return the decisions. */
static struct outcome apply(const struct bw_policy_conf *c, struct bw_address_state *st,
			    const struct bw_event *ev, time_t t, int64_t seq, unsigned hard_accounts)
{
	struct outcome o;
	struct bw_policy_input in = {
		.ev = ev, .account = "main", .time = t, .now = t + 60,
		.campaign_seq = seq, .hard_accounts = hard_accounts,
	};
	o.n = policy_apply(c, &in, st, o.d);
	assert_true(o.n >= 1);
	/* the raw bounce always comes first */
	assert_int_equal(o.d[0].type, BW_DEC_BOUNCE);
	return o;
}

/* How many decisions of type t, and the first one of them. */
static unsigned has(const struct outcome *o, enum bw_decision_type t, const struct bw_decision **first)
{
	unsigned k = 0;
	for (unsigned i = 0; i < o->n; i++) {
		if (o->d[i].type == t) {
			if (!k && first)
				*first = &o->d[i];
			k++;
		}
	}
	return k;
}

static void test_names(void **state)
{
	(void)state;
	static const char *const names[] = { "suppress", "unsuppress", "defer", "soft_bounce",
					     "alert", "bounce" };
	for (int i = 0; i < BW_DEC__COUNT; i++) {
		assert_string_equal(bw_decision_name((enum bw_decision_type)i), names[i]);
		assert_int_equal(bw_decision_from_name(names[i]), i);
	}
	assert_int_equal(bw_decision_from_name("nope"), -1);
	assert_string_equal(bw_addr_status_name(BW_ADDR_SUPPRESSED), "suppressed");
}

static void test_hard_suppresses_now(void **state)
{
	(void)state;
	struct bw_policy_conf c = conf();
	struct bw_address_state st = fresh();
	struct bw_event ev = event(BW_KIND_HARD, BW_R_USERUNKNOWN, "c1");
	struct outcome o = apply(&c, &st, &ev, T0, 1, 0);
	const struct bw_decision *d = NULL;
	assert_int_equal(has(&o, BW_DEC_SUPPRESS, &d), 1);
	assert_string_equal(d->address, "user@example.org");
	assert_string_equal(d->reason, "userunknown");
	assert_string_equal(d->scope, "account");
	assert_string_equal(d->account, "main");
	assert_string_equal(d->campaign, "c1");
	assert_int_equal(st.status, BW_ADDR_SUPPRESSED);
	assert_true(st.suppressed);
	assert_int_equal(st.hard_total, 1);
	/* a second hard bounce does not suppress twice */
	o = apply(&c, &st, &ev, T0 + 10, 1, 0);
	assert_int_equal(has(&o, BW_DEC_SUPPRESS, NULL), 0);
	assert_int_equal(st.hard_total, 2);
}

static void test_already_suppressed_by_list(void **state)
{
	(void)state;
	struct bw_policy_conf c = conf();
	struct bw_address_state st = fresh();
	st.suppressed_global = true;   /* e.g. added by hand */
	struct bw_event ev = event(BW_KIND_HARD, BW_R_USERUNKNOWN, NULL);
	struct outcome o = apply(&c, &st, &ev, T0, 0, 5);
	assert_int_equal(has(&o, BW_DEC_SUPPRESS, NULL), 0);
}

/* 2 consecutive campaigns: a soft bounce; 3: converted and suppressed. */
static void test_soft_campaigns_2_vs_3(void **state)
{
	(void)state;
	struct bw_policy_conf c = conf();
	struct bw_address_state st = fresh();
	struct bw_event e1 = event(BW_KIND_SOFT, BW_R_SYSTEMERROR, "c1");
	struct bw_event e2 = event(BW_KIND_SOFT, BW_R_SYSTEMERROR, "c2");
	struct bw_event e3 = event(BW_KIND_SOFT, BW_R_SYSTEMERROR, "c3");
	struct outcome o = apply(&c, &st, &e1, T0, 1, 0);
	assert_int_equal(has(&o, BW_DEC_SOFT_BOUNCE, NULL), 1);
	assert_int_equal(st.status, BW_ADDR_SOFT);
	/* the same campaign twice does not count twice */
	o = apply(&c, &st, &e1, T0 + HOUR, 1, 0);
	assert_int_equal(st.campaign_streak, 1);
	o = apply(&c, &st, &e2, T0 + 2 * HOUR, 2, 0);
	assert_int_equal(st.campaign_streak, 2);
	assert_int_equal(has(&o, BW_DEC_SUPPRESS, NULL), 0);
	assert_int_equal(has(&o, BW_DEC_SOFT_BOUNCE, NULL), 1);
	o = apply(&c, &st, &e3, T0 + 3 * HOUR, 3, 0);
	const struct bw_decision *d = NULL;
	assert_int_equal(has(&o, BW_DEC_SUPPRESS, &d), 1);
	assert_int_equal(has(&o, BW_DEC_SOFT_BOUNCE, NULL), 0);
	assert_string_equal(d->reason, "systemerror");
	assert_non_null(strstr(d->detail, "3 consecutive campaigns"));
	assert_int_equal(st.hard_total, 1);
	assert_int_equal(st.status, BW_ADDR_SUPPRESSED);
}

/* A campaign in between (seen through other addresses' bounces) breaks the streak. */
static void test_soft_campaign_gap_breaks_streak(void **state)
{
	(void)state;
	struct bw_policy_conf c = conf();
	struct bw_address_state st = fresh();
	struct bw_event e = event(BW_KIND_SOFT, BW_R_SYSTEMERROR, "cX");
	apply(&c, &st, &e, T0, 1, 0);
	apply(&c, &st, &e, T0 + HOUR, 2, 0);
	/* campaign 3 bounced for others, not for this address */
	struct outcome o = apply(&c, &st, &e, T0 + 2 * HOUR, 4, 0);
	assert_int_equal(st.campaign_streak, 1);
	assert_int_equal(has(&o, BW_DEC_SUPPRESS, NULL), 0);
	apply(&c, &st, &e, T0 + 3 * HOUR, 5, 0);
	o = apply(&c, &st, &e, T0 + 4 * HOUR, 6, 0);
	assert_int_equal(has(&o, BW_DEC_SUPPRESS, NULL), 1);
	/* a late bounce of an older campaign changes nothing */
	st = fresh();
	apply(&c, &st, &e, T0, 5, 0);
	apply(&c, &st, &e, T0, 3, 0);
	assert_int_equal(st.campaign_streak, 1);
	assert_int_equal(st.last_campaign_seq, 5);
}

/* 6 consecutive soft bounces without campaign: not yet; the 7th converts. */
static void test_soft_consecutive_6_vs_7(void **state)
{
	(void)state;
	struct bw_policy_conf c = conf();
	struct bw_address_state st = fresh();
	struct bw_event e = event(BW_KIND_SOFT, BW_R_SYSTEMERROR, NULL);
	struct outcome o;
	for (int i = 0; i < 6; i++) {
		o = apply(&c, &st, &e, T0 + i * HOUR, 0, 0);
		assert_int_equal(has(&o, BW_DEC_SUPPRESS, NULL), 0);
	}
	assert_int_equal(st.nocamp_streak, 6);
	o = apply(&c, &st, &e, T0 + 6 * HOUR, 0, 0);
	const struct bw_decision *d = NULL;
	assert_int_equal(has(&o, BW_DEC_SUPPRESS, &d), 1);
	assert_non_null(strstr(d->detail, "7 consecutive soft bounces"));
}

/* A success DSN clears the streak: 6 + success + 6 is no conversion. */
static void test_success_clears_streak(void **state)
{
	(void)state;
	struct bw_policy_conf c = conf();
	struct bw_address_state st = fresh();
	struct bw_event e = event(BW_KIND_SOFT, BW_R_SYSTEMERROR, NULL);
	struct bw_event ok = event(BW_KIND_DELIVERED, BW_R_DELIVERED, NULL);
	struct outcome o;
	for (int i = 0; i < 6; i++)
		apply(&c, &st, &e, T0 + i * HOUR, 0, 0);
	o = apply(&c, &st, &ok, T0 + 6 * HOUR, 0, 0);
	assert_int_equal(o.n, 1);
	assert_int_equal(st.nocamp_streak, 0);
	assert_int_equal(st.first_soft, 0);
	assert_int_equal(st.status, BW_ADDR_OK);
	assert_int_equal(st.last_success, T0 + 6 * HOUR);
	for (int i = 0; i < 6; i++) {
		o = apply(&c, &st, &e, T0 + (7 + i) * HOUR, 0, 0);
		assert_int_equal(has(&o, BW_DEC_SUPPRESS, NULL), 0);
	}
	/* a manual reset does the same */
	policy_clear_streak(&st);
	assert_int_equal(st.nocamp_streak, 0);
	assert_int_equal(st.status, BW_ADDR_OK);
	assert_int_equal(st.soft_total, 12);
}

/* 14 soft bounces in all (streaks broken by successes): not yet; 15: converts. */
static void test_soft_total_14_vs_15(void **state)
{
	(void)state;
	struct bw_policy_conf c = conf();
	c.soft_window_hours = 0;   /* only the total rule here */
	struct bw_address_state st = fresh();
	struct bw_event e = event(BW_KIND_SOFT, BW_R_SYSTEMERROR, NULL);
	struct bw_event ok = event(BW_KIND_DELIVERED, BW_R_DELIVERED, NULL);
	struct outcome o;
	for (int i = 0; i < 14; i++) {
		if (i % 5 == 4)
			apply(&c, &st, &ok, T0 + i * DAY, 0, 0);
		o = apply(&c, &st, &e, T0 + i * DAY + HOUR, 0, 0);
		assert_int_equal(has(&o, BW_DEC_SUPPRESS, NULL), 0);
	}
	assert_int_equal(st.soft_total, 14);
	apply(&c, &st, &ok, T0 + 20 * DAY, 0, 0);
	o = apply(&c, &st, &e, T0 + 21 * DAY, 0, 0);
	const struct bw_decision *d = NULL;
	assert_int_equal(has(&o, BW_DEC_SUPPRESS, &d), 1);
	assert_non_null(strstr(d->detail, "15 soft bounces in total"));
}

/* Soft state for 71 hours: not yet; 73 hours: converted.  72 exactly: not more. */
static void test_soft_window_71_vs_73_hours(void **state)
{
	(void)state;
	struct bw_policy_conf c = conf();
	struct bw_event e = event(BW_KIND_SOFT, BW_R_SYSTEMERROR, NULL);
	struct outcome o;

	struct bw_address_state st = fresh();
	apply(&c, &st, &e, T0, 0, 0);
	o = apply(&c, &st, &e, T0 + 71 * HOUR, 0, 0);
	assert_int_equal(has(&o, BW_DEC_SUPPRESS, NULL), 0);
	assert_int_equal(has(&o, BW_DEC_SOFT_BOUNCE, NULL), 1);

	st = fresh();
	apply(&c, &st, &e, T0, 0, 0);
	o = apply(&c, &st, &e, T0 + 72 * HOUR, 0, 0);
	assert_int_equal(has(&o, BW_DEC_SUPPRESS, NULL), 0);

	st = fresh();
	apply(&c, &st, &e, T0, 0, 0);
	o = apply(&c, &st, &e, T0 + 73 * HOUR, 0, 0);
	const struct bw_decision *d = NULL;
	assert_int_equal(has(&o, BW_DEC_SUPPRESS, &d), 1);
	assert_non_null(strstr(d->detail, "more than 72 hours"));

	/* a success in between restarts the window */
	st = fresh();
	struct bw_event ok = event(BW_KIND_DELIVERED, BW_R_DELIVERED, NULL);
	apply(&c, &st, &e, T0, 0, 0);
	apply(&c, &st, &ok, T0 + 50 * HOUR, 0, 0);
	apply(&c, &st, &e, T0 + 60 * HOUR, 0, 0);
	o = apply(&c, &st, &e, T0 + 73 * HOUR, 0, 0);
	assert_int_equal(has(&o, BW_DEC_SUPPRESS, NULL), 0);

	/* windows use event time: a late-ingested older bounce extends nothing */
	st = fresh();
	apply(&c, &st, &e, T0 + 10 * HOUR, 0, 0);
	o = apply(&c, &st, &e, T0, 0, 0);
	assert_int_equal(st.first_soft, T0);
	assert_int_equal(has(&o, BW_DEC_SUPPRESS, NULL), 0);
}

/* mailboxfull: its own window, 30 days (not 72 hours). */
static void test_mailboxfull_29_vs_31_days(void **state)
{
	(void)state;
	struct bw_policy_conf c = conf();
	struct bw_event e = event(BW_KIND_SOFT, BW_R_MAILBOXFULL, NULL);
	struct outcome o;

	struct bw_address_state st = fresh();
	apply(&c, &st, &e, T0, 0, 0);
	o = apply(&c, &st, &e, T0 + 5 * DAY, 0, 0);          /* past 72 h: still soft */
	assert_int_equal(has(&o, BW_DEC_SUPPRESS, NULL), 0);
	o = apply(&c, &st, &e, T0 + 29 * DAY, 0, 0);
	assert_int_equal(has(&o, BW_DEC_SUPPRESS, NULL), 0);
	o = apply(&c, &st, &e, T0 + 30 * DAY, 0, 0);         /* exactly 30: not more */
	assert_int_equal(has(&o, BW_DEC_SUPPRESS, NULL), 0);
	o = apply(&c, &st, &e, T0 + 31 * DAY, 0, 0);
	const struct bw_decision *d = NULL;
	assert_int_equal(has(&o, BW_DEC_SUPPRESS, &d), 1);
	assert_string_equal(d->reason, "mailboxfull");
	assert_non_null(strstr(d->detail, "more than 30 days"));
	assert_int_equal(st.hard_total, 1);

	/* another soft reason after a long mailboxfull spell: the 72-hour rule */
	st = fresh();
	struct bw_event other = event(BW_KIND_SOFT, BW_R_SYSTEMERROR, NULL);
	apply(&c, &st, &e, T0, 0, 0);
	o = apply(&c, &st, &other, T0 + 4 * DAY, 0, 0);
	assert_int_equal(has(&o, BW_DEC_SUPPRESS, NULL), 1);
}

static void test_block_defers(void **state)
{
	(void)state;
	struct bw_policy_conf c = conf();
	struct bw_address_state st = fresh();
	struct bw_event e = event(BW_KIND_BLOCK, BW_R_FILTERED, NULL);
	struct outcome o = apply(&c, &st, &e, T0, 0, 0);
	const struct bw_decision *d = NULL;
	assert_int_equal(has(&o, BW_DEC_DEFER, &d), 1);
	assert_string_equal(d->reason, "filtered");
	assert_int_equal(has(&o, BW_DEC_SUPPRESS, NULL), 0);
	assert_true(st.deferred);
	assert_int_equal(st.status, BW_ADDR_DEFERRED);
	o = apply(&c, &st, &e, T0 + 1, 0, 0);
	assert_int_equal(has(&o, BW_DEC_DEFER, NULL), 0);   /* once */
}

static void test_delayed_autoreply_unknown_nothing(void **state)
{
	(void)state;
	struct bw_policy_conf c = conf();
	static const enum bw_kind kinds[] = { BW_KIND_DELAYED, BW_KIND_AUTOREPLY, BW_KIND_UNKNOWN };
	for (size_t i = 0; i < 3; i++) {
		struct bw_address_state st = fresh();
		struct bw_event e = event(kinds[i], kinds[i] == BW_KIND_AUTOREPLY ? BW_R_VACATION :
					  BW_R_EXPIRED, NULL);
		for (int k = 0; k < 20; k++) {
			struct outcome o = apply(&c, &st, &e, T0 + k * DAY, 0, 0);
			assert_int_equal(o.n, 1);
		}
		assert_int_equal(st.status, BW_ADDR_OK);
		assert_int_equal(st.events, 20);
	}
}

static void test_complaint_suppresses_feedback(void **state)
{
	(void)state;
	struct bw_policy_conf c = conf();
	struct bw_address_state st = fresh();
	struct bw_event e = event(BW_KIND_COMPLAINT, BW_R_FEEDBACK, "c9");
	struct outcome o = apply(&c, &st, &e, T0, 1, 5);
	const struct bw_decision *d = NULL;
	assert_int_equal(has(&o, BW_DEC_SUPPRESS, &d), 1);    /* never global */
	assert_string_equal(d->reason, "feedback");
	assert_string_equal(d->scope, "account");
	assert_int_equal(st.hard_total, 0);
}

static void test_sender_side_alerts(void **state)
{
	(void)state;
	struct bw_policy_conf c = conf();
	static const enum bw_reason reasons[] = {
		BW_R_AUTHFAILURE, BW_R_SECURITYERROR, BW_R_REQUIREPTR, BW_R_BADREPUTATION,
		BW_R_BLOCKED, BW_R_NORELAYING, BW_R_FAILEDSTARTTLS, BW_R_SPEEDING, BW_R_TOOMANYCONN,
	};
	for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++) {
		assert_true(policy_sender_side(reasons[i]));
		struct bw_address_state st = fresh();
		struct bw_event e = event(BW_KIND_HARD, reasons[i], NULL);
		for (int k = 0; k < 20; k++) {
			struct outcome o = apply(&c, &st, &e, T0 + k * DAY, 0, 0);
			const struct bw_decision *d = NULL;
			assert_int_equal(has(&o, BW_DEC_ALERT, &d), 1);
			assert_string_equal(d->reason, bw_reason_name(reasons[i]));
			assert_int_equal(has(&o, BW_DEC_SUPPRESS, NULL), 0);
			assert_int_equal(has(&o, BW_DEC_SOFT_BOUNCE, NULL), 0);
		}
		assert_int_equal(st.hard_total, 0);
	}
	assert_false(policy_sender_side(BW_R_USERUNKNOWN));
	assert_false(policy_sender_side(BW_R_MAILBOXFULL));
	/* a block by a blocklist: alert and deferral */
	struct bw_address_state st = fresh();
	struct bw_event e = event(BW_KIND_BLOCK, BW_R_BLOCKED, NULL);
	struct outcome o = apply(&c, &st, &e, T0, 0, 0);
	assert_int_equal(has(&o, BW_DEC_ALERT, NULL), 1);
	assert_int_equal(has(&o, BW_DEC_DEFER, NULL), 1);
}

/* Hard in 2 accounts: account scope only; in the 3rd: global too. */
static void test_global_2_vs_3_accounts(void **state)
{
	(void)state;
	struct bw_policy_conf c = conf();
	struct bw_event e = event(BW_KIND_HARD, BW_R_USERUNKNOWN, NULL);
	struct bw_address_state st = fresh();
	struct outcome o = apply(&c, &st, &e, T0, 0, 1);       /* 1 other + this = 2 */
	assert_int_equal(has(&o, BW_DEC_SUPPRESS, NULL), 1);
	assert_false(st.suppressed_global);
	st = fresh();
	o = apply(&c, &st, &e, T0, 0, 2);                       /* 2 others + this = 3 */
	assert_int_equal(has(&o, BW_DEC_SUPPRESS, NULL), 2);
	assert_string_equal(o.d[1].scope, "account");
	assert_string_equal(o.d[2].scope, "global");
	assert_non_null(strstr(o.d[2].detail, "3 accounts"));
	assert_true(st.suppressed_global);
	/* already global: no repeat */
	o = apply(&c, &st, &e, T0 + 1, 0, 3);
	assert_int_equal(has(&o, BW_DEC_SUPPRESS, NULL), 0);
	/* a conversion counts as hard for the global rule */
	st = fresh();
	struct bw_event s = event(BW_KIND_SOFT, BW_R_SYSTEMERROR, NULL);
	apply(&c, &st, &s, T0, 0, 2);
	o = apply(&c, &st, &s, T0 + 73 * HOUR, 0, 2);
	assert_int_equal(has(&o, BW_DEC_SUPPRESS, NULL), 2);
}

static void test_unverified_and_addressless_decide_nothing(void **state)
{
	(void)state;
	struct bw_policy_conf c = conf();
	struct bw_address_state st = fresh();
	struct bw_event e = event(BW_KIND_HARD, BW_R_USERUNKNOWN, NULL);
	e.unverified = true;
	struct outcome o = apply(&c, &st, &e, T0, 0, 0);
	assert_int_equal(o.n, 1);
	assert_int_equal(st.status, BW_ADDR_OK);
	e.unverified = false;
	e.recipient[0] = '\0';
	o = apply(&c, &st, &e, T0, 0, 0);
	assert_int_equal(o.n, 1);
}

/* Configured numbers are honoured (not just the defaults). */
static void test_configurable(void **state)
{
	(void)state;
	struct bw_policy_conf c = conf();
	c.soft_campaigns = 2;
	c.soft_window_hours = 1;
	struct bw_address_state st = fresh();
	struct bw_event e = event(BW_KIND_SOFT, BW_R_SYSTEMERROR, "c");
	apply(&c, &st, &e, T0, 1, 0);
	struct outcome o = apply(&c, &st, &e, T0 + 60, 2, 0);
	assert_int_equal(has(&o, BW_DEC_SUPPRESS, NULL), 1);
	st = fresh();
	struct bw_event n = event(BW_KIND_SOFT, BW_R_SYSTEMERROR, NULL);
	apply(&c, &st, &n, T0, 0, 0);
	o = apply(&c, &st, &n, T0 + HOUR + 1, 0, 0);
	assert_int_equal(has(&o, BW_DEC_SUPPRESS, NULL), 1);
	/* 0 disables a rule */
	c = conf();
	c.soft_consecutive = 0;
	c.soft_window_hours = 0;
	st = fresh();
	for (int i = 0; i < 14; i++) {
		o = apply(&c, &st, &n, T0 + i * DAY, 0, 0);
		assert_int_equal(has(&o, BW_DEC_SUPPRESS, NULL), 0);
	}
}

/* Rates: 2 hard of 100 sent is 2 % (not above); 3 is.  Soft: 5 vs 6 %. */
static void test_rates(void **state)
{
	(void)state;
	struct bw_policy_conf c = conf();
	struct bw_decision d[2];
	struct bw_campaign_stats cs;
	memset(&cs, 0, sizeof cs);
	snprintf(cs.account, sizeof cs.account, "main");
	snprintf(cs.campaign, sizeof cs.campaign, "spring");
	cs.sent = -1;
	cs.hard = 50;
	assert_int_equal(policy_rates(&c, &cs, d), 0);      /* sent unknown */
	cs.sent = 100;
	cs.hard = 2;
	cs.soft = 5;
	assert_int_equal(policy_rates(&c, &cs, d), 0);
	cs.hard = 3;
	assert_int_equal(policy_rates(&c, &cs, d), 1);
	assert_int_equal(d[0].type, BW_DEC_ALERT);
	assert_string_equal(d[0].reason, "hard_rate");
	assert_string_equal(d[0].campaign, "spring");
	assert_string_equal(d[0].account, "main");
	assert_string_equal(d[0].address, "");
	assert_non_null(strstr(d[0].detail, "3.00 %"));
	assert_true(cs.hard_alerted);
	cs.hard = 10;
	assert_int_equal(policy_rates(&c, &cs, d), 0);      /* once */
	cs.soft = 6;
	assert_int_equal(policy_rates(&c, &cs, d), 1);
	assert_string_equal(d[0].reason, "soft_rate");
	assert_true(cs.soft_alerted);
	/* both at once */
	memset(&cs, 0, sizeof cs);
	cs.sent = 10;
	cs.hard = 1;
	cs.soft = 1;
	assert_int_equal(policy_rates(&c, &cs, d), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_hard_suppresses_now),
		cmocka_unit_test(test_already_suppressed_by_list),
		cmocka_unit_test(test_soft_campaigns_2_vs_3),
		cmocka_unit_test(test_soft_campaign_gap_breaks_streak),
		cmocka_unit_test(test_soft_consecutive_6_vs_7),
		cmocka_unit_test(test_success_clears_streak),
		cmocka_unit_test(test_soft_total_14_vs_15),
		cmocka_unit_test(test_soft_window_71_vs_73_hours),
		cmocka_unit_test(test_mailboxfull_29_vs_31_days),
		cmocka_unit_test(test_block_defers),
		cmocka_unit_test(test_delayed_autoreply_unknown_nothing),
		cmocka_unit_test(test_complaint_suppresses_feedback),
		cmocka_unit_test(test_sender_side_alerts),
		cmocka_unit_test(test_global_2_vs_3_accounts),
		cmocka_unit_test(test_unverified_and_addressless_decide_nothing),
		cmocka_unit_test(test_configurable),
		cmocka_unit_test(test_rates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
