/*
 * dsn.c - RFC 3464 delivery status notifications.
 *
 * The message/delivery-status body is a series of header blocks: the first
 * holds per-message fields (Reporting-MTA, Arrival-Date), every later one a
 * recipient (Final-Recipient, Action, Status, Diagnostic-Code, ...).  Blank
 * lines separate them; a Final-Recipient line inside a block also starts a
 * new recipient, since some MTAs forget the blank line.
 */
#include "config.h"

#include <string.h>

#include "date.h"
#include "detect.h"
#include "reason.h"
#include "status.h"
#include "util.h"

struct dsn_msg {
	char reporting_mta[BW_HOST_MAX];
	time_t arrival;
};

/* Strip a "type;" prefix ("rfc822; a@b", "dns; host", "smtp; 550 ..."). */
static const char *after_type(const char *v)
{
	const char *semi = strchr(v, ';');
	if (!semi)
		return v;
	for (const char *p = v; p < semi; p++)
		if (!(bw_isalpha((unsigned char)*p) || bw_isdigit((unsigned char)*p) || *p == '-' || *p == ' '))
			return v;
	semi++;
	while (*semi == ' ')
		semi++;
	return semi;
}

static bool is_recipient_block(const struct mime_hdrs *h)
{
	size_t vl;
	return mime_hdrs_raw(h, "Final-Recipient", &vl) || mime_hdrs_raw(h, "Original-Recipient", &vl) ||
	       mime_hdrs_raw(h, "X-Actual-Recipient", &vl);
}

/* Does the line at e[0..ll) start a new recipient inside the block b..e?
 * Some MTAs forget the blank line between recipients: a recipient field that
 * repeats one the block already has, or one that follows the block's Action
 * or Status when the block already names a recipient, begins the next one. */
static bool starts_next_recipient(const char *b, const char *e, size_t ll)
{
	static const char *const fields[] = { "Final-Recipient", "Original-Recipient" };
	size_t bl = (size_t)(e - b), vl;
	for (size_t i = 0; i < ARRAY_LEN(fields); i++) {
		size_t n = strlen(fields[i]);
		if (ll <= n || !bw_prefixcase(e, ll, fields[i]) || e[n] != ':')
			continue;
		if (mime_header_raw(b, bl, fields[i], &vl))
			return true;
		/* Action or Status after the block's recipient closes it; a block
		 * that lists them first (Status, Action, then the recipients) is
		 * still one block */
		const char *r1 = mime_header_raw(b, bl, "Final-Recipient", &vl);
		const char *r2 = mime_header_raw(b, bl, "Original-Recipient", &vl);
		const char *r = r1 && (!r2 || r1 < r2) ? r1 : r2;
		const char *a = mime_header_raw(b, bl, "Action", &vl);
		const char *st = mime_header_raw(b, bl, "Status", &vl);
		return r && ((a && a > r) || (st && st > r));
	}
	return false;
}

static void read_message_fields(const struct mime_hdrs *h, struct dsn_msg *dm)
{
	char v[BW_HOST_MAX];
	if (mime_hdrs_get(h, "Reporting-MTA", v, sizeof(v)) && !dm->reporting_mta[0])
		bw_strlcpy(dm->reporting_mta, after_type(v), sizeof(dm->reporting_mta));
	if (mime_hdrs_get(h, "Arrival-Date", v, sizeof(v)) && !dm->arrival)
		dm->arrival = bw_parse_date(v);
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)bw_lower((unsigned char)*s);
}

static bool field_addr(const struct mime_hdrs *h, const char *field, char *out, size_t outsz)
{
	char v[BW_ADDR_MAX * 2];
	if (!mime_hdrs_get(h, field, v, sizeof(v)))
		return false;
	const char *a = after_type(v);
	/* SMTPUTF8 (RFC 6533): the domain may be in U-labels, which no free
	 * text address may hold; one with \x{HEX} escapes is read only so */
	if (bw_prefixcase(v, strlen(v), "utf-8;")) {
		if (addr_utf8_field(a, out, outsz))
			return true;
		if (strstr(a, "\\x{"))
			return false;
	}
	return addr_extract(a, strlen(a), out, outsz) != NULL;
}

/* Is domain d equal to, or a host inside, domain parent? */
static bool same_or_sub(const char *d, const char *parent)
{
	size_t dl = strlen(d), pl = strlen(parent);
	if (dl < pl || strcasecmp(d + dl - pl, parent) != 0)
		return false;
	return dl == pl || d[dl - pl - 1] == '.';
}

