/*
 * pipeline.c - one message through classify -> store -> policy -> outbox, in
 * one store transaction (SPEC §2).  See pipeline.h for the contract.
 *
 * Event time (SPEC §4): the classifier's event time (DSN Arrival-Date) when
 * known, else the bounce's Date header, else now.
 */
#include "config.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <nettle/sha2.h>

#include "date.h"
#include "log.h"
#include "metrics.h"
#include "mime.h"
#include "output.h"
#include "pipeline.h"
#include "policy.h"
#include "util.h"

struct bw_pipeline {
	const struct bw_config *cfg;        /* borrowed */
	struct bw_store *st;                /* borrowed */
	const struct bw_classifier *cl;     /* borrowed */
	bool dry_run;
	struct bw_decision *dec;            /* owned: the last message's decisions */
	size_t n_dec, cap_dec;
	/* group commit (pipeline_batch_begin): */
	bool in_batch;                      /* a store transaction is open */
	bool batch_lost;                    /* a message failed in it: roll back */
	unsigned batch_msgs;                /* messages run through it */
	struct pending_metric *pm;          /* owned: counted when it commits */
	size_t n_pm, cap_pm;
};

/* One metrics_inc() held back until the batch commits (labels are static
 * strings). */
struct pending_metric {
	enum bw_metric id;
	const char *l1, *l2;
};

struct bw_pipeline *pipeline_new(const struct bw_config *cfg, struct bw_store *st,
				 const struct bw_classifier *cl, bool dry_run)
{
	struct bw_pipeline *p = xcalloc(1, sizeof *p);
	p->cfg = cfg;
	p->st = st;
	p->cl = cl;
	p->dry_run = dry_run;
	return p;
}

void pipeline_free(struct bw_pipeline *p)
{
	if (!p)
		return;
	if (p->in_batch)
		pipeline_batch_abort(p);
	free(p->dec);
	free(p->pm);
	free(p);
}

const struct bw_decision *pipeline_decisions(const struct bw_pipeline *p, size_t *n)
{
	*n = p->n_dec;
	return p->dec;
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

/* pipeline_content_key - "sha256hex" of the bytes with CR removed (an IMAP
 * fetch and an mbox copy of one message agree), then " " and the Message-ID
 * of the top header block when it has one, truncated to outsz. */
/* Whether p..e holds nothing but CRs (or nothing). */
static bool only_crs(const char *p, const char *e)
{
	for (; p < e; p++)
		if (*p != '\r')
			return false;
	return true;
}

void pipeline_content_key(const char *raw, size_t len, char *out, size_t outsz)
{
	struct sha256_ctx ctx;
	uint8_t digest[SHA256_DIGEST_SIZE];
	char hexd[2 * SHA256_DIGEST_SIZE + 1];
	const char *end = raw + len;

	/* the hash of every byte but CR, fed in the runs between CRs */
	sha256_init(&ctx);
	for (const char *p = raw; p < end;) {
		const char *cr = memchr(p, '\r', (size_t)(end - p));
		const char *e = cr ? cr : end;
		if (e > p)
			sha256_update(&ctx, (size_t)(e - p), (const uint8_t *)p);
		p = cr ? cr + 1 : end;
	}
	sha256_digest(&ctx, sizeof digest, digest);
	hex(digest, sizeof digest, hexd);

	/* the Message-ID of the header block, read from an LF-only copy of it
	 * (at most sizeof hdr bytes): line by line, each without its CRs, up to
	 * the first empty one after some header text */
	char hdr[8192];
	size_t h = 0;
	for (const char *p = raw; p < end && h < sizeof hdr;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl + 1 : end;
		if (nl && h > 0 && only_crs(p, nl))
			break;
		for (const char *q = p; q < le && h < sizeof hdr;) {
			const char *cr = memchr(q, '\r', (size_t)(le - q));
			const char *e = cr ? cr : le;
			size_t n = (size_t)(e - q);
			if (n > sizeof hdr - h)
				n = sizeof hdr - h;
			memcpy(hdr + h, q, n);
			h += n;
			q = cr ? cr + 1 : le;
		}
		p = le;
	}
	char msgid[BW_MSGID_MAX];
	msgid[0] = '\0';
	mime_header(hdr, h, "Message-ID", msgid, sizeof msgid);
	snprintf(out, outsz, "%s%s%s", hexd, msgid[0] ? " " : "", msgid);
}

void pipeline_webhook_id(const char *seed, unsigned index, const struct bw_decision *d,
			 const char *hook, char out[64])
{
	struct sha256_ctx ctx;
	uint8_t digest[SHA256_DIGEST_SIZE];
	char idx[16];
	const char *parts[] = { seed, idx, bw_decision_name(d->type), d->address, d->scope,
				d->account, d->reason, hook };

	snprintf(idx, sizeof idx, "%u", index);
	sha256_init(&ctx);
	for (size_t i = 0; i < ARRAY_LEN(parts); i++)
		sha256_update(&ctx, strlen(parts[i]) + 1, (const uint8_t *)parts[i]); /* with NUL */
	sha256_digest(&ctx, sizeof digest, digest);
	memcpy(out, "evt_", 4);
	hex(digest, 24, out + 4);
}

char *pipeline_payload(const struct bw_decision *d, const struct bw_event *ev,
		       const char *webhook_id, time_t t)
{
	json_t *o;
	if (ev) {
		o = output_event_json(ev);
		/* parse --json writes "" for a code the bounce lacks; in a hook
		 * payload a missing field is null (SPEC §10) */
		static const char *const codes[] = { "status", "reply_code", "action" };
		for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
			const char *v = json_string_value(json_object_get(o, codes[i]));
			if (v && !*v)
				json_object_set_new(o, codes[i], json_null());
		}
	} else {
		o = json_object();
		json_object_set_new(o, "recipient", d->address[0] ? output_json_string(d->address) : json_null());
		json_object_set_new(o, "kind", json_null());
		json_object_set_new(o, "reason", output_json_string(d->reason));
	}
	char ts[32];
	bw_format_time(t, ts, sizeof ts);
	json_object_set_new(o, "event", json_string(bw_decision_name(d->type)));
	json_object_set_new(o, "account", output_json_string(d->account));
	json_object_set_new(o, "scope", output_json_string(d->scope));
	json_object_set_new(o, "webhook_id", json_string(webhook_id));
	json_object_set_new(o, "campaign", d->campaign[0] ? output_json_string(d->campaign) : json_null());
	json_object_set_new(o, "detail", output_json_string(d->detail));
	json_object_set_new(o, "time", json_string(ts));
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!s)
		fatal("out of memory (JSON payload)");
	return s;
}

