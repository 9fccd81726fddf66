/*
 * event.h - the bounce event (SPEC §3) and the per-message report.
 *
 * These records are the only coupling between the classifier and the stages
 * after it (store, policy, outbox).  Every text field is a fixed, bounded,
 * NUL-terminated array: input is untrusted, so nothing here grows with it.
 */
#ifndef BW_EVENT_H
#define BW_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define BW_ADDR_MAX     320   /* RFC 5321: 64 + 1 + 255 */
#define BW_HOST_MAX     256
#define BW_STATUS_MAX   16    /* "5.1.1", room for "4.7.1000" */
#define BW_DIAG_MAX     1024  /* diagnostic text, unfolded, truncated */
#define BW_MSGID_MAX    256
#define BW_SUBJECT_MAX  512
#define BW_DETECTOR_MAX 64
#define BW_MATCH_MAX    256

enum bw_kind {
	BW_KIND_UNKNOWN = 0,
	BW_KIND_HARD,
	BW_KIND_SOFT,
	BW_KIND_BLOCK,
	BW_KIND_DELAYED,
	BW_KIND_COMPLAINT,
	BW_KIND_AUTOREPLY,
	BW_KIND_DELIVERED,
	BW_KIND__COUNT
};

/* Reason names are Sisimai's so users can compare (SPEC §3). */
enum bw_reason {
	BW_R_UNDEFINED = 0,
	BW_R_USERUNKNOWN,
	BW_R_HOSTUNKNOWN,
	BW_R_MAILBOXFULL,
	BW_R_MESGTOOBIG,
	BW_R_FILTERED,
	BW_R_REJECTED,
	BW_R_BLOCKED,
	BW_R_SPAMDETECTED,
	BW_R_VIRUSDETECTED,
	BW_R_POLICYVIOLATION,
	BW_R_SECURITYERROR,
	BW_R_AUTHFAILURE,
	BW_R_REQUIREPTR,
	BW_R_BADREPUTATION,
	BW_R_SPEEDING,
	BW_R_TOOMANYCONN,
	BW_R_EXPIRED,
	BW_R_SUSPEND,
	BW_R_HASMOVED,
	BW_R_NOTACCEPT,
	BW_R_NORELAYING,
	BW_R_NETWORKERROR,
	BW_R_SYSTEMERROR,
	BW_R_SYSTEMFULL,
	BW_R_EXCEEDLIMIT,
	BW_R_SYNTAXERROR,
	BW_R_CONTENTERROR,
	BW_R_MAILERERROR,
	BW_R_NOTCOMPLIANTRFC,
	BW_R_FAILEDSTARTTLS,
	BW_R_ONHOLD,
	BW_R_VACATION,
	BW_R_FEEDBACK,
	BW_R_DELIVERED,
	BW_R__COUNT
};

enum bw_verdict {
	BW_VERDICT_BOUNCE = 0,
	BW_VERDICT_COMPLAINT,
	BW_VERDICT_AUTOREPLY,
	BW_VERDICT_NOT_BOUNCE,
	BW_VERDICT_UNPARSED,
	BW_VERDICT__COUNT
};

/* The returned (original) message, as far as the bounce quotes it. */
struct bw_original {
	char message_id[BW_MSGID_MAX];
	char subject[BW_SUBJECT_MAX];
	char from[BW_ADDR_MAX + 1];
	char to[BW_ADDR_MAX + 1];
	char campaign[BW_MSGID_MAX];
};

/* One failed (or delayed, delivered, complained-about) recipient. */
struct bw_event {
	char recipient[BW_ADDR_MAX + 1];   /* domain lower-cased */
	enum bw_kind kind;
	enum bw_reason reason;
	bool hard;
	char status[BW_STATUS_MAX];        /* RFC 3463, "" when unknown */
	char reply_code[4];                /* "550", "" when unknown */
	char action[16];                   /* DSN Action, lower-case */
	char diagnostic[BW_DIAG_MAX];
	char remote_mta[BW_HOST_MAX];
	char reporting_mta[BW_HOST_MAX];
	char feedback_type[32];            /* ARF only */
	char detector[BW_DETECTOR_MAX];    /* rule name, e.g. "rfc3464", "lhost:postfix" */
	char matched[BW_MATCH_MAX];        /* the input line that decided */
	struct bw_original original;
	time_t time;                       /* event time (SPEC §4), 0 when unknown */
	bool unverified;                   /* signed VERP required but missing/invalid */
};

const char *bw_kind_name(enum bw_kind k);
const char *bw_reason_name(enum bw_reason r);
const char *bw_verdict_name(enum bw_verdict v);
/* Name -> value; returns -1 for an unknown name. */
int bw_kind_from_name(const char *name);
int bw_reason_from_name(const char *name);

/* Copy at most dstsz-1 bytes of src[0..len) into dst, always NUL-terminated.
 * Control characters become spaces.  Returns the number of bytes written. */
size_t bw_strlcpyn(char *dst, size_t dstsz, const char *src, size_t len);

#endif