/*
 * The recipient: Final-Recipient (SPEC §3), except when the receiving site
 * only rewrote the address internally (the final address is in the same
 * domain as the original, or on a host inside it): then the address the
 * sender used, Original-Recipient, is the one to act on.
 */
static bool recipient_of(const struct mime_hdrs *h, char *out, size_t outsz)
{
	char fin[BW_ADDR_MAX + 1], orig[BW_ADDR_MAX + 1];
	bool have_f = field_addr(h, "Final-Recipient", fin, sizeof(fin));
	bool have_o = field_addr(h, "Original-Recipient", orig, sizeof(orig));
	if (have_f && have_o && strcasecmp(fin, orig) != 0 &&
	    same_or_sub(strrchr(fin, '@') + 1, strrchr(orig, '@') + 1)) {
		bw_strlcpy(out, orig, outsz);
		return true;
	}
	if (have_f || have_o) {
		bw_strlcpy(out, have_f ? fin : orig, outsz);
		return true;
	}
	return field_addr(h, "X-Actual-Recipient", out, outsz);
}

/* Whether hit opens its line of text (only blanks and '<' before it). */
static bool opens_line(const char *text, const char *hit)
{
	const char *p = hit;
	while (p > text && (p[-1] == ' ' || p[-1] == '\t' || p[-1] == '<'))
		p--;
	return p == text || p[-1] == '\n';
}

/* Whether p[0..n) holds a letter (words, not punctuation alone). */
static bool has_letter(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (bw_isalpha((unsigned char)p[i]))
			return true;
	return false;
}

/*
 * A block with no Diagnostic-Code: the notice may quote the server for this
 * recipient on the recipient's own line ("a@b: 550 5.7.25 <a@b>: Recipient
 * address rejected: ...", as OpenSMTPD writes it), or give its own words for
 * it there ("a@b: Envelope expired").  Taken is the rest of a line where a
 * reply or status code follows the address (after ':', '>', '.' and
 * blanks), or else of a line the address opens, followed by a colon and
 * words; a mere mention of the address in a sentence gives nothing.
 */
static void diagnostic_from_notice(struct det_ctx *c, struct bw_event *ev)
{
	if (!c->text)
		return;
	const char *t = c->text, *end = c->text_end;
	const char *words = NULL;           /* the first "a@b: words" line's words */
	size_t words_len = 0, rl = strlen(ev->recipient);
	while (t < end) {
		const char *hit = bw_memcasemem(t, (size_t)(end - t), ev->recipient);
		if (!hit)
			break;
		const char *p = hit + rl;
		const char *le = memchr(p, '\n', (size_t)(end - p));
		if (!le)
			le = end;
		while (p < le && (*p == '>' || *p == ':' || *p == '.' || *p == ' ' || *p == '\t'))
			p++;
		char rc[4], st[BW_STATUS_MAX];
		size_t n = (size_t)(le - p);
		while (n && (p[n - 1] == '\r' || p[n - 1] == ' '))
			n--;
		if (n >= 3 && (p[0] == '4' || p[0] == '5') &&
		    (reply_find(p, n < 4 ? n : 4, rc) || status_find(p, n, st, sizeof(st)))) {
			det_set_diagnostic(ev, p, n);
			report_trace(c->rep, "rfc3464: no Diagnostic-Code; the notice's line for %s: %s",
				     ev->recipient, ev->diagnostic);
			return;
		}
		const char *q = hit + rl;
		if (q < le && *q == '>')
			q++;
		if (!words && q < le && *q == ':' && opens_line(c->text, hit) && n >= 3 &&
		    has_letter(p, n)) {
			words = p;
			words_len = n;
		}
		t = le;
	}
	if (words) {
		det_set_diagnostic(ev, words, words_len);
		report_trace(c->rep, "rfc3464: no Diagnostic-Code; the notice's words for %s: %s",
			     ev->recipient, ev->diagnostic);
	}
}

/* Append src to dst[0..at) (dstsz > at), truncated to dstsz - 1 bytes and
 * NUL-terminated; returns the new length. */
static size_t append(char *dst, size_t dstsz, size_t at, const char *src)
{
	while (at + 1 < dstsz && *src)
		dst[at++] = *src++;
	dst[at] = '\0';
	return at;
}

/*
 * MTAs that classify each failure themselves, in an extension field of the
 * recipient block: PowerMTA's X-PowerMTA-BounceCategory, with the categories
 * its documentation lists.  The category is the MTA's own verdict, taken as
 * the reason where it names one of ours.
 */
