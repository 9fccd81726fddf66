/*
 * classify.h - one raw message -> a report: verdict and bounce events.
 *
 * The classifier is pure: no I/O, no globals.  Detectors run in order of
 * confidence (SPEC §2): ARF, RFC 3464, auto-reply, MTA rules, heuristics,
 * then VERP decoding of the envelope recipient; reason.c decides kind,
 * reason and the hard flag of every event.
 */
#ifndef BW_CLASSIFY_H
#define BW_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "event.h"

#define BW_TRACE_LINE 240

struct bw_report {
	enum bw_verdict verdict;
	char message_id[BW_MSGID_MAX];   /* of the bounce itself */
	char from[BW_ADDR_MAX + 1];
	char to[BW_ADDR_MAX + 1];
	char subject[BW_SUBJECT_MAX];
	time_t date;                      /* Date: of the bounce, 0 if absent */
	struct bw_event *events;          /* owned */
	unsigned n_events, cap_events;
	char error[160];                  /* why "unparsed" */
	bool want_trace;                  /* collect explain lines */
	char (*trace)[BW_TRACE_LINE];     /* owned */
	unsigned n_trace, cap_trace;
};

struct bw_classifier;

/* conf is borrowed and must outlive the classifier.  verp_secret may be NULL
 * (no signed VERP); it is copied. */
struct bw_classifier *classifier_new(const struct bw_classify_conf *conf, const char *verp_secret);
void classifier_free(struct bw_classifier *c);

/*
 * Classify raw[0..len).  rep is filled (the caller zeroes it, and may set
 * want_trace); release it with report_free().  Never fails: a message that
 * cannot be parsed gets verdict "unparsed" and a reason in rep->error.
 */
void classify_message(const struct bw_classifier *c, const char *raw, size_t len,
		      struct bw_report *rep);

void report_free(struct bw_report *rep);
/* Append an explain line (no-op unless want_trace). */
void report_trace(struct bw_report *rep, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A new zeroed event, or NULL past max_events. */
struct bw_event *report_add_event(struct bw_report *rep, unsigned max_events);

#endif
