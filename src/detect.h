/*
 * detect.h - private interface between classify.c and the detectors.
 *
 * A detector looks at the parsed message and, when it recognises it, adds
 * events to the report (recipient, status, reply code, diagnostic, detector
 * name, the line that decided) and returns true.  Detectors never decide
 * kind and hard: reason.c does that for every event afterwards, so that one
 * table rules them all.  A detector may preset ev->reason when the format
 * itself says it (ARF: feedback, auto-reply: vacation, success DSN: delivered)
 * or when its rule names one.
 */
#ifndef BW_DETECT_H
#define BW_DETECT_H

#include <stdbool.h>
#include <stddef.h>

#include "classify.h"
#include "mime.h"

struct det_ctx {
	const struct mime *mime;                 /* borrowed */
	const struct bw_classify_conf *conf;     /* borrowed */
	const char *verp_secret;                 /* borrowed, may be NULL */
	struct bw_report *rep;                   /* borrowed: where events go */
	const struct mime_part *top;             /* the bounce's own header part */
	const struct mime_hdrs *top_h;           /* borrowed: top's header block, indexed */
	/* The returned message's headers, if the bounce quotes them. */
	const char *orig_hdr;
	size_t orig_hdr_len;
	const struct mime_hdrs *orig_h;          /* the same block, indexed (empty if none):
						  * the walk's index of it (borrowed from mime)
						  * or orig_own */
	struct mime_hdrs orig_own;               /* the index when the walk has none */
	/* The human-readable text: the first text/plain part outside the
	 * returned message (else text/html, else the top body). */
	const char *text;
	size_t text_len;
	char *text_owned;                /* owned: text made from HTML, or NULL */
	/* Where the report part of the text ends (the returned message or its
	 * headers begin): det_report_end(text, text + text_len), computed once
	 * per message. */
	const char *text_end;
	/* Top-level header values (unfolded, encoded words decoded). */
	char from[BW_ADDR_MAX + 1];      /* the address only */
	char from_raw[BW_SUBJECT_MAX];   /* the whole From: value */
	char subject[BW_SUBJECT_MAX];
	char to[BW_ADDR_MAX + 1];
	/* The returned message's sender (From, else Return-Path), "" if unknown. */
	char orig_from[BW_ADDR_MAX + 1];
	/* A detector wanted more than limits.max_events events: the message is
	 * past a limit (unparsed), whatever else was found. */
	bool too_many_events;
};

bool det_arf(struct det_ctx *c);
/* Amazon SES JSON notifications: 0 none, 1 bounce or delivery, 2 complaint. */
int det_ses(struct det_ctx *c);
bool det_dsn(struct det_ctx *c);
bool det_autoreply(struct det_ctx *c);
bool det_rules(struct det_ctx *c);
/* The MTA rule that says this bounce's mail system looks its recipients up
 * itself (its "unknown user" is a verdict), or NULL: see rules.c. */
const char *det_lookup_mta(const struct det_ctx *c, const struct bw_event *ev);
bool det_heuristic(struct det_ctx *c);
/* VERP: fill events with no recipient, cross-check the others. */
void det_verp(struct det_ctx *c);

/*
 * Free text (heuristic.c).  det_scan() adds an event for every failed
 * recipient it finds in s..e, named detector, and returns how many.
 */
unsigned det_scan(struct det_ctx *c, const char *s, const char *e, const char *detector);
/* Events for the addresses of an X-Failed-Recipients header. */
unsigned det_failed_header(struct det_ctx *c, const char *detector);
/* An event for the returned message's To when nothing else names one. */
unsigned det_original_to(struct det_ctx *c, const char *detector);
/* Past the first line of p..e (p a line start) that ends with ':' (blanks
 * and CR after it aside): where the line after it begins, e when it is the
 * last; NULL when no line does.  Headings introduce lists of recipients. */
const char *det_past_heading(const char *p, const char *e);
/* Where the report part of s..e ends (the returned message begins). */
const char *det_report_end(const char *s, const char *e);
bool det_looks_like_bounce(const struct det_ctx *c, const char **why);
/* Does the notice say it is only a warning (the message is still queued)? */
bool det_delay_notice(const struct det_ctx *c, const char **why);
bool det_failure_line(const char *p, size_t n);
bool det_own_address(const struct det_ctx *c, const char *a);

/* Add an event named after detector; NULL past the max_events limit. */
struct bw_event *det_event(struct det_ctx *c, const char *detector);

/* Header name of part pt (the indexed copy when pt is the top or the
 * returned message): as mime_header. */
bool det_part_header(const struct det_ctx *c, const struct mime_part *pt, const char *name, char *out,
		     size_t outsz);

/* Set diagnostic from text[0..len) (unfolded), and take status and reply
 * code out of it where the event has none. */
void det_set_diagnostic(struct bw_event *ev, const char *text, size_t len);

/*
 * Addresses.  addr_extract finds the first plausible e-mail address in
 * s[0..len) ("<a@b>", "a@b", "rfc822; a@b"), writes it normalised (domain
 * lower-cased, no brackets) and returns a pointer just past it in s, or NULL.
 */
const char *addr_extract(const char *s, size_t len, char *out, size_t outsz);
/* The same, and *start gets where the address begins in s. */
const char *addr_extract_at(const char *s, size_t len, char *out, size_t outsz, const char **start);
bool addr_valid(const char *a);
/*
 * An RFC 6533 "utf-8" address of a DSN field (Final-Recipient: utf-8; ...):
 * \x{HEX} escapes decoded, angle brackets and blanks around it dropped; the
 * domain may hold U-labels (valid UTF-8), unlike addresses found in free
 * text.  Writes it normalised (ASCII of the domain lower-cased); false when
 * it is no address or does not fit outsz.
 */
bool addr_utf8_field(const char *v, char *out, size_t outsz);
/* Lower-case the domain part in place. */
void addr_normalise(char *a);

#endif