static const struct {
	const char *category;
	enum bw_reason reason;
} bounce_categories[] = {
	{ "bad-mailbox", BW_R_USERUNKNOWN },      { "bad-domain", BW_R_HOSTUNKNOWN },
	{ "inactive-mailbox", BW_R_SUSPEND },     { "quota-issues", BW_R_MAILBOXFULL },
	{ "spam-related", BW_R_SPAMDETECTED },    { "policy-related", BW_R_POLICYVIOLATION },
	{ "virus-related", BW_R_VIRUSDETECTED },  { "content-related", BW_R_CONTENTERROR },
	{ "message-expired", BW_R_EXPIRED },      { "invalid-sender", BW_R_REJECTED },
	{ "relaying-issues", BW_R_NORELAYING },
};

static void bounce_category(struct det_ctx *c, const struct mime_hdrs *h, struct bw_event *ev)
{
	char v[64];
	if (ev->reason != BW_R_UNDEFINED || !mime_hdrs_get(h, "X-PowerMTA-BounceCategory", v, sizeof(v)))
		return;
	for (size_t i = 0; i < ARRAY_LEN(bounce_categories); i++) {
		if (strcasecmp(v, bounce_categories[i].category) == 0) {
			ev->reason = bounce_categories[i].reason;
			report_trace(c->rep, "rfc3464: X-PowerMTA-BounceCategory %s: %s", v,
				     bw_reason_name(ev->reason));
			return;
		}
	}
}

/* One recipient block -> one event (failed, delayed, delivered). */
static void read_recipient(struct det_ctx *c, const struct mime_hdrs *h, const struct dsn_msg *dm)
{
	char rcpt[BW_ADDR_MAX + 1];
	char action[32] = "", status[BW_STATUS_MAX] = "", v[BW_DIAG_MAX];

	bool have_rcpt = recipient_of(h, rcpt, sizeof(rcpt));
	mime_hdrs_get(h, "Action", action, sizeof(action));
	lower(action);
	char *sp = strchr(action, ' ');
	if (sp)
		*sp = '\0';   /* "failed (bad address)" */
	if (mime_hdrs_get(h, "Status", v, sizeof(v)))
		status_find(v, strlen(v), status, sizeof(status));

	struct bw_event *ev = det_event(c, "rfc3464");
	if (!ev)
		return;
	if (have_rcpt)
		bw_strlcpy(ev->recipient, rcpt, sizeof(ev->recipient));
	bw_strlcpy(ev->action, action, sizeof(ev->action));
	bw_strlcpy(ev->status, status, sizeof(ev->status));
	bw_strlcpy(ev->reporting_mta, dm->reporting_mta, sizeof(ev->reporting_mta));
	ev->time = dm->arrival;
	if (mime_hdrs_get(h, "Remote-MTA", v, sizeof(v)))
		bw_strlcpy(ev->remote_mta, after_type(v), sizeof(ev->remote_mta));
	bool xunix = false;
	if (mime_hdrs_get(h, "Diagnostic-Code", v, sizeof(v))) {
		const char *d = after_type(v);
		xunix = bw_prefixcase(v, strlen(v), "x-unix");
		det_set_diagnostic(ev, d, strlen(d));
	}
	/* delivery to a program ("X-Actual-Recipient: X-Unix; |/usr/bin/filter")
	 * or a local mailer's own words ("X-Unix; temporary failure"): the
	 * mailer failed, unless its words say why in terms we know */
	bool pipe = mime_hdrs_get(h, "X-Actual-Recipient", v, sizeof(v)) && after_type(v)[0] == '|';
	struct reason_match rm;
	if ((pipe || xunix) && !reason_from_text(ev->diagnostic, strlen(ev->diagnostic), &rm)) {
		ev->reason = BW_R_MAILERERROR;
		report_trace(c->rep, "rfc3464: %s: the local mailer failed", pipe ? "delivery to a program" :
			     "an X-Unix diagnostic");
	}
	bounce_category(c, h, ev);
	if (!ev->time && mime_hdrs_get(h, "Last-Attempt-Date", v, sizeof(v)))
		ev->time = bw_parse_date(v);
	if (!ev->diagnostic[0] && ev->recipient[0])
		diagnostic_from_notice(c, ev);
	/* "Final-Recipient: %s; Action: %s; Status: %s", put together piece by
	 * piece (cut where snprintf would cut it) */
	const char *const pieces[] = { "Final-Recipient: ", ev->recipient, "; Action: ", action, "; Status: ",
				       status };
	size_t ml = 0;
	for (size_t i = 0; i < ARRAY_LEN(pieces); i++)
		ml = append(ev->matched, sizeof(ev->matched), ml, pieces[i]);
	/* a status of x.0.0 says less than the code in the diagnostic */
	if (ev->diagnostic[0] && (!status[0] || strcmp(status + 1, ".0.0") == 0)) {
		char s2[BW_STATUS_MAX];
		if (status_find(ev->diagnostic, strlen(ev->diagnostic), s2, sizeof(s2)) &&
		    (s2[0] == status[0] || !status[0]))
			bw_strlcpy(ev->status, s2, sizeof(ev->status));
	}
	report_trace(c->rep, "rfc3464: recipient %s, Action %s, Status %s%s%s",
		     ev->recipient[0] ? ev->recipient : "(none)", action[0] ? action : "(none)",
		     ev->status[0] ? ev->status : "(none)",
		     ev->diagnostic[0] ? ", Diagnostic-Code " : "", ev->diagnostic);
}

