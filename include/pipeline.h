/*
 * pipeline.h - one message through the whole pipeline (SPEC §2):
 * classify -> record events -> policy -> decisions -> outbox rows -> processed
 * marker, all in one store transaction (or one savepoint of a batch's
 * transaction: group commit).  Used by `scan`, `run` and `ingest`.
 */
#ifndef BW_PIPELINE_H
#define BW_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "classify.h"
#include "conf.h"
#include "store.h"

/* Where a message came from. */
struct bw_origin {
	const char *account;     /* account name, or "file" for ingest */
	const char *folder;      /* IMAP folder, or the file path */
	uint32_t uidvalidity;    /* 0 for files */
	uint32_t uid;            /* 0 for files */
};

enum bw_outcome {
	BW_PROCESSED = 0,        /* classified and committed */
	BW_DUPLICATE,            /* already processed: nothing changed */
	BW_FAILED,               /* store error: nothing committed, retry later */
};

struct bw_pipeline_result {
	enum bw_outcome outcome;
	enum bw_verdict verdict;
	unsigned n_events;
	unsigned n_decisions;
};

struct bw_pipeline;

/* cfg, store and classifier are borrowed.  dry_run: classify and decide, but
 * roll the transaction back. */
struct bw_pipeline *pipeline_new(const struct bw_config *cfg, struct bw_store *st,
				 const struct bw_classifier *cl, bool dry_run);
void pipeline_free(struct bw_pipeline *p);

/* Content key of a raw message: Message-ID plus a hash of the bytes. */
void pipeline_content_key(const char *raw, size_t len, char *out, size_t outsz);

/* Returns 0 with res->outcome BW_PROCESSED or BW_DUPLICATE, or -1 with
 * BW_FAILED (logged; nothing was kept).  now is the clock (injected).
 * Outside a batch the message is committed (rolled back in dry-run) before
 * this returns; inside one (pipeline_batch_begin) it is kept under a
 * savepoint and commits with the batch. */
int pipeline_process(struct bw_pipeline *p, const struct bw_origin *o,
		     const char *raw, size_t len, time_t now, struct bw_pipeline_result *res);

/*
 * Group commit: pipeline_batch_begin() opens one store transaction; every
 * pipeline_process() until pipeline_batch_commit() runs inside it under a
 * savepoint of its own, so a message that fails is undone alone while its
 * events, decisions, outbox rows and processed marker still commit together
 * or not at all.  Nothing of the batch is durable (and no post-action may
 * run) before pipeline_batch_commit() returns 0; -1 means the whole batch was
 * rolled back (logged): none of its messages was kept.  In dry-run the batch
 * is rolled back and each message undone as if alone.  Metrics are counted
 * when the batch ends.  pipeline_batch_abort() rolls an open batch back (a
 * no-op without one).  A batch holds the store's write lock (SQLite) or the
 * address locks of its messages (PostgreSQL) until it ends.
 */
int pipeline_batch_begin(struct bw_pipeline *p);
int pipeline_batch_commit(struct bw_pipeline *p);
void pipeline_batch_abort(struct bw_pipeline *p);

/* The decisions of the last pipeline_process() call (the raw "bounce" ones
 * included), borrowed: valid until the next call.  For --dry-run output. */
const struct bw_decision *pipeline_decisions(const struct bw_pipeline *p, size_t *n);

/*
 * pipeline_record_decision - inside the caller's transaction: apply d to the
 * lists (suppress -> suppression list, unsuppress -> removed from it: the
 * row of d->account, or every row when d->account is "", defer -> deferral
 * list), keep it in the decision history, and add one outbox row per
 * configured hook whose `events` names it.  ev (may be NULL: a decision by
 * hand or a rate alert) gives the payload's event fields; event_id its row.
 * seed makes the webhook ids deterministic: the same seed, index and
 * decision give the same ids.  t is the event time, now the clock.
 * Returns 0, 1 when the lists already said so (nothing recorded), or -1.
 */
int pipeline_record_decision(const struct bw_config *cfg, struct bw_store *st,
			     const struct bw_decision *d, const struct bw_event *ev,
			     int64_t event_id, const char *seed, unsigned index,
			     time_t t, time_t now);

/* The hook payload of a decision: a JSON object text (malloc'd) with the
 * event fields (SPEC §3) plus event, account, scope, webhook_id, campaign,
 * detail and time (ISO 8601). */
char *pipeline_payload(const struct bw_decision *d, const struct bw_event *ev,
		       const char *webhook_id, time_t t);

/* "evt_" + 48 hex digits of SHA-256 over seed, index, the decision and hook. */
void pipeline_webhook_id(const char *seed, unsigned index, const struct bw_decision *d,
			 const char *hook, char out[64]);

#endif
