/*
 * arf.c - RFC 5965 abuse feedback reports (complaints).
 *
 * The complained-about recipient is Original-Rcpt-To when the report has it,
 * else the To of the returned message.
 */
#include "config.h"

#include <string.h>

#include "date.h"
#include "detect.h"
#include "util.h"

/* Per-report fields shared by every complained-about recipient. */
static void fill_report(const struct det_ctx *c, struct bw_event *ev, const char *hdr, size_t hl)
{
	char v[BW_DIAG_MAX];
	(void)c;
	ev->reason = BW_R_FEEDBACK;
	bw_strlcpy(ev->action, "failed", sizeof(ev->action));
	if (!hdr)
		return;
	if (mime_header(hdr, hl, "Feedback-Type", v, sizeof(v))) {
		for (char *p = v; *p; p++)
			*p = (char)bw_lower((unsigned char)*p);
		bw_strlcpy(ev->feedback_type, v, sizeof(ev->feedback_type));
	}
	if (mime_header(hdr, hl, "Reporting-MTA", v, sizeof(v))) {
		const char *s = strchr(v, ';');
		bw_strlcpy(ev->reporting_mta, s ? s + 1 + (s[1] == ' ') : v, sizeof(ev->reporting_mta));
	}
	if (mime_header(hdr, hl, "Arrival-Date", v, sizeof(v)) ||
	    mime_header(hdr, hl, "Received-Date", v, sizeof(v)))
		ev->time = bw_parse_date(v);
	if (mime_header(hdr, hl, "User-Agent", v, sizeof(v)))
		snprintf(ev->diagnostic, sizeof(ev->diagnostic), "feedback report from %s", v);
}

/* One event per Original-Rcpt-To line of the report; returns how many. */
static unsigned each_rcpt_to(struct det_ctx *c, const char *hdr, size_t hl)
{
	unsigned n = 0;
	const char *p = hdr, *end = hdr + hl;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		char a[BW_ADDR_MAX + 1];
		if (bw_prefixcase(p, (size_t)(le - p), "Original-Rcpt-To:") &&
		    addr_extract(p + 17, (size_t)(le - p - 17), a, sizeof(a))) {
			bool dup = false;
			for (unsigned i = 0; i < c->rep->n_events; i++)
				dup = dup || strcasecmp(c->rep->events[i].recipient, a) == 0;
			struct bw_event *ev = dup ? NULL : det_event(c, "arf");
			if (ev) {
				fill_report(c, ev, hdr, hl);
				bw_strlcpy(ev->recipient, a, sizeof(ev->recipient));
				bw_strlcpyn(ev->matched, sizeof(ev->matched), p, (size_t)(le - p));
				n++;
			}
		}
		p = nl ? nl + 1 : end;
	}
	return n;
}

static void complaint_from(struct det_ctx *c, const struct mime_part *fb)
{
	char v[BW_DIAG_MAX], addr[BW_ADDR_MAX + 1] = "";
	const char *hdr = fb ? fb->body : NULL;
	size_t hl = fb ? fb->body_len : 0;

	if (hdr && each_rcpt_to(c, hdr, hl)) {
		report_trace(c->rep, "arf: %u recipient%s from Original-Rcpt-To", c->rep->n_events,
			     c->rep->n_events == 1 ? "" : "s");
		return;
	}
	struct bw_event *ev = det_event(c, "arf");
	if (!ev)
		return;
	fill_report(c, ev, hdr, hl);
	if (hdr && mime_header(hdr, hl, "Removal-Recipient", v, sizeof(v)) &&
	    addr_extract(v, strlen(v), addr, sizeof(addr))) {
		snprintf(ev->matched, sizeof(ev->matched), "Removal-Recipient: %s", v);
	} else if (c->orig_hdr && mime_hdrs_get(c->orig_h, "To", v, sizeof(v)) &&
		   addr_extract(v, strlen(v), addr, sizeof(addr))) {
		snprintf(ev->matched, sizeof(ev->matched), "To: %s (returned message)", v);
	}
	bw_strlcpy(ev->recipient, addr, sizeof(ev->recipient));
	report_trace(c->rep, "arf: feedback type %s, recipient %s (%s)",
		     ev->feedback_type[0] ? ev->feedback_type : "(none)",
		     addr[0] ? addr : "(none)", ev->matched);
}

/*
 * Complaint loops that are not RFC 5965: the complained-about message comes
 * back whole, and a header the provider adds to it names the recipient
 * (Microsoft's JMRP: X-HmXmrOriginalRecipient).
 */
static const char *const complaint_headers[] = { "X-HmXmrOriginalRecipient" };

static bool provider_complaint(struct det_ctx *c)
{
	const struct mime *m = c->mime;
	char uv[64];
	/* Apple Mail's one-click unsubscribe: a message from the recipient */
	if (mime_hdrs_get(c->top_h, "X-Apple-Unsubscribe", uv, sizeof(uv)) &&
	    strcasecmp(uv, "true") == 0 && c->from[0]) {
		struct bw_event *ev = det_event(c, "arf");
		if (!ev)
			return true;
		fill_report(c, ev, NULL, 0);
		bw_strlcpy(ev->feedback_type, "opt-out", sizeof(ev->feedback_type));
		bw_strlcpy(ev->recipient, c->from, sizeof(ev->recipient));
		snprintf(ev->matched, sizeof(ev->matched), "X-Apple-Unsubscribe: %s", uv);
		report_trace(c->rep, "arf: unsubscribe request (X-Apple-Unsubscribe) from %s", c->from);
		return true;
	}
	for (unsigned i = 1; i < m->n_parts; i++) {
		const struct mime_part *pt = &m->parts[i];
		if (!pt->is_message)
			continue;
		for (size_t k = 0; k < ARRAY_LEN(complaint_headers); k++) {
			char v[BW_ADDR_MAX * 2], a[BW_ADDR_MAX + 1];
			if (!det_part_header(c, pt, complaint_headers[k], v, sizeof(v)) ||
			    !addr_extract(v, strlen(v), a, sizeof(a)))
				continue;
			struct bw_event *ev = det_event(c, "arf");
			if (!ev)
				return true;
			fill_report(c, ev, NULL, 0);
			bw_strlcpy(ev->feedback_type, "abuse", sizeof(ev->feedback_type));
			bw_strlcpy(ev->recipient, a, sizeof(ev->recipient));
			snprintf(ev->matched, sizeof(ev->matched), "%s: %s", complaint_headers[k], v);
			report_trace(c->rep, "arf: provider complaint (%s) about %s", complaint_headers[k], a);
			return true;
		}
	}
	return false;
}

bool det_arf(struct det_ctx *c)
{
	const struct mime *m = c->mime;
	for (unsigned i = 0; i < m->n_parts; i++) {
		const struct mime_part *pt = &m->parts[i];
		if (pt->kind & MIME_K_FEEDBACK) {
			report_trace(c->rep, "arf: message/feedback-report part %u", i);
			complaint_from(c, pt);
			return true;
		}
	}
	return provider_complaint(c);
}
