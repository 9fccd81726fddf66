/*
 * pipeline.h - one message through the whole pipeline (SPEC §2):
 * classify -> record events -> policy -> decisions -> outbox rows -> processed
 * marker, all in one store transaction.  Used by `scan`, `run` and `ingest`.
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

int pipeline_process(struct bw_pipeline *p, const struct bw_origin *o,
		     const char *raw, size_t len, time_t now, struct bw_pipeline_result *res);

#endif
