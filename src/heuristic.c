/*
 * heuristic.c - finding failed recipients in free text, and the fallback
 * detector for bounces no rule knows.
 *
 * det_scan() is the one engine every free-form detector uses.  It reads the
 * report text line by line and judges each address by where it stands:
 *
 *   - alone on its line (a list item: "  <a@b>", "* a@b", "a@b on <date>",
 *     "<a@b>:" as qmail and Postfix write it, "a@b... User unknown");
 *   - after a label that names a recipient ("Recipient:", "addressed to",
 *     "Error-for:", "RCPT TO:", "(generated from ...)");
 *   - on a line that carries a failure phrase or an SMTP error code.
 *
 * Addresses that belong to the bounce's own envelope (its From and To, the
 * returned message's sender, postmaster and mailer-daemon boxes in prose)
 * never count, nor do header lines of a quoted message.  The diagnostic of a
 * recipient is the rest of its line and the lines under it, up to a blank
 * line or the next recipient.
 *
 * det_heuristic() applies det_scan() to any message that looks like a bounce
 * (a mailer-daemon sender, a delivery-failure subject, a null return path).
 */
#include "config.h"

#include <string.h>

#include "detect.h"
#include "reason.h"
#include "status.h"
#include "util.h"

/* Senders and subjects of bounces (lower-case, matched anywhere). */
static const char *const bounce_senders[] = {
	"mailer-daemon", "postmaster", "mail delivery", "mail.delivery", "maildelivery",
	"mail administrator", "mailadmin", "mail-daemon", "mailerdaemon", "nobody@",
	"mdaemon", "mail system", "smtp gateway", "internet mail delivery", "ndr administrator",
	"post_master", "delivery subsystem",
};

static const char *const bounce_subjects[] = {
	"undeliver", "delivery fail", "delivery status notification", "returned mail",
	"failure notice", "mail delivery", "non-delivery", "nondeliverable", "non delivery",
	"could not be delivered", "delivery problem", "delivery error", "not delivered",
	"mail system error", "returned to sender", "delivery notification", "delivery report",
	"unzustellbar", "non remis", "non recapitabile", "no entregado", "onbestelbaar",
	"could not send", "message not delivered", "failed mail", "delivery warning",
	"mail failure", "error sending", "permanent delivery", "processing error", "nameserver error",
	"unable to deliver", "rejected mail", "delivery failure",
};

/* Words before an address that say it is the recipient (lower-case; the
 * label must end right before the address, blanks and brackets aside). */
static const char *const labels[] = {
	"recipient:", "recipients:", "recipient", "address:", "address", "addressed to",
	"addressed to:", "to:", "to", "for", "error-for:", "userid:", "user:", "mailbox",
	"generated from", "expanded from", "originally addressed to", "deliver to",
	"delivery to", "attempts:", "rcpt to:", "smtp=", "smtp:", "undeliverable to",
	"delivered to", "for address", "for address:", "destinataire:", "empfänger:",
	"received from", "account", "returned permanent errors:", "failed:",
};

/* Header names that never carry the failed recipient when a bounce quotes
 * them (the returned message's headers, a transcript's MAIL FROM). */
static const char *const quoted_headers[] = {
	"received", "message-id", "from", "return-path", "reply-to", "sender", "errors-to",
	"in-reply-to", "references", "dkim-signature", "authentication-results",
	"received-spf", "arc-", "list-", "x-", "mail from", "envelope-from", "resent-",
	"original-mail-from", "content-", "cc", "date", "subject", "mime-version", "to",
};

static bool any_in(const char *v, const char *const *list, size_t n)
{
	size_t len = strlen(v);
	for (size_t i = 0; i < n; i++)
		if (bw_memcasemem(v, len, list[i]))
			return true;
	return false;
}