/* One event per recipient: a DSN that lists an address twice (one block per
 * delivery attempt) keeps the block that says the most. */
static void dedupe(struct bw_report *rep, unsigned from)
{
	unsigned w = from;
	for (unsigned i = from; i < rep->n_events; i++) {
		struct bw_event *ev = &rep->events[i];
		struct bw_event *dup = NULL;
		for (unsigned j = from; j < w && !dup; j++)
			if (ev->recipient[0] && strcasecmp(rep->events[j].recipient, ev->recipient) == 0)
				dup = &rep->events[j];
		if (!dup) {
			if (w != i)
				rep->events[w] = *ev;
			w++;
			continue;
		}
		if ((!dup->diagnostic[0] && ev->diagnostic[0]) || (!dup->status[0] && ev->status[0]))
			*dup = *ev;
		report_trace(rep, "rfc3464: %s listed again: one event", ev->recipient);
	}
	rep->n_events = w;
}

/* Walk the blocks of one delivery-status body. */
static unsigned parse_body(struct det_ctx *c, const char *body, size_t len)
{
	struct dsn_msg dm = { "", 0 };
	const char *p = body, *end = body + len;
	unsigned before = c->rep->n_events;

	/* first pass: per-message fields anywhere outside recipient blocks */
	while (p < end) {
		while (p < end && (*p == '\n' || *p == ' ' || *p == '\t'))
			p++;
		const char *b = p;
		const char *e = p;
		/* block ends at a blank line or where the next recipient starts */
		while (e < end) {
			const char *nl = memchr(e, '\n', (size_t)(end - e));
			const char *le = nl ? nl : end;
			if (le == e)
				break;
			if (e != b && starts_next_recipient(b, e, (size_t)(le - e)))
				break;
			e = nl ? nl + 1 : end;
		}
		size_t bl = (size_t)(e - b);
		if (bl) {
			struct mime_hdrs h;
			mime_hdrs_init(&h, b, bl);
			if (is_recipient_block(&h)) {
				read_message_fields(&h, &dm);   /* some MTAs put them here */
				read_recipient(c, &h, &dm);
			} else {
				read_message_fields(&h, &dm);
			}
		}
		p = e;
		if (p < end && *p == '\n')
			p++;
	}
	dedupe(c->rep, before);
	/* per-message fields seen after a recipient block still apply */
	for (unsigned i = before; i < c->rep->n_events; i++) {
		struct bw_event *ev = &c->rep->events[i];
		if (!ev->reporting_mta[0])
			bw_strlcpy(ev->reporting_mta, dm.reporting_mta, sizeof(ev->reporting_mta));
		if (!ev->time)
			ev->time = dm.arrival;
	}
	return c->rep->n_events - before;
}

/* A Final-Recipient that is no address (a mailbox file, an X.400 name):
 * the human-readable part names the address; take it from there. */
static void name_from_text(struct det_ctx *c, unsigned from)
{
	struct bw_report *rep = c->rep;
	unsigned end = rep->n_events, missing = 0;
	for (unsigned i = from; i < end; i++)
		missing += !rep->events[i].recipient[0];
	if (!missing)
		return;
	det_scan(c, c->text, c->text_end, "rfc3464");
	unsigned k = end;
	for (unsigned i = from; i < end && k < rep->n_events; i++) {
		struct bw_event *ev = &rep->events[i];
		if (ev->recipient[0])
			continue;
		const struct bw_event *src = &rep->events[k];
		memcpy(ev->recipient, src->recipient, sizeof(ev->recipient));
		if (!ev->diagnostic[0])
			memcpy(ev->diagnostic, src->diagnostic, sizeof(ev->diagnostic));
		report_trace(rep, "rfc3464: recipient %s from the text (%s)", ev->recipient,
			     rep->events[k].matched);
		k++;
	}
	rep->n_events = end;
}

