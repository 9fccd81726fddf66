/*
 * metrics.h - counters and gauges for Prometheus (SPEC §8, issue 7).
 *
 * The metric families (names, help, type, label names) are a fixed table in
 * metrics.c, indexed by enum bw_metric; label VALUES (an account, a hook, a
 * verdict) are given at each call.  A registry holds the series; it is locked
 * internally, so any thread may count.  metrics_render() turns a registry
 * into the Prometheus text exposition format 0.0.4 and does nothing else.
 *
 * The process has one global registry, always there: metrics_inc() and
 * friends count into it whether or not a listener runs (counting is cheap).
 * metrics_start() serves it over HTTP (libmicrohttpd, its own thread) at
 * GET /metrics on the `metrics.listen` address.
 *
 * Families and their labels (label values in the order given):
 *   bouncewatch_messages_total{verdict}          messages committed, by verdict
 *   bouncewatch_messages_duplicate_total         messages seen before: nothing done
 *   bouncewatch_messages_failed_total            store errors: nothing kept, retried later
 *   bouncewatch_events_total{kind,reason}        bounce events recorded
 *   bouncewatch_decisions_total{decision}        policy decisions (hook events)
 *   bouncewatch_suppressions_total{scope}        addresses put on the suppression list
 *   bouncewatch_hook_deliveries_total{hook}      outbox rows delivered (2xx)
 *   bouncewatch_hook_failures_total{hook}        failed attempts (will be retried or dead)
 *   bouncewatch_hook_dead_letters_total{hook}    rows given up on
 *   bouncewatch_hook_queue_depth                 outbox rows in flight or due
 *   bouncewatch_imap_connects_total{account}     successful logins
 *   bouncewatch_imap_reconnects_total{account}   logins after a lost connection
 *   bouncewatch_imap_last_poll_timestamp_seconds{account}  end of the last good sync
 *   bouncewatch_start_time_seconds               when the process started counting
 *   bouncewatch_build_info{version}              always 1
 */
#ifndef BW_METRICS_H
#define BW_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "classify.h"
#include "decision.h"
#include "pipeline.h"

enum bw_metric {
	BW_M_MESSAGES = 0,
	BW_M_MESSAGES_DUPLICATE,
	BW_M_MESSAGES_FAILED,
	BW_M_EVENTS,
	BW_M_DECISIONS,
	BW_M_SUPPRESSIONS,
	BW_M_HOOK_DELIVERIES,
	BW_M_HOOK_FAILURES,
	BW_M_HOOK_DEAD,
	BW_M_HOOK_QUEUE,
	BW_M_IMAP_CONNECTS,
	BW_M_IMAP_RECONNECTS,
	BW_M_IMAP_LAST_POLL,
	BW_M_START_TIME,
	BW_M_BUILD_INFO,
	BW_M__COUNT
};

#define METRICS_LABEL_MAX  128    /* longer label values are cut */
#define METRICS_SERIES_MAX 4096   /* series per registry: more are dropped */

/* ------------------------------------------------------------ registries */

struct metrics;

/* An empty registry.  Never NULL. */
struct metrics *metrics_new(void);
/* NULL is a no-op. */
void metrics_free(struct metrics *m);

/*
 * Add v to a counter, or set a gauge, of family id with label values l1, l2
 * (as many as the family has labels; the rest are ignored and may be NULL; a
 * NULL value where a label is expected is counted as "").  Adding to a gauge
 * adds; setting a counter is allowed (for tests).  Never fails: past
 * METRICS_SERIES_MAX a new series is dropped.
 */
void metrics_reg_add(struct metrics *m, enum bw_metric id, double v, const char *l1,
		     const char *l2);
void metrics_reg_set(struct metrics *m, enum bw_metric id, double v, const char *l1,
		     const char *l2);
/* The value of one series, 0 when it does not exist (for tests). */
double metrics_reg_get(struct metrics *m, enum bw_metric id, const char *l1, const char *l2);

/*
 * metrics_render - the exposition text of m (format 0.0.4): every family in
 * table order with # HELP and # TYPE, its series sorted by label values, a
 * family without labels always shown (0 when never touched).  Label values
 * are escaped (\\, \", \n).  Returns a malloc'd NUL-terminated string (its
 * length in *len when len is non-NULL).
 */
char *metrics_render(struct metrics *m, size_t *len);

/* The family's metric name ("bouncewatch_messages_total"). */
const char *metrics_name(enum bw_metric id);

/* ------------------------------------------------------------ the process registry */

/* The global registry (created on first use; lives until exit). */
struct metrics *metrics_global(void);

void metrics_inc(enum bw_metric id, const char *l1, const char *l2);
void metrics_add(enum bw_metric id, double v, const char *l1, const char *l2);
void metrics_set(enum bw_metric id, double v, const char *l1, const char *l2);

/*
 * metrics_message - count one pipeline_process() result: its outcome, and
 * when the message was committed its verdict, the events of rep and the
 * decisions dec[0..n_dec) (those recorded).  For the pipeline; dry runs are
 * not counted by the caller.
 */
void metrics_message(enum bw_outcome outcome, const struct bw_report *rep,
		     const struct bw_decision *dec, size_t n_dec);

/* ------------------------------------------------------------ the HTTP listener */

/*
 * metrics_parse_listen - "127.0.0.1:9187", "[::1]:9187", "localhost:9187"
 * (numeric addresses only, plus "localhost" for 127.0.0.1) into a socket
 * address (out must hold a struct sockaddr_storage; its length in *outlen).
 * Returns 0, or -1 with a reason in err.
 */
int metrics_parse_listen(const char *listen, void *out, size_t *outlen, char *err,
			 size_t errsz);

/*
 * metrics_start - serve the global registry at GET /metrics on listen (a
 * loopback address is expected; another one is served with a warning).
 * listen NULL or "" does nothing and returns 0.  Returns 0, or -1 with a
 * reason in err (bad address, port in use).  Call once, before dropping
 * privileges; the listener keeps running across reloads.
 */
int metrics_start(const char *listen, char *err, size_t errsz);

/* The port actually bound (useful with port 0), 0 when not listening. */
unsigned metrics_port(void);

/* Stop the listener (waits for its thread).  No-op when not started. */
void metrics_stop(void);

#endif
