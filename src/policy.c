/*
 * policy.c - pure: (event, address history, configuration, now) -> decisions
 * (SPEC §4).  The rules and their order are described in policy.h.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "decision.h"
#include "policy.h"
#include "util.h"

static const char *const decision_names[BW_DEC__COUNT] = {
	"suppress", "unsuppress", "defer", "soft_bounce", "alert", "bounce",
};

const char *bw_decision_name(enum bw_decision_type t)
{
	return (unsigned)t < BW_DEC__COUNT ? decision_names[t] : "alert";
}

int bw_decision_from_name(const char *name)
{
	for (int i = 0; i < BW_DEC__COUNT; i++)
		if (strcmp(decision_names[i], name) == 0)
			return i;
	return -1;
}

static const char *const status_names[BW_ADDR__COUNT] = {
	"ok", "soft", "suppressed", "deferred",
};

const char *bw_addr_status_name(enum bw_addr_status s)
{
	return (unsigned)s < BW_ADDR__COUNT ? status_names[s] : "ok";
}

bool policy_sender_side(enum bw_reason r)
{
	switch (r) {
	case BW_R_AUTHFAILURE:
	case BW_R_SECURITYERROR:
	case BW_R_REQUIREPTR:
	case BW_R_BADREPUTATION:
	case BW_R_BLOCKED:
	case BW_R_NORELAYING:
	case BW_R_FAILEDSTARTTLS:
	case BW_R_SPEEDING:
	case BW_R_TOOMANYCONN:
		return true;
	default:
		return false;
	}
}

void policy_clear_streak(struct bw_address_state *st)
{
	st->nocamp_streak = 0;
	st->campaign_streak = 0;
	st->last_campaign_seq = 0;
	st->first_soft = 0;
	st->first_mailboxfull = 0;
	if (st->status == BW_ADDR_SOFT)
		st->status = BW_ADDR_OK;
}

/* The next decision slot, filled with what every decision of this event
 * shares. */
static struct bw_decision *emit(struct bw_decision *out, unsigned *n, enum bw_decision_type t,
				const struct bw_policy_input *in, const char *reason)
{
	if (*n >= BW_POLICY_MAX_DECISIONS)
		return NULL;
	struct bw_decision *d = &out[(*n)++];
	memset(d, 0, sizeof *d);
	d->type = t;
	bw_strlcpy(d->address, in->ev->recipient, sizeof d->address);
	bw_strlcpy(d->reason, reason, sizeof d->reason);
	bw_strlcpy(d->scope, "account", sizeof d->scope);
	bw_strlcpy(d->account, in->account, sizeof d->account);
	bw_strlcpy(d->campaign, in->ev->original.campaign, sizeof d->campaign);
	return d;
}

/* Suppress in the account (unless already), then globally when the address
 * has hard-bounced in enough accounts.  why: the detail text. */
static void suppress(const struct bw_policy_conf *conf, const struct bw_policy_input *in,
		     struct bw_address_state *st, struct bw_decision *out, unsigned *n,
		     const char *reason, const char *why, bool counts_hard)
{
	struct bw_decision *d;
	if (counts_hard)
		st->hard_total++;
	if (!st->suppressed && !st->suppressed_global && (d = emit(out, n, BW_DEC_SUPPRESS, in, reason))) {
		bw_strlcpy(d->detail, why, sizeof d->detail);
		st->suppressed = true;
	}
	st->status = BW_ADDR_SUPPRESSED;
	if (!counts_hard || st->suppressed_global || conf->global_accounts == 0)
		return;
	unsigned accounts = in->hard_accounts + 1;
	if (accounts >= conf->global_accounts && (d = emit(out, n, BW_DEC_SUPPRESS, in, reason))) {
		bw_strlcpy(d->scope, "global", sizeof d->scope);
		snprintf(d->detail, sizeof d->detail, "hard bounces in %u accounts (threshold %u)",
			 accounts, conf->global_accounts);
		st->suppressed_global = true;
	}
}