bool det_looks_like_bounce(const struct det_ctx *c, const char **why)
{
	char v[64];
	size_t vl;
	if (mime_header_raw(c->top->hdr, c->top->hdr_len, "X-Failed-Recipients", &vl)) {
		*why = "an X-Failed-Recipients header";
		return true;
	}
	if (any_in(c->from_raw, bounce_senders, ARRAY_LEN(bounce_senders))) {
		*why = "a mailer-daemon sender";
		return true;
	}
	if (any_in(c->subject, bounce_subjects, ARRAY_LEN(bounce_subjects))) {
		*why = "a delivery-failure subject";
		return true;
	}
	if (mime_header(c->top->hdr, c->top->hdr_len, "Return-Path", v, sizeof(v)) && strcmp(v, "<>") == 0) {
		*why = "a null return path";
		return true;
	}
	return false;
}

/* Does the line say something failed (a code, or a phrase of the table)? */
bool det_failure_line(const char *p, size_t n)
{
	struct reason_match m;
	char code[BW_STATUS_MAX], rc[4];
	if (status_find(p, n, code, sizeof(code)) && code[0] != '2')
		return true;
	if (reply_find(p, n, rc) && rc[0] != '2')
		return true;
	return reason_from_text(p, n, &m);
}

static bool is_service_box(const char *a)
{
	size_t n = strlen(a);
	return bw_prefixcase(a, n, "postmaster@") || bw_prefixcase(a, n, "mailer-daemon@") ||
	       bw_prefixcase(a, n, "mail-daemon@") || bw_prefixcase(a, n, "mailerdaemon@");
}

/* Addresses of the bounce's own envelope and of the returned message's sender. */
bool det_own_address(const struct det_ctx *c, const char *a)
{
	if ((c->from[0] && strcasecmp(a, c->from) == 0) || (c->to[0] && strcasecmp(a, c->to) == 0))
		return true;
	return c->orig_from[0] && strcasecmp(a, c->orig_from) == 0;
}

/* Where the report ends: the returned message or its headers begin. */
const char *det_report_end(const char *s, const char *e)
{
	static const char *const stops[] = {
		"--- below this line is a copy", "------ this is a copy of the message",
		"----- original message -----", "original message follows", "returned mail follows",
		"--- enclosed are the original", "----- the header of the original message",
		"original message headers", "message headers follow", "------ original message",
		"-----original message-----", "--- original message", "\nreturn-path:",
		"\nreceived: from", "\nreceived: by", "\nmessage-id:", "original message is attached",
		"unsent message below", "----- message text follows -----", "--- the header of the original",
		"the original message was:", "header of original message", "original message header",
	};
	for (size_t i = 0; i < ARRAY_LEN(stops); i++) {
		const char *p = bw_memcasemem(s, (size_t)(e - s), stops[i]);
		if (p && p < e)
			e = p;
	}
	return e;
}

static bool is_blank(const char *p, const char *le)
{
	for (; p < le; p++)
		if (!bw_isspace((unsigned char)*p))
			return false;
	return true;
}

/* Is the line a header of a quoted message (a name we never take)? */
static bool quoted_header_line(const char *p, const char *le)
{
	while (p < le && (*p == '>' || *p == ' ' || *p == '\t'))
		p++;
	size_t n = (size_t)(le - p);
	const char *colon = memchr(p, ':', n);
	if (!colon || colon == p || colon - p > 40)
		return false;
	for (const char *q = p; q < colon; q++)
		if (!(bw_isalpha((unsigned char)*q) || bw_isdigit((unsigned char)*q) || *q == '-' || *q == ' '))
			return false;
	for (size_t i = 0; i < ARRAY_LEN(quoted_headers); i++) {
		size_t hl = strlen(quoted_headers[i]);
		if (!bw_prefixcase(p, (size_t)(colon - p), quoted_headers[i]))
			continue;
		if (quoted_headers[i][hl - 1] == '-' || (size_t)(colon - p) == hl)
			return true;
	}
	return false;
}

/* Does the text before the address (from line start to b) end with a label? */
static bool has_label(const char *ls, const char *b)
{
	const char *e = b;
	while (e > ls && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '<' || e[-1] == '"' ||
			  e[-1] == '\'' || e[-1] == '[' || e[-1] == '(' || e[-1] == '`'))
		e--;
	for (size_t i = 0; i < ARRAY_LEN(labels); i++) {
		size_t n = strlen(labels[i]);
		if ((size_t)(e - ls) < n)
			continue;
		const char *w = e - n;
		if (!bw_prefixcase(w, n, labels[i]))
			continue;
		/* a whole word: "to" but not "into" */
		if (w > ls && bw_isalpha((unsigned char)w[-1]))
			continue;
		return true;
	}
	return false;
}

