/*
 * policy.h - what a bounce event means for an address (SPEC §4).
 *
 * A pure module: (event, address history, campaign figures, configuration,
 * now) -> decisions plus the address's new history.  No I/O, no clock: the
 * caller passes the event time and "now", so tests cover 72 hours and 30 days
 * without sleeping.  The store keeps what goes in and what comes out.
 *
 * Rules, in order (every number from struct bw_policy_conf):
 *   - an unverified event (signed VERP required, missing or invalid): nothing;
 *   - complaint: suppress, reason "feedback";
 *   - delivered (success DSN): clears the soft streak;
 *   - sender-side reasons (authfailure, securityerror, requireptr,
 *     badreputation, blocked, norelaying, failedstarttls, speeding,
 *     toomanyconn): an alert, never a suppression (plus a deferral when the
 *     kind is "block");
 *   - hard: suppress (account scope); when the address has hard-bounced in
 *     global_accounts accounts or more (this one included): suppress with
 *     scope "global" too;
 *   - soft: a soft_bounce, converted to hard (suppress) when the address has
 *     soft-bounced in soft_campaigns consecutive campaigns, or soft_consecutive
 *     consecutive times without a campaign, or soft_total times in all, or has
 *     been in soft state more than soft_window_hours since its first soft
 *     bounce (for reason mailboxfull: more than mailboxfull_days);
 *   - block: the deferral list;
 *   - delayed, autoreply, unknown: nothing.
 * Every event also yields a raw "bounce" decision (hooks may subscribe).
 * An address already suppressed in a scope gets no second suppress there.
 *
 * Consecutive campaigns: campaigns get a sequence number per account in the
 * order they are first seen (any address's bounce); a campaign whose number
 * is not the next after the streak's last one means a campaign came between
 * in which this address did not bounce, and the streak restarts at 1.
 */
#ifndef BW_POLICY_H
#define BW_POLICY_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "conf.h"
#include "decision.h"
#include "event.h"

enum bw_addr_status {
	BW_ADDR_OK = 0,        /* no open soft streak */
	BW_ADDR_SOFT,          /* soft-bouncing, not yet converted */
	BW_ADDR_SUPPRESSED,    /* on the suppression list (some scope) */
	BW_ADDR_DEFERRED,      /* on the deferral list */
	BW_ADDR__COUNT
};

/* What the store keeps per (account, address). */
struct bw_address_state {
	char account[64];
	char address[BW_ADDR_MAX + 1];
	enum bw_addr_status status;
	unsigned soft_total;         /* every soft bounce ever */
	unsigned hard_total;         /* hard bounces (conversions included) */
	unsigned nocamp_streak;      /* consecutive soft bounces without a campaign */
	unsigned campaign_streak;    /* consecutive campaigns with a soft bounce */
	int64_t last_campaign_seq;   /* campaign number ending the streak, 0: none */
	time_t first_soft;           /* first soft bounce of the open streak, 0: none */
	time_t last_soft;
	time_t first_mailboxfull;    /* first mailboxfull of the open streak, 0: none */
	time_t last_success;         /* last success DSN */
	time_t last_event;
	unsigned events;             /* every event recorded for the address */
	/* Filled by the store from the suppression list, read by the policy: */
	bool suppressed;             /* account scope, this account */
	bool suppressed_global;
	bool deferred;
};

/* A campaign's figures in one account (store: campaigns + sent counts). */
struct bw_campaign_stats {
	char account[64];
	char campaign[BW_MSGID_MAX];
	int64_t seq;                 /* order of first sight in the account, from 1 */
	time_t first_seen;
	unsigned hard, soft, block, complaint, total;
	int64_t sent;                /* known sent count, -1 when unknown */
	bool hard_alerted, soft_alerted;
};

/* Everything the policy looks at for one event. */
struct bw_policy_input {
	const struct bw_event *ev;   /* borrowed */
	const char *account;         /* borrowed */
	time_t time;                 /* event time (SPEC §4), never 0 */
	time_t now;                  /* the injected clock */
	int64_t campaign_seq;        /* of ev->original.campaign, 0 when none */
	unsigned hard_accounts;      /* other accounts where the address hard-bounced */
};

#define BW_POLICY_MAX_DECISIONS 8

/*
 * policy_apply - apply the rules to one event.  st is the address's history
 * (zeroed for a new address, account/address set) and is updated in place.
 * Up to BW_POLICY_MAX_DECISIONS decisions are written to out; returns how
 * many.  Does not look at campaign rates: see policy_rates().
 */
unsigned policy_apply(const struct bw_policy_conf *conf, const struct bw_policy_input *in,
		      struct bw_address_state *st, struct bw_decision *out);

/*
 * policy_rates - alerts for a campaign's bounce rates in one account: hard >
 * alert_hard_rate or soft > alert_soft_rate of the known sent count.  Each
 * alert fires once per campaign and account (cs->*_alerted is set).  Writes
 * up to 2 decisions to out; returns how many.
 */
unsigned policy_rates(const struct bw_policy_conf *conf, struct bw_campaign_stats *cs,
		      struct bw_decision *out);

/* Reset an address's soft streak (success DSN or a manual reset). */
void policy_clear_streak(struct bw_address_state *st);

/* Is reason r the sender's problem (alert, not suppression)? */
bool policy_sender_side(enum bw_reason r);

const char *bw_addr_status_name(enum bw_addr_status s);

#endif
