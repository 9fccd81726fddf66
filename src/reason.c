/*
 * reason.c - phrase tables (data) and the kind/reason/hard decision.
 *
 * Phrases are matched case-insensitively against the diagnostic text.  The
 * table is ordered: the first phrase that occurs wins, so more specific
 * phrases come before general ones.  "strong" phrases outrank a specific
 * status code (a 5.1.1 that says "mailbox full" is a full mailbox).
 * Phrases are our own, written from the RFCs and from what MTAs say.
 */
#include "config.h"

#include <string.h>

#include "reason.h"
#include "status.h"
#include "util.h"

struct phrase {
	enum bw_reason reason;
	bool strong;
	const char *text;   /* lower-case ASCII */
};

#define S true
#define W false

static const struct phrase phrases[] = {
	/* sender authentication: the sender's problem */
	{ BW_R_AUTHFAILURE, S, "spf check failed" },
	{ BW_R_AUTHFAILURE, S, "spf validation" },
	{ BW_R_AUTHFAILURE, S, "spf fail" },
	{ BW_R_AUTHFAILURE, S, "sender policy framework" },
	{ BW_R_AUTHFAILURE, S, "dmarc policy" },
	{ BW_R_AUTHFAILURE, S, "dmarc validation" },
	{ BW_R_AUTHFAILURE, S, "failed dmarc" },
	{ BW_R_AUTHFAILURE, S, "dkim signature" },
	{ BW_R_AUTHFAILURE, S, "dkim validation" },
	{ BW_R_AUTHFAILURE, S, "dkim check" },
	{ BW_R_AUTHFAILURE, S, "not authenticated with dkim" },
	{ BW_R_AUTHFAILURE, S, "unauthenticated email" },
	{ BW_R_AUTHFAILURE, S, "authentication failed for the sender" },
	/* reverse DNS */
	{ BW_R_REQUIREPTR, S, "no ptr record" },
	{ BW_R_REQUIREPTR, S, "ptr record" },
	{ BW_R_REQUIREPTR, S, "reverse dns" },
	{ BW_R_REQUIREPTR, S, "reverse lookup" },
	{ BW_R_REQUIREPTR, S, "rdns" },
	{ BW_R_REQUIREPTR, S, "cannot resolve your address" },
	{ BW_R_REQUIREPTR, S, "cannot find your hostname" },
	{ BW_R_REQUIREPTR, S, "does not have a reverse" },
	{ BW_R_REQUIREPTR, S, "no reverse" },
	{ BW_R_REQUIREPTR, S, "client host rejected: cannot find your" },
	/* reputation and blocklists */
	{ BW_R_BADREPUTATION, S, "poor reputation" },
	{ BW_R_BADREPUTATION, S, "bad reputation" },
	{ BW_R_BADREPUTATION, S, "low reputation" },
	{ BW_R_BADREPUTATION, S, "sender reputation" },
	{ BW_R_BLOCKED, S, "blacklisted" },
	{ BW_R_BLOCKED, S, "blocklisted" },
	{ BW_R_BLOCKED, S, "listed at" },
	{ BW_R_BLOCKED, S, "listed in" },
	{ BW_R_BLOCKED, S, "spamhaus" },
	{ BW_R_BLOCKED, S, "spamcop" },
	{ BW_R_BLOCKED, S, "dnsbl" },
	{ BW_R_BLOCKED, S, "rbl" },
	{ BW_R_BLOCKED, S, "client host rejected" },
	{ BW_R_BLOCKED, S, "your ip" },
	{ BW_R_BLOCKED, S, "ip address is blocked" },
	{ BW_R_BLOCKED, S, "access denied" },
	{ BW_R_BLOCKED, S, "connection refused" },
	{ BW_R_BLOCKED, S, "has been blocked" },
	{ BW_R_BLOCKED, S, "blocked by" },
	/* rate limits */
	{ BW_R_TOOMANYCONN, S, "too many connections" },
	{ BW_R_TOOMANYCONN, S, "too many concurrent" },
	{ BW_R_TOOMANYCONN, S, "connection limit" },
	{ BW_R_SPEEDING, S, "rate limit" },
	{ BW_R_SPEEDING, S, "ratelimit" },
	{ BW_R_SPEEDING, S, "too many messages" },
	{ BW_R_SPEEDING, S, "sending too fast" },
	{ BW_R_SPEEDING, S, "receiving mail at a rate" },
	/* content */
	{ BW_R_VIRUSDETECTED, S, "virus" },
	{ BW_R_VIRUSDETECTED, S, "malware" },
	{ BW_R_SPAMDETECTED, S, "spam" },
	{ BW_R_SPAMDETECTED, S, "junk mail" },
	{ BW_R_SPAMDETECTED, S, "unsolicited" },
	{ BW_R_SPAMDETECTED, S, "bulk mail" },
	{ BW_R_POLICYVIOLATION, S, "policy violation" },
	{ BW_R_POLICYVIOLATION, S, "violates our policy" },
	{ BW_R_POLICYVIOLATION, S, "prohibited attachment" },
	{ BW_R_CONTENTERROR, W, "header error" },
	{ BW_R_CONTENTERROR, W, "illegal header" },
	{ BW_R_NOTCOMPLIANTRFC, S, "rfc 5322" },
	{ BW_R_NOTCOMPLIANTRFC, S, "rfc5322" },
	{ BW_R_NOTCOMPLIANTRFC, S, "not rfc compliant" },
	{ BW_R_MESGTOOBIG, S, "message too large" },
	{ BW_R_MESGTOOBIG, S, "message too big" },
	{ BW_R_MESGTOOBIG, S, "message size exceeds" },
	{ BW_R_MESGTOOBIG, S, "exceeds size limit" },
	{ BW_R_MESGTOOBIG, S, "size limit" },
	{ BW_R_MESGTOOBIG, S, "message is too large" },
	{ BW_R_EXCEEDLIMIT, W, "exceeded the limit" },
	{ BW_R_EXCEEDLIMIT, W, "too many recipients" },
	/* mailbox state */
	{ BW_R_MAILBOXFULL, S, "mailbox full" },
	{ BW_R_MAILBOXFULL, S, "mailbox is full" },
	{ BW_R_MAILBOXFULL, S, "mailbox has exceeded" },
	{ BW_R_MAILBOXFULL, S, "over quota" },
	{ BW_R_MAILBOXFULL, S, "overquota" },
	{ BW_R_MAILBOXFULL, S, "quota exceeded" },
	{ BW_R_MAILBOXFULL, S, "exceeded storage" },
	{ BW_R_MAILBOXFULL, S, "exceeded their storage" },
	{ BW_R_MAILBOXFULL, S, "insufficient disk space" },
	{ BW_R_MAILBOXFULL, S, "not enough disk space" },
	{ BW_R_MAILBOXFULL, S, "disk quota" },
	{ BW_R_MAILBOXFULL, S, "user is over" },
	{ BW_R_MAILBOXFULL, S, "boite pleine" },
	{ BW_R_MAILBOXFULL, S, "postfach voll" },
	{ BW_R_SUSPEND, S, "account disabled" },
	{ BW_R_SUSPEND, S, "account has been disabled" },
	{ BW_R_SUSPEND, S, "account is disabled" },
	{ BW_R_SUSPEND, S, "mailbox disabled" },
	{ BW_R_SUSPEND, S, "mailbox is disabled" },
	{ BW_R_SUSPEND, S, "account suspended" },
	{ BW_R_SUSPEND, S, "has been suspended" },
	{ BW_R_SUSPEND, S, "inactive" },
	{ BW_R_SUSPEND, S, "not active" },
	{ BW_R_HASMOVED, S, "has moved" },
	{ BW_R_HASMOVED, S, "no longer" },
	/* address does not exist */
	{ BW_R_USERUNKNOWN, W, "user unknown" },
	{ BW_R_USERUNKNOWN, W, "unknown user" },
	{ BW_R_USERUNKNOWN, W, "user not found" },
	{ BW_R_USERUNKNOWN, W, "no such user" },
	{ BW_R_USERUNKNOWN, W, "no such recipient" },
	{ BW_R_USERUNKNOWN, W, "no such mailbox" },
	{ BW_R_USERUNKNOWN, W, "no such address" },
	{ BW_R_USERUNKNOWN, W, "unknown recipient" },
	{ BW_R_USERUNKNOWN, W, "recipient unknown" },
	{ BW_R_USERUNKNOWN, W, "recipient not found" },
	{ BW_R_USERUNKNOWN, W, "invalid recipient" },
	{ BW_R_USERUNKNOWN, W, "recipient address rejected" },
	{ BW_R_USERUNKNOWN, W, "mailbox unavailable" },
	{ BW_R_USERUNKNOWN, W, "mailbox not found" },
	{ BW_R_USERUNKNOWN, W, "mailbox does not exist" },
	{ BW_R_USERUNKNOWN, W, "address does not exist" },
	{ BW_R_USERUNKNOWN, W, "does not exist" },
	{ BW_R_USERUNKNOWN, W, "doesn't exist" },
	{ BW_R_USERUNKNOWN, W, "not a valid mailbox" },
	{ BW_R_USERUNKNOWN, W, "unknown local part" },
	{ BW_R_USERUNKNOWN, W, "invalid mailbox" },
	{ BW_R_USERUNKNOWN, W, "invalid address" },
	{ BW_R_USERUNKNOWN, W, "unrouteable address" },
	{ BW_R_USERUNKNOWN, W, "no mailbox" },
	{ BW_R_USERUNKNOWN, W, "utilisateur inconnu" },
	{ BW_R_USERUNKNOWN, W, "unbekannt" },
	{ BW_R_HOSTUNKNOWN, W, "host unknown" },
	{ BW_R_HOSTUNKNOWN, W, "unknown host" },
	{ BW_R_HOSTUNKNOWN, W, "host not found" },
	{ BW_R_HOSTUNKNOWN, W, "domain not found" },
	{ BW_R_HOSTUNKNOWN, W, "no such domain" },
	{ BW_R_HOSTUNKNOWN, W, "domain does not exist" },
	{ BW_R_HOSTUNKNOWN, W, "name or service not known" },
	{ BW_R_HOSTUNKNOWN, W, "nxdomain" },
	{ BW_R_HOSTUNKNOWN, W, "unrouteable mail domain" },
	{ BW_R_NOTACCEPT, W, "null mx" },
	{ BW_R_NOTACCEPT, W, "does not accept mail" },
	{ BW_R_NOTACCEPT, W, "not accepting mail" },
	{ BW_R_NORELAYING, S, "relaying denied" },
	{ BW_R_NORELAYING, S, "relay access denied" },
	{ BW_R_NORELAYING, S, "relay not permitted" },
	{ BW_R_NORELAYING, S, "not permitted to relay" },
	{ BW_R_NORELAYING, S, "unable to relay" },
	{ BW_R_NORELAYING, S, "relaying not allowed" },
	{ BW_R_FAILEDSTARTTLS, S, "starttls" },
	{ BW_R_FAILEDSTARTTLS, S, "tls required" },
	/* sender refused */
	{ BW_R_REJECTED, W, "sender address rejected" },
	{ BW_R_REJECTED, W, "sender rejected" },
	{ BW_R_REJECTED, W, "sender denied" },
	{ BW_R_REJECTED, W, "domain of sender address" },
	{ BW_R_REJECTED, W, "sender verify failed" },
	/* transport */
	{ BW_R_EXPIRED, W, "retry timeout exceeded" },
	{ BW_R_EXPIRED, W, "retry time not reached" },
	{ BW_R_EXPIRED, W, "delivery time expired" },
	{ BW_R_EXPIRED, W, "message expired" },
	{ BW_R_EXPIRED, W, "could not be delivered for" },
	{ BW_R_EXPIRED, W, "has not been delivered" },
	{ BW_R_EXPIRED, W, "giving up" },
	{ BW_R_EXPIRED, W, "gave up" },
	{ BW_R_NETWORKERROR, W, "mail loop" },
	{ BW_R_NETWORKERROR, W, "loops back to myself" },
	{ BW_R_NETWORKERROR, W, "too many hops" },
	{ BW_R_NETWORKERROR, W, "connection timed out" },
	{ BW_R_NETWORKERROR, W, "network is unreachable" },
	{ BW_R_NETWORKERROR, W, "no route to host" },
	{ BW_R_SYSTEMFULL, W, "system full" },
	{ BW_R_SYSTEMFULL, W, "insufficient system storage" },
	{ BW_R_MAILERERROR, W, "mailer error" },
	{ BW_R_MAILERERROR, W, "command died" },
	{ BW_R_MAILERERROR, W, "pipe to" },
	{ BW_R_SYNTAXERROR, W, "syntax error" },
	{ BW_R_SYSTEMERROR, W, "system error" },
	{ BW_R_SYSTEMERROR, W, "internal error" },
	{ BW_R_SYSTEMERROR, W, "local error" },
	{ BW_R_SYSTEMERROR, W, "temporary failure" },
	{ BW_R_FILTERED, W, "filtered" },
	{ BW_R_FILTERED, W, "content filter" },
	{ BW_R_BLOCKED, W, "blocked" },
	{ BW_R_REJECTED, W, "rejected" },
};

