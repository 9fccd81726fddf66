/*
 * heuristic.c - the fallback for bounces no rule knows.
 *
 * A message looks like a bounce when its sender is a mailer daemon or
 * postmaster, or its subject says delivery failed.  Then an address on a line
 * that carries a failure phrase or an SMTP error code (or on the line just
 * before one) is a failed recipient; the bounce's own From and To are not.
 */
#include "config.h"

#include <string.h>

#include "detect.h"
#include "reason.h"
#include "status.h"
#include "util.h"

static const char *const bounce_senders[] = {
	"mailer-daemon", "postmaster", "mail delivery", "mail.delivery", "maildelivery",
	"mail administrator", "mailadmin", "mail-daemon", "bounce", "nobody@", "noreply-dmarc",
	"mdaemon", "mail system", "smtp gateway", "internet mail delivery",
};

static const char *const bounce_subjects[] = {
	"undeliver", "undelivered", "delivery fail", "delivery status notification",
	"returned mail", "failure notice", "mail delivery", "non-delivery", "nondeliverable",
	"non delivery", "could not be delivered", "delivery problem", "delivery error",
	"not delivered", "mail system error", "rejected", "returned to sender", "delivery notification",
	"delivery report", "unzustellbar", "non remis", "non recapitabile", "no entregado",
	"onbestelbaar", "warning: could not send", "message not delivered",
};

static bool any_in(const char *v, const char *const *list, size_t n)
{
	size_t len = strlen(v);
	for (size_t i = 0; i < n; i++)
		if (bw_memcasemem(v, len, list[i]))
			return true;
	return false;
}

static bool looks_like_bounce(const struct det_ctx *c, const char **why)
{
	char v[64];
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

static bool failure_line(const char *p, size_t n)
{
	struct reason_match m;
	char code[BW_STATUS_MAX], rc[4];
	if (status_find(p, n, code, sizeof(code)) && code[0] != '2')
		return true;
	if (reply_find(p, n, rc) && rc[0] != '2')
		return true;
	return reason_from_text(p, n, &m);
}

static bool own_address(const struct det_ctx *c, const char *a)
{
	if (strcasecmp(a, c->from) == 0 || strcasecmp(a, c->to) == 0)
		return true;
	return bw_prefixcase(a, strlen(a), "postmaster@") || bw_prefixcase(a, strlen(a), "mailer-daemon@");
}

static const char *text_stop(const struct det_ctx *c)
{
	static const char *const stops[] = {
		"--- below this line is a copy", "------ this is a copy of the message",
		"----- original message -----", "original message follows", "\nreturn-path:",
		"\nreceived: from", "\nmessage-id:",
	};
	const char *e = c->text + c->text_len;
	for (size_t i = 0; i < ARRAY_LEN(stops); i++) {
		const char *p = bw_memcasemem(c->text, (size_t)(e - c->text), stops[i]);
		if (p && p < e)
			e = p;
	}
	return e;
}

bool det_heuristic(struct det_ctx *c)
{
	const char *why;
	if (!looks_like_bounce(c, &why))
		return false;
	report_trace(c->rep, "heuristic: looks like a bounce (%s)", why);
	const char *p = c->text, *end = text_stop(c);
	const char *prev = NULL, *prev_end = NULL;
	unsigned n = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		size_t ll = (size_t)(le - p);
		if (ll && failure_line(p, ll)) {
			char a[BW_ADDR_MAX + 1];
			const char *src = p, *src_end = le;
			const char *q = addr_extract(p, ll, a, sizeof(a));
			while (q && own_address(c, a))
				q = addr_extract(q, (size_t)(le - q), a, sizeof(a));
			if (!q && prev) {
				src = prev;
				src_end = prev_end;
				q = addr_extract(prev, (size_t)(prev_end - prev), a, sizeof(a));
				if (q && own_address(c, a))
					q = NULL;
			}
			if (q) {
				bool dup = false;
				for (unsigned i = 0; i < c->rep->n_events; i++)
					dup = dup || strcmp(c->rep->events[i].recipient, a) == 0;
				if (!dup) {
					struct bw_event *ev = det_event(c, "heuristic");
					if (!ev)
						break;
					snprintf(ev->recipient, sizeof(ev->recipient), "%s", a);
					det_set_diagnostic(ev, p, ll);
					bw_strlcpyn(ev->matched, sizeof(ev->matched), src, (size_t)(src_end - src));
					report_trace(c->rep, "heuristic: %s on a failure line: %s", a, ev->matched);
					n++;
				}
			}
		}
		if (ll) {
			prev = p;
			prev_end = le;
		}
		p = nl ? nl + 1 : end;
	}
	if (n == 0 && c->orig_hdr) {
		/* nothing in the text: the returned message's recipient failed */
		char v[BW_ADDR_MAX * 2], a[BW_ADDR_MAX + 1];
		if (mime_header(c->orig_hdr, c->orig_hdr_len, "To", v, sizeof(v)) &&
		    addr_extract(v, strlen(v), a, sizeof(a))) {
			struct bw_event *ev = det_event(c, "heuristic");
			if (ev) {
				snprintf(ev->recipient, sizeof(ev->recipient), "%s", a);
				snprintf(ev->matched, sizeof(ev->matched), "To: %s (returned message)", v);
				/* the first failure line of the text is the best diagnostic we have */
				const char *q = c->text;
				while (q < end) {
					const char *nl = memchr(q, '\n', (size_t)(end - q));
					const char *le = nl ? nl : end;
					if (le > q && failure_line(q, (size_t)(le - q))) {
						det_set_diagnostic(ev, q, (size_t)(le - q));
						break;
					}
					q = nl ? nl + 1 : end;
				}
				report_trace(c->rep, "heuristic: no address in the text; the returned message was to %s", a);
				n++;
			}
		}
	}
	return n > 0;
}
