/*
 * reason.h - from what a bounce says to kind, reason and the hard flag.
 *
 * The phrase table (reason.c) maps diagnostic words to reasons; the status
 * code table (status.c) maps RFC 3463 codes to reasons.  reason_decide()
 * weighs both: the more specific wins (SPEC §3).
 */
#ifndef BW_REASON_H
#define BW_REASON_H

#include <stdbool.h>
#include <stddef.h>

#include "classify.h"
#include "event.h"

struct reason_match {
	enum bw_reason reason;
	bool strong;          /* outranks even a specific status code */
	bool code;            /* an MTA's or provider's own error code matched */
	bool vague;           /* a last resort: any status code's reason outranks it */
	const char *phrase;   /* the table entry that matched (static) */
};

/* Look the text up in the phrase table.  Returns false when nothing matches. */
bool reason_from_text(const char *text, size_t len, struct reason_match *m);

/* Decide ev->reason, ev->kind and ev->hard from everything the event holds;
 * explain lines go to rep (may be NULL). */
void reason_decide(struct bw_event *ev, struct bw_report *rep);

/* Who reported the event, asked only when an "unknown user" needs it. */
struct reason_lookup {
	/* The reporting mail system when it looks its recipients up itself
	 * and says so in its own words (a name for explain), else NULL. */
	const char *(*mta)(const void *arg, const struct bw_event *ev);
	const void *arg;      /* borrowed, passed to mta */
};

/*
 * The same, with the bounce's human-readable text (borrowed, may be NULL):
 * it may say at which SMTP stage the remote refused this recipient (a
 * transcript, "in reply to end of DATA command", ...).  An "unknown user"
 * that neither a status code nor the RCPT TO stage confirms is "filtered"
 * (a filter may say it of an address that exists), unless lookup (may be
 * NULL) names a reporting mail system that looks its recipients up itself.
 */
void reason_decide_in(struct bw_event *ev, const char *text, size_t len, const struct reason_lookup *lookup,
		      struct bw_report *rep);

/* Reasons that are the sender's problem, not the recipient's (SPEC §4). */
bool reason_is_sender_side(enum bw_reason r);

/* Number of entries in the phrase table (for tests and `explain`). */
size_t reason_table_size(void);

#endif