/*
 * The one recipient of a DSN whose Diagnostic-Code names no reply (a local
 * mailer's exit status "X-Unix; 77", or nothing): the notice's session
 * transcript quotes the reply ("550 5.0.0 <a@b>... Insufficient
 * permission", "<<< 421").  The last failure reply there gives the reply
 * code, and its status a status that was only x.0.0; the diagnostic and the
 * reason stay as the DSN has them.  (With several recipients the transcript
 * could be anyone's.)
 */
static void reply_from_transcript(struct det_ctx *c, struct bw_event *ev)
{
	if (ev->reply_code[0] || !c->text)
		return;
	const char *end = c->text_end;
	const char *t = bw_memcasemem(c->text, (size_t)(end - c->text), "transcript of session follows");
	if (!t)
		return;
	const char *last = NULL, *last_end = NULL;
	for (const char *p = memchr(t, '\n', (size_t)(end - t)); p && p + 1 < end;) {
		const char *ln = p + 1;
		const char *le = memchr(ln, '\n', (size_t)(end - ln));
		if (!le)
			le = end;
		if (le == ln || (le == ln + 1 && *ln == '\r'))
			break;              /* the transcript ends at a blank line */
		const char *q = ln;
		if (le - q > 4 && memcmp(q, "<<< ", 4) == 0)
			q += 4;
		char rc[4];
		if ((*q == '4' || *q == '5') && reply_find(q, (size_t)(le - q) < 4 ? (size_t)(le - q) : 4, rc)) {
			last = q;
			last_end = le;
		}
		p = le < end ? le : NULL;
	}
	if (!last)
		return;
	memcpy(ev->reply_code, last, 3);
	ev->reply_code[3] = '\0';
	char st[BW_STATUS_MAX];
	if (ev->status[0] && strcmp(ev->status + 1, ".0.0") == 0 &&
	    status_find(last, (size_t)(last_end - last), st, sizeof(st)) && st[0] == ev->status[0] &&
	    strcmp(st + 1, ".0.0") != 0)
		bw_strlcpy(ev->status, st, sizeof(ev->status));
	report_trace(c->rep, "rfc3464: reply %s from the session transcript: %.*s", ev->reply_code,
		     (int)(last_end - last), last);
}

bool det_dsn(struct det_ctx *c)
{
	const struct mime *m = c->mime;
	unsigned found = 0;
	bool had_part = false;
	for (unsigned i = 0; i < m->n_parts; i++) {
		const struct mime_part *pt = &m->parts[i];
		if (!(pt->kind & MIME_K_DSN))
			continue;
		had_part = true;
		report_trace(c->rep, "rfc3464: %s part %u", pt->type, i);
		found += parse_body(c, pt->body, pt->body_len);
	}
	if (!had_part) {
		/* a text part that carries the DSN fields inline */
		for (unsigned i = 0; i < m->n_parts && !found; i++) {
			const struct mime_part *pt = &m->parts[i];
			if (!(pt->kind & MIME_K_TEXT) || (pt->kind & (MIME_K_RFC822_HEADERS | MIME_K_HTML)))
				continue;
			const char *fr = bw_memcasemem(pt->body, pt->body_len, "\nFinal-Recipient:");
			if (!fr)
				continue;
			size_t vl;
			const char *rest = fr + 1;
			size_t rl = pt->body_len - (size_t)(rest - pt->body);
			if (!mime_header_raw(rest, rl, "Status", &vl) && !mime_header_raw(rest, rl, "Action", &vl))
				continue;
			/* start at the per-message block when there is one */
			const char *start = bw_memcasemem(pt->body, (size_t)(fr - pt->body), "Reporting-MTA:");
			if (!start)
				start = rest;
			report_trace(c->rep, "rfc3464: DSN fields inline in %s part %u", pt->type, i);
			found += parse_body(c, start, pt->body_len - (size_t)(start - pt->body));
		}
	}
	if (found)
		name_from_text(c, c->rep->n_events - found);
	if (found == 1)
		reply_from_transcript(c, &c->rep->events[c->rep->n_events - 1]);
	return found > 0;
}