/* Update the campaign streak for a soft bounce in campaign number seq. */
static void campaign_streak(struct bw_address_state *st, int64_t seq)
{
	if (seq <= 0)
		return;
	if (st->last_campaign_seq == seq)
		return;                          /* same campaign again */
	if (st->last_campaign_seq > seq)
		return;                          /* a late bounce of an older campaign */
	if (st->last_campaign_seq > 0 && seq == st->last_campaign_seq + 1)
		st->campaign_streak++;
	else
		st->campaign_streak = 1;         /* first, or a campaign came between */
	st->last_campaign_seq = seq;
}

/* Which conversion rule (if any) a soft bounce at time t trips; writes the
 * words into why. */
static bool soft_converts(const struct bw_policy_conf *conf, const struct bw_address_state *st,
			  bool mailboxfull, time_t t, char *why, size_t whysz)
{
	if (conf->soft_campaigns && st->campaign_streak >= conf->soft_campaigns) {
		snprintf(why, whysz, "soft bounces in %u consecutive campaigns", st->campaign_streak);
		return true;
	}
	if (conf->soft_consecutive && st->nocamp_streak >= conf->soft_consecutive) {
		snprintf(why, whysz, "%u consecutive soft bounces", st->nocamp_streak);
		return true;
	}
	if (conf->soft_total && st->soft_total >= conf->soft_total) {
		snprintf(why, whysz, "%u soft bounces in total", st->soft_total);
		return true;
	}
	time_t last = t > st->last_soft ? t : st->last_soft;
	if (mailboxfull) {
		long long limit = (long long)conf->mailboxfull_days * 86400;
		if (st->first_mailboxfull && conf->mailboxfull_days &&
		    (long long)(last - st->first_mailboxfull) > limit) {
			snprintf(why, whysz, "mailbox full for more than %u days", conf->mailboxfull_days);
			return true;
		}
		return false;
	}
	long long window = (long long)conf->soft_window_hours * 3600;
	if (st->first_soft && conf->soft_window_hours && (long long)(last - st->first_soft) > window) {
		snprintf(why, whysz, "in soft state for more than %u hours", conf->soft_window_hours);
		return true;
	}
	return false;
}

static void soft(const struct bw_policy_conf *conf, const struct bw_policy_input *in,
		 struct bw_address_state *st, struct bw_decision *out, unsigned *n)
{
	const struct bw_event *ev = in->ev;
	bool mailboxfull = ev->reason == BW_R_MAILBOXFULL;
	st->soft_total++;
	if (ev->original.campaign[0] && in->campaign_seq > 0)
		campaign_streak(st, in->campaign_seq);
	else
		st->nocamp_streak++;
	if (!st->first_soft || in->time < st->first_soft)
		st->first_soft = in->time;
	if (mailboxfull && (!st->first_mailboxfull || in->time < st->first_mailboxfull))
		st->first_mailboxfull = in->time;

	char why[200];
	bool convert = soft_converts(conf, st, mailboxfull, in->time, why, sizeof why);
	if (in->time > st->last_soft)
		st->last_soft = in->time;
	if (convert) {
		char detail[256];
		snprintf(detail, sizeof detail, "soft converted to hard: %s", why);
		suppress(conf, in, st, out, n, bw_reason_name(ev->reason), detail, true);
		return;
	}
	if (st->status == BW_ADDR_OK || st->status == BW_ADDR_DEFERRED)
		st->status = BW_ADDR_SOFT;
	struct bw_decision *d = emit(out, n, BW_DEC_SOFT_BOUNCE, in, bw_reason_name(ev->reason));
	if (d)
		snprintf(d->detail, sizeof d->detail, "soft bounce %u in a row, %u in all",
			 ev->original.campaign[0] ? st->campaign_streak : st->nocamp_streak,
			 st->soft_total);
}