/* Is the address the only thing on its line (a list item)?  b..a_end is the
 * address as it stands in the line. */
static bool list_item(const char *ls, const char *le, const char *b, const char *a_end)
{
	for (const char *p = ls; p < b; p++)
		if (!(*p == ' ' || *p == '\t' || *p == '<' || *p == '"' || *p == '*' || *p == '-' ||
		      *p == '>' || *p == '\'' || *p == '[' || *p == '(' || *p == 0x7f ||
		      (unsigned char)*p >= 0x80))
			return false;
	const char *p = a_end;
	while (p < le && (*p == '>' || *p == '"' || *p == '\'' || *p == ']' || *p == ')' || *p == ' ' ||
			  *p == '\t'))
		p++;
	if (p >= le || *p == ':' || *p == '(' || *p == ',' || *p == ';' || *p == '.' || *p == '=')
		return true;
	/* Exchange: "a@b on Fri, 20 Jul 2001 ..." */
	return bw_prefixcase(p, (size_t)(le - p), "on ") || bw_prefixcase(p, (size_t)(le - p), "<mailto:");
}

struct cand {
	const char *line, *line_end;   /* the line it stands on */
	const char *after;             /* just past the address */
};

static struct bw_event *find_event(struct det_ctx *c, const char *a, unsigned from)
{
	for (unsigned i = from; i < c->rep->n_events; i++)
		if (strcasecmp(c->rep->events[i].recipient, a) == 0)
			return &c->rep->events[i];
	return NULL;
}

/* Append p[0..n) to buf (a space between pieces), trimmed. */
static void diag_append(char *buf, size_t bsz, size_t *bl, const char *p, size_t n)
{
	while (n && (*p == ' ' || *p == '\t' || *p == ':' || *p == '>' || *p == '"' || *p == ')' ||
		     *p == ',' || *p == '.'))
		p++, n--;
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if (!n || *bl + 2 >= bsz)
		return;
	if (*bl)
		buf[(*bl)++] = ' ';
	size_t take = n < bsz - *bl - 1 ? n : bsz - *bl - 1;
	memcpy(buf + *bl, p, take);
	*bl += take;
	buf[*bl] = '\0';
}

/* Is the line at p one of the candidates' lines? */
static bool is_cand_line(const struct cand *cv, unsigned n, const char *p)
{
	for (unsigned i = 0; i < n; i++)
		if (cv[i].line == p)
			return true;
	return false;
}

/* The diagnostic of one recipient: the rest of its line and the lines under
 * it up to a blank line or the next candidate. */
static void cand_diag(const struct cand *cv, unsigned n, unsigned k, const char *e, char *buf, size_t bsz)
{
	size_t bl = 0;
	buf[0] = '\0';
	const struct cand *cd = &cv[k];
	diag_append(buf, bsz, &bl, cd->after, (size_t)(cd->line_end - cd->after));
	const char *p = cd->line_end < e ? cd->line_end + 1 : e;
	while (p < e) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		const char *le = nl ? nl : e;
		if (is_blank(p, le) || is_cand_line(cv, n, p))
			break;
		diag_append(buf, bsz, &bl, p, (size_t)(le - p));
		p = nl ? nl + 1 : e;
	}
	/* a line that names the address and says why ("552 Quota violation for
	 * a@b") says more than a bare list item */
	if (!det_failure_line(buf, bl) && det_failure_line(cd->line, (size_t)(cd->line_end - cd->line))) {
		bl = 0;
		buf[0] = '\0';
		diag_append(buf, bsz, &bl, cd->line, (size_t)(cd->line_end - cd->line));
	}
}

/* The first line of s..e with an SMTP error (a transcript's "<<< 550 ..."),
 * preferring one that names addr. */