#undef S
#undef W

size_t reason_table_size(void)
{
	return ARRAY_LEN(phrases);
}

bool reason_from_text(const char *text, size_t len, struct reason_match *m)
{
	if (!text || !len)
		return false;
	for (size_t i = 0; i < ARRAY_LEN(phrases); i++) {
		if (bw_memcasemem(text, len, phrases[i].text)) {
			m->reason = phrases[i].reason;
			m->strong = phrases[i].strong;
			m->phrase = phrases[i].text;
			return true;
		}
	}
	return false;
}

bool reason_is_sender_side(enum bw_reason r)
{
	switch (r) {
	case BW_R_AUTHFAILURE: case BW_R_SECURITYERROR: case BW_R_REQUIREPTR:
	case BW_R_BADREPUTATION: case BW_R_BLOCKED: case BW_R_NORELAYING:
	case BW_R_FAILEDSTARTTLS: case BW_R_SPEEDING: case BW_R_TOOMANYCONN:
		return true;
	default:
		return false;
	}
}

static char code_class(const struct bw_event *ev)
{
	if (ev->status[0])
		return ev->status[0];
	return ev->reply_code[0];
}

static enum bw_kind kind_of(enum bw_reason r, bool hard, char cls, const char *action)
{
	switch (r) {
	case BW_R_DELIVERED: return BW_KIND_DELIVERED;
	case BW_R_FEEDBACK: return BW_KIND_COMPLAINT;
	case BW_R_VACATION: return BW_KIND_AUTOREPLY;
	default: break;
	}
	if (strcmp(action, "delayed") == 0)
		return BW_KIND_DELAYED;
	if (hard)
		return BW_KIND_HARD;
	switch (r) {
	case BW_R_BLOCKED: case BW_R_SPAMDETECTED: case BW_R_VIRUSDETECTED:
	case BW_R_POLICYVIOLATION: case BW_R_REJECTED: case BW_R_FILTERED:
	case BW_R_SECURITYERROR: case BW_R_AUTHFAILURE: case BW_R_REQUIREPTR:
	case BW_R_BADREPUTATION: case BW_R_SPEEDING: case BW_R_TOOMANYCONN:
	case BW_R_NORELAYING: case BW_R_FAILEDSTARTTLS: case BW_R_CONTENTERROR:
	case BW_R_NOTCOMPLIANTRFC:
		return BW_KIND_BLOCK;
	case BW_R_UNDEFINED:
		return cls == '4' || cls == '5' ? BW_KIND_SOFT : BW_KIND_UNKNOWN;
	default:
		return BW_KIND_SOFT;
	}
}

