/*
 * pipeline.h - one message through the whole pipeline (SPEC §2):
 * classify -> record events -> policy -> decisions -> outbox rows -> processed
 * marker, all in one store transaction (its own, or a batch's: group
 * commit).  Used by `scan`, `run` and `ingest`.
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
 * this returns; inside one (pipeline_batch_begin) it commits with the
 * batch. */
int pipeline_process(struct bw_pipeline *p, const struct bw_origin *o,
		     const char *raw, size_t len, time_t now, struct bw_pipeline_result *res);

/*
 * The two halves of pipeline_process(), for a caller that classifies in
 * another thread than the one that records: pipeline_prepare() is pure (the
 * content key and the classifier's report of raw; cl is the pipeline's,
 * pipeline_classifier(), and may be used by several threads at once), and
 * touches no pipeline or store; pipeline_record() does the rest, as
 * pipeline_process() does, and leaves pm as it was.  pm is released with
 * pipeline_prepared_free() (the struct itself is the caller's).
 */
struct bw_prepared {
	char key[BW_MSGID_MAX + 80];   /* content key: Message-ID plus a hash */
	struct bw_report rep;          /* owned */
};
const struct bw_classifier *pipeline_classifier(const struct bw_pipeline *p);
void pipeline_prepare(const struct bw_classifier *cl, const char *raw, size_t len,
		      struct bw_prepared *pm);
int pipeline_record(struct bw_pipeline *p, const struct bw_origin *o, const struct bw_prepared *pm,
		    time_t now, struct bw_pipeline_result *res);
void pipeline_prepared_free(struct bw_prepared *pm);

/*
 * Group commit: pipeline_batch_begin() opens one store transaction; every
 * pipeline_process() until pipeline_batch_commit() runs inside it, and each
 * message's events, decisions, outbox rows and processed marker commit
 * together with the batch or not at all.  Nothing of the batch is durable
 * (and no post-action may run) before pipeline_batch_commit() returns 0; -1
 * means the whole batch was rolled back (logged): none of its messages was
 * kept.  A message that fails (-1) leaves part of itself in the transaction:
 * the batch is lost (every later call fails, the commit rolls back).  To keep
 * the messages before it, as they would be each alone, abort the batch and
 * run them again in a new one: the same bytes against the same state give
 * the same results.  (Savepoints would undo one message alone, but SQLite
 * copies every page a savepoint touches: a fifth of a scan's time.)  A
 * duplicate (0 with BW_DUPLICATE) writes nothing.  pipeline_batch_abort()
 * rolls an open batch back (a no-op without one).  Metrics are counted when
 * the batch ends.  In a dry run the three do nothing: each message is undone
 * alone, as outside a batch.  A
 * batch holds the store's write lock (SQLite) or the address locks of its
 * messages (PostgreSQL) until it ends.
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
