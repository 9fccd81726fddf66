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

static void complaint_from(struct det_ctx *c, const struct mime_part *fb)
{
	char v[BW_DIAG_MAX], addr[BW_ADDR_MAX + 1] = "";
	const char *hdr = fb ? fb->body : NULL;
	size_t hl = fb ? fb->body_len : 0;

	struct bw_event *ev = det_event(c, "arf");
	if (!ev)
		return;
	ev->reason = BW_R_FEEDBACK;
	snprintf(ev->action, sizeof(ev->action), "%s", "failed");
	if (hdr && mime_header(hdr, hl, "Feedback-Type", v, sizeof(v))) {
		for (char *p = v; *p; p++)
			*p = (char)bw_lower((unsigned char)*p);
		snprintf(ev->feedback_type, sizeof(ev->feedback_type), "%s", v);
	}
	if (hdr && mime_header(hdr, hl, "Original-Rcpt-To", v, sizeof(v)) &&
	    addr_extract(v, strlen(v), addr, sizeof(addr))) {
		snprintf(ev->matched, sizeof(ev->matched), "Original-Rcpt-To: %s", v);
	} else if (hdr && mime_header(hdr, hl, "Removal-Recipient", v, sizeof(v)) &&
		   addr_extract(v, strlen(v), addr, sizeof(addr))) {
		snprintf(ev->matched, sizeof(ev->matched), "Removal-Recipient: %s", v);
	} else if (c->orig_hdr && mime_header(c->orig_hdr, c->orig_hdr_len, "To", v, sizeof(v)) &&
		   addr_extract(v, strlen(v), addr, sizeof(addr))) {
		snprintf(ev->matched, sizeof(ev->matched), "To: %s (returned message)", v);
	}
	snprintf(ev->recipient, sizeof(ev->recipient), "%s", addr);
	if (hdr && mime_header(hdr, hl, "Reporting-MTA", v, sizeof(v))) {
		const char *s = strchr(v, ';');
		snprintf(ev->reporting_mta, sizeof(ev->reporting_mta), "%s", s ? s + 1 + (s[1] == ' ') : v);
	}
	if (hdr && mime_header(hdr, hl, "Arrival-Date", v, sizeof(v)))
		ev->time = bw_parse_date(v);
	if (hdr && mime_header(hdr, hl, "User-Agent", v, sizeof(v)))
		snprintf(ev->diagnostic, sizeof(ev->diagnostic), "feedback report from %s", v);
	report_trace(c->rep, "arf: feedback type %s, recipient %s (%s)",
		     ev->feedback_type[0] ? ev->feedback_type : "(none)",
		     addr[0] ? addr : "(none)", ev->matched);
}

bool det_arf(struct det_ctx *c)
{
	const struct mime *m = c->mime;
	for (unsigned i = 0; i < m->n_parts; i++) {
		const struct mime_part *pt = &m->parts[i];
		if (strcmp(pt->type, "message/feedback-report") == 0) {
			report_trace(c->rep, "arf: message/feedback-report part %u", i);
			complaint_from(c, pt);
			return true;
		}
	}
	return false;
}
