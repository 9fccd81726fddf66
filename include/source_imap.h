/*
 * source_imap.h - one IMAP account as a source of messages (SPEC §5).
 *
 * A session is one connection to one account: connect (imaps://, or imap://
 * with STARTTLS required unless allow_plaintext), verify the server's
 * certificate ourselves (tls_verify.h) before LOGIN, then for a folder:
 * SELECT, check UIDVALIDITY against the store, fetch every message above the
 * recorded UID in batches (BODY.PEEK[] up to fetch_max_bytes; while a batch
 * is recorded, helper threads classify the next and fetch the one after), run each
 * through the pipeline (one transaction per batch: group commit),
 * and only after the batch's commit apply the post-action, every `batch`
 * messages (on_bounce for bounces and complaints, on_other for the rest).
 * The folder's
 * state (UIDVALIDITY, highest UID done) is written after the post-actions, so
 * a crash in between only repeats a post-action (the pipeline recognises the
 * message as a duplicate).
 *
 * Failures are classified as in isync: TEMP (retry now), WAIT (the server or
 * the network went away: reconnect with backoff), FINAL (bad password,
 * untrusted certificate, missing folder: needs a human).
 *
 * A session is used by one thread at a time (imap_sync() lends the
 * connection to its fetch threads and joins each before using it again); it owns
 * its libetpan handle and borrows everything in struct imap_env.
 */
#ifndef BW_SOURCE_IMAP_H
#define BW_SOURCE_IMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "classify.h"
#include "conf.h"
#include "decision.h"
#include "event.h"
#include "pipeline.h"
#include "store.h"

enum imap_rc {
	IMAP_OK = 0,
	IMAP_FAIL_TEMP,      /* a store error: nothing was lost, try again */
	IMAP_FAIL_WAIT,      /* connection lost or refused: reconnect with backoff */
	IMAP_FAIL_FINAL,     /* authentication, TLS, configuration: a human must act */
	IMAP_FAIL_FOLDER,    /* this folder cannot be opened; the connection is fine */
	IMAP_STOPPED,        /* should_stop() said so: the current message was finished */
};

/* Counters of one scan (or of a daemon's life), added to by imap_sync(). */
struct imap_stats {
	unsigned long messages;                 /* fetched and run through the pipeline */
	unsigned long processed;                /* committed */
	unsigned long duplicates;               /* already processed before */
	unsigned long verdicts[BW_VERDICT__COUNT];
	unsigned long events;
	unsigned long decisions;
	unsigned long decisions_by[BW_DEC__COUNT];
	unsigned long actions;                  /* post-actions applied (messages) */
	unsigned long errors;
};

/* What a session works with; everything borrowed, must outlive the session. */
struct imap_env {
	const struct bw_account *acct;
	struct bw_pipeline *pipeline;            /* over a store handle of this thread */
	struct bw_store *store;                  /* the same handle: folder state */
	bool dry_run;                            /* EXAMINE, no post-action, no state */
	size_t max_message_bytes;                /* classify.limits: caps a fetch too */
	bool quiet;                              /* one line per message at debug, not info */
	/* Polled between messages and while waiting; true: finish and return. */
	bool (*should_stop)(void *arg);
	void *stop_arg;
	/* Called after every message (may be NULL): progress display. */
	void (*progress)(void *arg, const char *folder, uint32_t done, uint32_t total);
	void *progress_arg;
};

/* A parsed account URL. */
struct imap_url {
	bool tls;            /* imaps:// */
	char host[256];
	uint16_t port;       /* 993 or 143 unless given */
};

/* imap_parse_url - "imaps://host[:port]", "imap://[v6addr]:port".  Returns 0,
 * or -1 with a reason in err. */
int imap_parse_url(const char *url, struct imap_url *u, char *err, size_t errsz);

struct imap_session;

/* A session for env->acct, not connected.  Never NULL. */
struct imap_session *imap_new(const struct imap_env *env);
/* Log out (when connected), close, free.  NULL is a no-op. */
void imap_free(struct imap_session *s);

/* Connect, TLS (verified), LOGIN.  Errors are logged and kept (imap_error). */
enum imap_rc imap_connect(struct imap_session *s);
/* Log out and drop the connection (the session can connect again). */
void imap_disconnect(struct imap_session *s);

/* One pass over folder: everything above the recorded UID is processed.
 * Counters are added to st. */
enum imap_rc imap_sync(struct imap_session *s, const char *folder, struct imap_stats *st);

/*
 * imap_wait - after imap_sync(folder): wait until the folder may have changed
 * or max_s seconds have passed.  IDLE when the account's mode is idle and the
 * server has it (re-issued before the 29-minute limit of RFC 2177), else a
 * NOOP poll every poll_interval seconds.  Returns IMAP_OK (sync again),
 * IMAP_STOPPED, or a failure.
 */
enum imap_rc imap_wait(struct imap_session *s, int max_s);

/* The last error, "" when none (borrowed, valid until the next call). */
const char *imap_error(const struct imap_session *s);

/* Seconds to wait before reconnect attempt number n (0-based): exponential
 * from 1 s to cap_s, with jitter in [d/2, d] drawn from rnd. */
unsigned imap_backoff(unsigned n, unsigned cap_s, uint32_t rnd);

#endif