static bool hook_wants(const struct bw_hook *h, const char *event)
{
	for (size_t i = 0; i < h->n_events; i++)
		if (h->events[i] && strcmp(h->events[i], event) == 0)
			return true;
	return false;
}

/* Apply d to the lists.  0 = changed, 1 = the lists already said so. */
static int apply_to_lists(struct bw_store *st, const struct bw_decision *d, int64_t event_id,
			  time_t t)
{
	struct bw_listing l;
	unsigned removed = 0;
	memset(&l, 0, sizeof l);
	bw_strlcpy(l.address, d->address, sizeof l.address);
	bw_strlcpy(l.scope, d->scope[0] ? d->scope : "account", sizeof l.scope);
	bw_strlcpy(l.account, d->account, sizeof l.account);
	bw_strlcpy(l.reason, d->reason, sizeof l.reason);
	bw_strlcpy(l.detail, d->detail, sizeof l.detail);
	l.created = t;
	l.event_id = event_id;
	switch (d->type) {
	case BW_DEC_SUPPRESS:
		return store_suppress_add(st, &l);
	case BW_DEC_DEFER:
		return store_defer_add(st, &l);
	case BW_DEC_UNSUPPRESS:
		/* an account: that account's row; none: every row */
		if (store_suppress_remove(st, d->address, d->account[0] ? d->account : NULL,
					  &removed) < 0)
			return -1;
		return removed ? 0 : 1;
	default:
		return 0;
	}
}

int pipeline_record_decision(const struct bw_config *cfg, struct bw_store *st,
			     const struct bw_decision *d, const struct bw_event *ev,
			     int64_t event_id, const char *seed, unsigned index,
			     time_t t, time_t now)
{
	int r = apply_to_lists(st, d, event_id, t);
	if (r != 0)
		return r;
	/* the raw bounce is the event itself: the events table keeps it */
	if (d->type != BW_DEC_BOUNCE && store_decision_add(st, d, event_id, t) < 0)
		return -1;
	const char *name = bw_decision_name(d->type);
	for (size_t i = 0; i < cfg->n_hooks; i++) {
		const struct bw_hook *h = &cfg->hooks[i];
		if (!hook_wants(h, name))
			continue;
		struct bw_outbox_row row;
		memset(&row, 0, sizeof row);
		pipeline_webhook_id(seed, index, d, h->name, row.webhook_id);
		bw_strlcpy(row.hook, h->name, sizeof row.hook);
		bw_strlcpy(row.event, name, sizeof row.event);
		row.payload = pipeline_payload(d, ev, row.webhook_id, t);
		row.created = now;
		r = store_outbox_add(st, &row);
		free(row.payload);
		if (r < 0)
			return -1;
	}
	return 0;
}