static bool transcript_line(const char *s, const char *e, const char *addr, const char **ls, const char **le_out)
{
	const char *first = NULL, *first_end = NULL;
	for (const char *p = s; p < e;) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		const char *le = nl ? nl : e;
		char rc[4];
		const char *q = p;
		while (q < le && (*q == ' ' || *q == '\t' || *q == '<'))
			q++;
		if (reply_find(q, (size_t)(le - q), rc) && (rc[0] == '4' || rc[0] == '5') &&
		    memcmp(q, rc, 3) == 0) {
			if (bw_memcasemem(p, (size_t)(le - p), addr)) {
				*ls = q;
				*le_out = le;
				return true;
			}
			if (!first) {
				first = q;
				first_end = le;
			}
		}
		p = nl ? nl + 1 : e;
	}
	if (!first)
		return false;
	*ls = first;
	*le_out = first_end;
	return true;
}

#define MAX_CANDS 64

unsigned det_scan(struct det_ctx *c, const char *s, const char *e, const char *detector)
{
	struct cand cv[MAX_CANDS];
	char addrs[MAX_CANDS][BW_ADDR_MAX + 1];
	unsigned n = 0;
	const char *prev = NULL, *prev_end = NULL;

	for (const char *p = s; p < e && n < MAX_CANDS;) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		const char *le = nl ? nl : e;
		if (!quoted_header_line(p, le) && memchr(p, '@', (size_t)(le - p))) {
			bool fail = det_failure_line(p, (size_t)(le - p));
			const char *q = p;
			char a[BW_ADDR_MAX + 1];
			const char *b;
			while (n < MAX_CANDS && (q = addr_extract_at(q, (size_t)(le - q), a, sizeof(a), &b))) {
				if (b - p >= 7 && bw_prefixcase(b - 7, 7, "mailto:"))
					continue;
				bool item = list_item(p, le, b, q), label = has_label(p, b);
				/* a list item is a recipient whoever it is (a double bounce
				 * lists the sender itself); in prose, the bounce's own
				 * addresses and postmaster ("please contact postmaster@...")
				 * are not */
				if (!item && (det_own_address(c, a) || (is_service_box(a) && !label)))
					continue;
				if (!(item || label || fail))
					continue;
				bool dup = false;
				for (unsigned i = 0; i < n && !dup; i++)
					dup = strcasecmp(addrs[i], a) == 0;
				if (dup)
					continue;
				snprintf(addrs[n], sizeof(addrs[n]), "%s", a);
				cv[n].line = p;
				cv[n].line_end = le;
				cv[n].after = q;
				n++;
			}
		}
		if (!is_blank(p, le)) {
			prev = p;
			prev_end = le;
		}
		p = nl ? nl + 1 : e;
	}
	(void)prev;
	(void)prev_end;

	unsigned added = 0;
	unsigned before = c->rep->n_events;
	for (unsigned k = 0; k < n; k++) {
		if (find_event(c, addrs[k], before))
			continue;
		struct bw_event *ev = det_event(c, detector);
		if (!ev)
			break;
		char diag[BW_DIAG_MAX];
		snprintf(ev->recipient, sizeof(ev->recipient), "%s", addrs[k]);
		bw_strlcpyn(ev->matched, sizeof(ev->matched), cv[k].line, (size_t)(cv[k].line_end - cv[k].line));
		cand_diag(cv, n, k, e, diag, sizeof(diag));
		const char *ts, *te;
		if (!det_failure_line(diag, strlen(diag)) && transcript_line(s, e, addrs[k], &ts, &te)) {
			size_t bl = strlen(diag);
			diag_append(diag, sizeof(diag), &bl, ts, (size_t)(te - ts));
		}
		det_set_diagnostic(ev, diag, strlen(diag));
		report_trace(c->rep, "%s: %s on: %s", detector, ev->recipient, ev->matched);
		added++;
	}
	return added;
}