static void defer(const struct bw_policy_input *in, struct bw_address_state *st,
		  struct bw_decision *out, unsigned *n)
{
	struct bw_decision *d;
	if (st->deferred)
		return;
	if ((d = emit(out, n, BW_DEC_DEFER, in, bw_reason_name(in->ev->reason)))) {
		snprintf(d->detail, sizeof d->detail, "temporarily blocked by the receiver");
		st->deferred = true;
		if (st->status == BW_ADDR_OK)
			st->status = BW_ADDR_DEFERRED;
	}
}

unsigned policy_apply(const struct bw_policy_conf *conf, const struct bw_policy_input *in,
		      struct bw_address_state *st, struct bw_decision *out)
{
	const struct bw_event *ev = in->ev;
	unsigned n = 0;
	struct bw_decision *d = emit(out, &n, BW_DEC_BOUNCE, in, bw_reason_name(ev->reason));
	if (d)
		bw_strlcpy(d->detail, bw_kind_name(ev->kind), sizeof d->detail);
	st->events++;
	if (in->time > st->last_event)
		st->last_event = in->time;
	if (ev->unverified || !ev->recipient[0])
		return n;    /* a forged or addressless report decides nothing */

	if (ev->kind == BW_KIND_COMPLAINT) {
		suppress(conf, in, st, out, &n, "feedback", "complaint (feedback report)", false);
		return n;
	}
	if (ev->kind == BW_KIND_DELIVERED) {
		st->last_success = in->time > st->last_success ? in->time : st->last_success;
		policy_clear_streak(st);
		return n;
	}
	if (policy_sender_side(ev->reason) &&
	    (ev->kind == BW_KIND_HARD || ev->kind == BW_KIND_SOFT || ev->kind == BW_KIND_BLOCK)) {
		if ((d = emit(out, &n, BW_DEC_ALERT, in, bw_reason_name(ev->reason))))
			snprintf(d->detail, sizeof d->detail,
				 "sender-side problem (%s): not held against the recipient",
				 bw_reason_name(ev->reason));
		if (ev->kind == BW_KIND_BLOCK)
			defer(in, st, out, &n);
		return n;
	}
	switch (ev->kind) {
	case BW_KIND_HARD:
		suppress(conf, in, st, out, &n, bw_reason_name(ev->reason), "hard bounce", true);
		break;
	case BW_KIND_SOFT:
		soft(conf, in, st, out, &n);
		break;
	case BW_KIND_BLOCK:
		defer(in, st, out, &n);
		break;
	default:
		break;       /* delayed: pending; autoreply, unknown: nothing */
	}
	return n;
}

/* One rate alert when count/sent passes rate (and has not fired yet). */
static unsigned rate_alert(const struct bw_campaign_stats *cs, unsigned count, double rate,
			   const char *code, const char *what, bool *alerted, struct bw_decision *d)
{
	if (*alerted || cs->sent <= 0 || rate <= 0 || (double)count <= rate * (double)cs->sent)
		return 0;
	memset(d, 0, sizeof *d);
	d->type = BW_DEC_ALERT;
	bw_strlcpy(d->reason, code, sizeof d->reason);
	bw_strlcpy(d->scope, "account", sizeof d->scope);
	bw_strlcpy(d->account, cs->account, sizeof d->account);
	bw_strlcpy(d->campaign, cs->campaign, sizeof d->campaign);
	snprintf(d->detail, sizeof d->detail, "%s bounce rate %.2f %% (%u of %lld sent) is above %.2f %%",
		 what, 100.0 * count / (double)cs->sent, count, (long long)cs->sent, 100.0 * rate);
	*alerted = true;
	return 1;
}

unsigned policy_rates(const struct bw_policy_conf *conf, struct bw_campaign_stats *cs,
		      struct bw_decision *out)
{
	unsigned n = 0;
	n += rate_alert(cs, cs->hard, conf->alert_hard_rate, "hard_rate", "hard",
			&cs->hard_alerted, &out[n]);
	n += rate_alert(cs, cs->soft, conf->alert_soft_rate, "soft_rate", "soft",
			&cs->soft_alerted, &out[n]);
	return n;
}