static bool hard_of(enum bw_reason r, char cls)
{
	switch (r) {
	case BW_R_USERUNKNOWN: case BW_R_HOSTUNKNOWN: case BW_R_HASMOVED:
		return true;
	case BW_R_NOTACCEPT:
		return cls != '4';
	default:
		return false;
	}
}

void reason_decide(struct bw_event *ev, struct bw_report *rep)
{
	bool specific = false;
	enum bw_reason st = status_reason(ev->status, &specific);
	struct reason_match m = { BW_R_UNDEFINED, false, NULL };
	bool have_text = reason_from_text(ev->diagnostic, strlen(ev->diagnostic), &m);
	enum bw_reason r = ev->reason;
	char cls = code_class(ev);

	if (r != BW_R_UNDEFINED) {
		if (rep)
			report_trace(rep, "reason %s: set by detector %s", bw_reason_name(r), ev->detector);
	} else if (strcmp(ev->action, "delivered") == 0 || strcmp(ev->action, "relayed") == 0 ||
		   strcmp(ev->action, "expanded") == 0 || cls == '2') {
		r = BW_R_DELIVERED;
		if (rep)
			report_trace(rep, "reason delivered: Action %s, status %s", ev->action, ev->status);
	} else if (have_text && (!specific || m.strong || st == m.reason)) {
		r = m.reason;
		if (rep)
			report_trace(rep, "reason %s: diagnostic matches phrase \"%s\"%s", bw_reason_name(r),
				     m.phrase, specific && st != r ? " (outranks the status code)" : "");
	} else if (st != BW_R_UNDEFINED) {
		r = st;
		if (rep)
			report_trace(rep, "reason %s: status %s (%s)%s", bw_reason_name(r), ev->status,
				     status_text(ev->status) ? status_text(ev->status) : "?",
				     have_text ? ", more specific than the phrase" : "");
	} else if (have_text) {
		r = m.reason;
		if (rep)
			report_trace(rep, "reason %s: diagnostic matches phrase \"%s\"", bw_reason_name(r), m.phrase);
	} else if (strcmp(ev->action, "delayed") == 0) {
		r = BW_R_EXPIRED;
		if (rep)
			report_trace(rep, "reason expired: Action delayed, nothing more specific");
	} else if (rep) {
		report_trace(rep, "reason undefined: no status code or phrase decides");
	}
	ev->reason = r;
	ev->hard = hard_of(r, cls);
	ev->kind = kind_of(r, ev->hard, cls, ev->action);
	if (rep)
		report_trace(rep, "kind %s, hard %s%s", bw_kind_name(ev->kind), ev->hard ? "true" : "false",
			     ev->hard ? " (the address does not exist)" : "");
}