/* X-Failed-Recipients (Exim, Google): the list, with diagnostics from the text. */
unsigned det_failed_header(struct det_ctx *c, const char *detector)
{
	char v[BW_DIAG_MAX], a[BW_ADDR_MAX + 1];
	if (!mime_header(c->top->hdr, c->top->hdr_len, "X-Failed-Recipients", v, sizeof(v)))
		return 0;
	unsigned before = c->rep->n_events, added = 0;
	/* the text may name them with their diagnostics */
	const char *end = det_report_end(c->text, c->text + c->text_len);
	det_scan(c, c->text, end, detector);
	const char *q = v;
	unsigned keep = before;
	/* keep only scanned events the header names, then add the ones the text missed */
	for (unsigned i = before; i < c->rep->n_events; i++) {
		if (!bw_memcasemem(v, strlen(v), c->rep->events[i].recipient))
			continue;
		if (keep != i)
			c->rep->events[keep] = c->rep->events[i];
		keep++;
	}
	c->rep->n_events = keep;
	while ((q = addr_extract(q, strlen(q), a, sizeof(a)))) {
		if (find_event(c, a, before))
			continue;
		struct bw_event *ev = det_event(c, detector);
		if (!ev)
			break;
		snprintf(ev->recipient, sizeof(ev->recipient), "%s", a);
		snprintf(ev->matched, sizeof(ev->matched), "X-Failed-Recipients: %s", v);
		/* the first failure line of the report is the best diagnostic we have */
		for (const char *p = c->text; p < end;) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			const char *le = nl ? nl : end;
			if (le > p && det_failure_line(p, (size_t)(le - p))) {
				det_set_diagnostic(ev, p, (size_t)(le - p));
				break;
			}
			p = nl ? nl + 1 : end;
		}
	}
	added = c->rep->n_events - before;
	if (added)
		report_trace(c->rep, "%s: X-Failed-Recipients names %u recipient%s", detector, added,
			     added == 1 ? "" : "s");
	return added;
}

/* Is the returned message a mailing-list post (its To is the list)? */
static bool original_is_list_post(const struct det_ctx *c)
{
	size_t vl;
	return mime_header_raw(c->orig_hdr, c->orig_hdr_len, "List-Id", &vl) ||
	       mime_header_raw(c->orig_hdr, c->orig_hdr_len, "List-Post", &vl) ||
	       mime_header_raw(c->orig_hdr, c->orig_hdr_len, "X-BeenThere", &vl);
}

/* Nothing in the text: the returned message's single recipient failed. */
unsigned det_original_to(struct det_ctx *c, const char *detector)
{
	char v[BW_ADDR_MAX * 2], a[BW_ADDR_MAX + 1];
	if (!c->orig_hdr || original_is_list_post(c) ||
	    !mime_header(c->orig_hdr, c->orig_hdr_len, "To", v, sizeof(v)) ||
	    !addr_extract(v, strlen(v), a, sizeof(a)) || det_own_address(c, a))
		return 0;
	struct bw_event *ev = det_event(c, detector);
	if (!ev)
		return 0;
	snprintf(ev->recipient, sizeof(ev->recipient), "%s", a);
	snprintf(ev->matched, sizeof(ev->matched), "To: %s (returned message)", v);
	const char *end = det_report_end(c->text, c->text + c->text_len);
	for (const char *q = c->text; q < end;) {
		const char *nl = memchr(q, '\n', (size_t)(end - q));
		const char *le = nl ? nl : end;
		if (le > q && det_failure_line(q, (size_t)(le - q))) {
			det_set_diagnostic(ev, q, (size_t)(le - q));
			break;
		}
		q = nl ? nl + 1 : end;
	}
	report_trace(c->rep, "%s: no address in the text; the returned message was to %s", detector, a);
	return 1;
}

bool det_heuristic(struct det_ctx *c)
{
	const char *why;
	if (!det_looks_like_bounce(c, &why))
		return false;
	report_trace(c->rep, "heuristic: looks like a bounce (%s)", why);
	if (det_failed_header(c, "heuristic"))
		return true;
	const char *end = det_report_end(c->text, c->text + c->text_len);
	if (det_scan(c, c->text, end, "heuristic"))
		return true;
	return det_original_to(c, "heuristic") > 0;
}