static void keep_decision(struct bw_pipeline *p, const struct bw_decision *d)
{
	if (p->n_dec == p->cap_dec) {
		p->cap_dec = p->cap_dec ? p->cap_dec * 2 : 16;
		p->dec = xrealloc(p->dec, p->cap_dec * sizeof *p->dec);
	}
	p->dec[p->n_dec++] = *d;
}

/* Count ev into its campaign's figures. */
static void campaign_count(struct bw_campaign_stats *cs, enum bw_kind k)
{
	cs->total++;
	if (k == BW_KIND_HARD)
		cs->hard++;
	else if (k == BW_KIND_SOFT)
		cs->soft++;
	else if (k == BW_KIND_BLOCK)
		cs->block++;
	else if (k == BW_KIND_COMPLAINT)
		cs->complaint++;
}

struct msg_ctx {
	const struct bw_origin *o;
	const char *key;          /* content key: the seed of webhook ids */
	int64_t msg_id;
	time_t now;
	unsigned index;           /* decisions so far in this message */
};

/* Record event ev (time already set) and everything it decides. */
static int record_event(struct bw_pipeline *p, struct msg_ctx *m, const struct bw_event *ev)
{
	struct bw_store *st = p->st;
	const char *account = m->o->account;
	struct bw_campaign_stats cs;
	struct bw_address_state as;
	struct bw_decision dec[BW_POLICY_MAX_DECISIONS + 2];
	int64_t event_id = 0;
	bool campaign = ev->original.campaign[0] != '\0';
	bool address = ev->recipient[0] != '\0';

	if (store_event_add(st, m->msg_id, account, ev, ev->time, &event_id) < 0)
		return -1;
	memset(&cs, 0, sizeof cs);
	if (campaign) {
		struct bw_campaign_stats delta;
		memset(&delta, 0, sizeof delta);
		campaign_count(&delta, ev->kind);
		if (store_campaign_count(st, account, ev->original.campaign, ev->time, &delta, &cs) < 0)
			return -1;
	}
	struct bw_policy_input in = {
		.ev = ev, .account = account, .time = ev->time, .now = m->now,
		.campaign_seq = campaign ? cs.seq : 0, .hard_accounts = 0,
	};
	memset(&as, 0, sizeof as);
	if (address && store_address_load(st, account, ev->recipient, &as, &in.hard_accounts) < 0)
		return -1;
	unsigned n = policy_apply(&p->cfg->policy, &in, &as, dec);
	if (address && store_address_put(st, &as) < 0)
		return -1;
	if (campaign) {
		/* the counters are written: only a new alert changes the row */
		unsigned alerts = policy_rates(&p->cfg->policy, &cs, dec + n);
		n += alerts;
		if (alerts && store_campaign_put(st, &cs) < 0)
			return -1;
	}
	for (unsigned i = 0; i < n; i++) {
		/* rate alerts are about the campaign, not this event's recipient */
		const struct bw_event *about = dec[i].address[0] ? ev : NULL;
		int r = pipeline_record_decision(p->cfg, st, &dec[i], about, event_id, m->key,
						 m->index++, ev->time, m->now);
		if (r < 0)
			return -1;
		if (r == 0)
			keep_decision(p, &dec[i]);
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Serialise with other instances on the message's recipients, in sorted
 * order (store_lock_address()), before reading any address state. */
static int lock_addresses(struct bw_store *st, const struct bw_report *rep)
{
	const char **v = xcalloc(rep->n_events + 1, sizeof *v);
	size_t n = 0;
	int rc = 0;
	for (unsigned i = 0; i < rep->n_events; i++)
		if (rep->events[i].recipient[0])
			v[n++] = rep->events[i].recipient;
	qsort(v, n, sizeof *v, cmp_str);
	for (size_t i = 0; i < n && rc == 0; i++)
		if (i == 0 || strcmp(v[i], v[i - 1]) != 0)
			rc = store_lock_address(st, v[i]);
	free(v);
	return rc;
}

/* Everything in the open transaction; -1 leaves it to the caller to roll back. */
static int record_message(struct bw_pipeline *p, struct msg_ctx *m, const struct bw_report *rep,
			  struct bw_pipeline_result *res)
{
	const struct bw_origin *o = m->o;
	/* the marker is the first write: 1 when the message is already marked
	 * (by UID or content key; by another instance too, meanwhile), and
	 * then nothing was written (no store_is_processed() first: the same
	 * unique keys answer) */
	int r = store_mark_processed(p->st, o->account, o->folder, o->uidvalidity, o->uid, m->key,
				     bw_verdict_name(rep->verdict), m->now, &m->msg_id);
	if (r != 0 || lock_addresses(p->st, rep) < 0)
		return r != 0 ? r : -1;
	for (unsigned i = 0; i < rep->n_events; i++) {
		struct bw_event ev = rep->events[i];
		if (!ev.time)
			ev.time = rep->date ? rep->date : m->now;
		if (record_event(p, m, &ev) < 0)
			return -1;
	}
	res->n_decisions = (unsigned)p->n_dec;
	return 0;
}

/* ------------------------------------------------------------ metrics */

static void pm_push(struct bw_pipeline *p, enum bw_metric id, const char *l1, const char *l2)
{
	if (p->n_pm == p->cap_pm) {
		p->cap_pm = p->cap_pm ? p->cap_pm * 2 : 256;
		p->pm = xrealloc(p->pm, p->cap_pm * sizeof *p->pm);
	}
	p->pm[p->n_pm++] = (struct pending_metric){ id, l1, l2 };
}

/* What metrics_message() counts for a committed message, held back until
 * the batch commits. */
static void pm_message(struct bw_pipeline *p, enum bw_outcome outcome,
		       const struct bw_report *rep)
{
	if (outcome == BW_DUPLICATE) {
		pm_push(p, BW_M_MESSAGES_DUPLICATE, NULL, NULL);
		return;
	}
	pm_push(p, BW_M_MESSAGES, bw_verdict_name(rep->verdict), NULL);
	for (unsigned i = 0; i < rep->n_events; i++)
		pm_push(p, BW_M_EVENTS, bw_kind_name(rep->events[i].kind),
			bw_reason_name(rep->events[i].reason));
	for (size_t i = 0; i < p->n_dec; i++) {
		pm_push(p, BW_M_DECISIONS, bw_decision_name(p->dec[i].type), NULL);
		if (p->dec[i].type == BW_DEC_SUPPRESS)
			pm_push(p, BW_M_SUPPRESSIONS,
				strcmp(p->dec[i].scope, "global") == 0 ? "global" : "account", NULL);
	}
}

/* The batch ended: count what it held (committed), or each of its messages
 * as failed (rolled back). */
static void pm_flush(struct bw_pipeline *p, bool committed)
{
	if (committed) {
		for (size_t i = 0; i < p->n_pm; i++)
			metrics_inc(p->pm[i].id, p->pm[i].l1, p->pm[i].l2);
	} else {
		for (unsigned i = 0; i < p->batch_msgs; i++)
			metrics_inc(BW_M_MESSAGES_FAILED, NULL, NULL);
	}
	p->n_pm = 0;
	p->batch_msgs = 0;
}

/* ------------------------------------------------------------ group commit */

int pipeline_batch_begin(struct bw_pipeline *p)
{
	assert(!p->in_batch);
	if (p->dry_run)
		return 0;         /* each message undone alone, as outside a batch */
	if (store_begin(p->st) < 0) {
		log_error("state store: %s", store_error(p->st));
		store_rollback(p->st);
		return -1;
	}
	p->in_batch = true;
	p->batch_lost = false;
	p->batch_msgs = 0;
	p->n_pm = 0;
	return 0;
}

int pipeline_batch_commit(struct bw_pipeline *p)
{
	if (!p->in_batch)
		return p->dry_run ? 0 : -1;
	p->in_batch = false;
	int r = -1;
	if (p->batch_lost)
		log_error("state store: a message failed: the batch is rolled back");
	else if ((r = store_commit(p->st)) < 0)
		log_error("state store: commit: %s", store_error(p->st));
	if (r < 0)
		store_rollback(p->st);
	pm_flush(p, r == 0);
	return r < 0 ? -1 : 0;
}

void pipeline_batch_abort(struct bw_pipeline *p)
{
	if (!p->in_batch)
		return;
	p->in_batch = false;
	store_rollback(p->st);
	pm_flush(p, false);
}

/* One message inside the open batch: 0, 1 (duplicate: nothing was written)
 * or -1 (the batch now holds part of the message: p->batch_lost), -2 (the
 * batch was lost before: nothing done). */
static int process_in_batch(struct bw_pipeline *p, struct msg_ctx *m,
			    const struct bw_report *rep, struct bw_pipeline_result *res)
{
	if (p->batch_lost)
		return -2;
	int r = record_message(p, m, rep, res);
	if (r < 0)
		p->batch_lost = true;
	return r;
}

/* One message in a transaction of its own. */
static int process_alone(struct bw_pipeline *p, struct msg_ctx *m,
			 const struct bw_report *rep, struct bw_pipeline_result *res)
{
	int r = store_begin(p->st);
	if (r == 0)
		r = record_message(p, m, rep, res);
	if (r == 0 && !p->dry_run)
		r = store_commit(p->st);
	else if (r == 0 || r == 1)
		r = store_rollback(p->st) < 0 ? -1 : r;
	if (r < 0)
		store_rollback(p->st);
	return r;
}

const struct bw_classifier *pipeline_classifier(const struct bw_pipeline *p)
{
	return p->cl;
}

void pipeline_prepare(const struct bw_classifier *cl, const char *raw, size_t len,
		      struct bw_prepared *pm)
{
	pipeline_content_key(raw, len, pm->key, sizeof pm->key);
	memset(&pm->rep, 0, sizeof pm->rep);
	classify_message(cl, raw, len, &pm->rep);
	/* kept a while (a batch): no room for events that did not come */
	struct bw_report *rep = &pm->rep;
	if (rep->n_events && rep->n_events < rep->cap_events) {
		rep->events = xrealloc(rep->events, rep->n_events * sizeof *rep->events);
		rep->cap_events = rep->n_events;
	}
}

void pipeline_prepared_free(struct bw_prepared *pm)
{
	if (pm)
		report_free(&pm->rep);
}

int pipeline_record(struct bw_pipeline *p, const struct bw_origin *o, const struct bw_prepared *pm,
		    time_t now, struct bw_pipeline_result *res)
{
	const struct bw_report *rep = &pm->rep;
	struct msg_ctx m = { o, pm->key, 0, now, 0 };

	memset(res, 0, sizeof *res);
	res->outcome = BW_FAILED;
	res->verdict = rep->verdict;
	res->n_events = rep->n_events;
	p->n_dec = 0;

	int r = p->in_batch ? process_in_batch(p, &m, rep, res) : process_alone(p, &m, rep, res);
	if (r == -2) {
		log_error("%s %s: not recorded: an earlier message of its batch failed",
			  o->account, o->folder);
		r = -1;
		p->n_dec = 0;
	} else if (r < 0) {
		log_error("%s %s: state store: %s", o->account, o->folder, store_error(p->st));
		p->n_dec = 0;
		res->n_decisions = 0;
	} else {
		res->outcome = r == 1 ? BW_DUPLICATE : BW_PROCESSED;
		if (r == 1)
			p->n_dec = 0;
	}
	/* past a limit (SPEC 9): recorded as unparsed, and said in the log */
	if (res->outcome == BW_PROCESSED && rep->verdict == BW_VERDICT_UNPARSED) {
		char uid[16] = "";
		if (o->uid)
			snprintf(uid, sizeof uid, " UID %u", o->uid);
		log_warn("%s %s%s: cannot classify: %s; recorded as unparsed, nothing else done",
			 o->account, o->folder, uid, rep->error);
	}
	if (p->dry_run) {
		/* nothing is counted */
	} else if (!p->in_batch) {
		metrics_message(res->outcome, rep, p->dec, p->n_dec);
	} else if (r < 0) {
		metrics_inc(BW_M_MESSAGES_FAILED, NULL, NULL);
	} else {
		p->batch_msgs++;
		pm_message(p, res->outcome, rep);
	}
	return r < 0 ? -1 : 0;
}

int pipeline_process(struct bw_pipeline *p, const struct bw_origin *o,
		     const char *raw, size_t len, time_t now, struct bw_pipeline_result *res)
{
	struct bw_prepared *pm = xmalloc(sizeof *pm);
	pipeline_prepare(p->cl, raw, len, pm);
	int r = pipeline_record(p, o, pm, now, res);
	pipeline_prepared_free(pm);
	free(pm);
	return r;
}
