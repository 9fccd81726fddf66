/*
 * ses.c - Amazon SES notifications delivered by e-mail.
 *
 * SES reports bounces, complaints and deliveries as JSON, usually wrapped
 * in an SNS envelope whose "Message" member is the notification as a string:
 *
 *   {"notificationType":"Bounce","bounce":{"bouncedRecipients":[
 *      {"emailAddress":"a@b","action":"failed","status":"5.1.1",
 *       "diagnosticCode":"smtp; 550 5.1.1 user unknown"}],
 *    "reportingMTA":"dsn; host","timestamp":"..."},"mail":{...}}
 *
 * Only a body that starts with '{' and names "notificationType" is parsed,
 * so the cost stays with the messages that need it.
 */
#include "config.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "detect.h"
#include "util.h"

#define SES_DETECTOR "lhost:amazonses"

static const char *str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* "dsn; host" -> "host" */
static const char *after_semi(const char *v)
{
	const char *s = strchr(v, ';');
	if (!s)
		return v;
	s++;
	while (*s == ' ')
		s++;
	return s;
}

static struct bw_event *ses_event(struct det_ctx *c, const char *addr, const char *mta)
{
	char a[BW_ADDR_MAX + 1];
	if (!addr || !addr_extract(addr, strlen(addr), a, sizeof(a)))
		return NULL;
	struct bw_event *ev = det_event(c, SES_DETECTOR);
	if (!ev)
		return NULL;
	bw_strlcpy(ev->recipient, a, sizeof(ev->recipient));
	if (mta)
		bw_strlcpy(ev->reporting_mta, after_semi(mta), sizeof(ev->reporting_mta));
	return ev;
}

static unsigned ses_bounce(struct det_ctx *c, json_t *b)
{
	unsigned n = 0;
	size_t i;
	json_t *r;
	const char *mta = str(b, "reportingMTA"), *ts = str(b, "timestamp");
	json_array_foreach(json_object_get(b, "bouncedRecipients"), i, r) {
		struct bw_event *ev = ses_event(c, str(r, "emailAddress"), mta);
		if (!ev)
			continue;
		const char *v;
		if ((v = str(r, "action")))
			bw_strlcpy(ev->action, v, sizeof(ev->action));
		if ((v = str(r, "status")))
			bw_strlcpy(ev->status, v, sizeof(ev->status));
		if ((v = str(r, "diagnosticCode"))) {
			v = after_semi(v);
			det_set_diagnostic(ev, v, strlen(v));
		}
		if (ts)
			ev->time = bw_parse_date(ts);
		snprintf(ev->matched, sizeof(ev->matched), "bouncedRecipients: %s (%s)", ev->recipient,
			 str(b, "bounceType") ? str(b, "bounceType") : "?");
		n++;
	}
	return n;
}

static unsigned ses_complaint(struct det_ctx *c, json_t *b)
{
	unsigned n = 0;
	size_t i;
	json_t *r;
	const char *type = str(b, "complaintFeedbackType"), *ts = str(b, "timestamp");
	json_array_foreach(json_object_get(b, "complainedRecipients"), i, r) {
		struct bw_event *ev = ses_event(c, str(r, "emailAddress"), NULL);
		if (!ev)
			continue;
		ev->reason = BW_R_FEEDBACK;
		bw_strlcpy(ev->action, "failed", sizeof(ev->action));
		bw_strlcpy(ev->feedback_type, type ? type : "abuse", sizeof(ev->feedback_type));
		if (ts)
			ev->time = bw_parse_date(ts);
		snprintf(ev->matched, sizeof(ev->matched), "complainedRecipients: %s", ev->recipient);
		n++;
	}
	return n;
}

static unsigned ses_delivery(struct det_ctx *c, json_t *d)
{
	unsigned n = 0;
	size_t i;
	json_t *r;
	const char *mta = str(d, "reportingMTA"), *resp = str(d, "smtpResponse"), *ts = str(d, "timestamp");
	json_array_foreach(json_object_get(d, "recipients"), i, r) {
		struct bw_event *ev = ses_event(c, json_string_value(r), mta);
		if (!ev)
			continue;
		bw_strlcpy(ev->action, "delivered", sizeof(ev->action));
		if (resp)
			det_set_diagnostic(ev, resp, strlen(resp));
		if (ts)
			ev->time = bw_parse_date(ts);
		snprintf(ev->matched, sizeof(ev->matched), "delivery recipients: %s", ev->recipient);
		n++;
	}
	return n;
}

int det_ses(struct det_ctx *c)
{
	const char *p = c->text, *end = c->text + c->text_len;
	while (p < end && bw_isspace((unsigned char)*p))
		p++;
	if (p >= end || *p != '{' || !bw_memcasemem(p, (size_t)(end - p), "notificationType"))
		return 0;
	/* mailers fold long lines, even inside JSON strings: "\n " is a fold */
	char *flat = xmalloc((size_t)(end - p) + 1);
	size_t fl = 0;
	for (const char *q = p; q < end; q++) {
		if (*q == '\n') {
			if (q + 1 < end && q[1] == ' ')
				q++;
			continue;
		}
		flat[fl++] = *q;
	}
	json_t *root = json_loadb(flat, fl, JSON_DISABLE_EOF_CHECK, NULL);
	free(flat);
	if (!root)
		return 0;
	json_t *note = root;
	const char *inner = str(root, "Message");
	json_t *inner_root = NULL;
	if (inner && (inner_root = json_loads(inner, 0, NULL)))
		note = inner_root;
	const char *type = str(note, "notificationType");
	int verdict = 0;
	unsigned n = 0;
	if (type && strcmp(type, "Bounce") == 0) {
		n = ses_bounce(c, json_object_get(note, "bounce"));
		verdict = n ? 1 : 0;
	} else if (type && strcmp(type, "Complaint") == 0) {
		n = ses_complaint(c, json_object_get(note, "complaint"));
		verdict = n ? 2 : 0;
	} else if (type && strcmp(type, "Delivery") == 0) {
		n = ses_delivery(c, json_object_get(note, "delivery"));
		verdict = n ? 1 : 0;
	}
	report_trace(c->rep, "%s: SES %s notification, %u recipient%s", SES_DETECTOR, type ? type : "(untyped)",
		     n, n == 1 ? "" : "s");
	json_decref(inner_root);
	json_decref(root);
	return verdict;
}
