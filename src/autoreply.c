/*
 * autoreply.c - RFC 3834 auto-replies and vacation notices.
 *
 * An auto-reply is never a bounce: it yields one event of kind autoreply
 * (reason vacation) for the address that replied, which the policy ignores.
 */
#include "config.h"

#include <string.h>

#include "detect.h"
#include "util.h"

/* Header fields whose presence marks an automatic reply. */
static const struct { const char *name; const char *value; } marker_headers[] = {
	{ "Auto-Submitted", "auto-replied" },
	{ "X-Autoreply", NULL },
	{ "X-Autorespond", NULL },
	{ "X-Autoresponder", NULL },
	{ "X-Auto-Response-Suppress", NULL },   /* with a vacation subject only */
	{ "Precedence", "auto_reply" },
	{ "X-Vacation", NULL },
};

/* Subject openings of out-of-office replies, many languages (lower-case). */
static const char *const subject_phrases[] = {
	"out of office", "out of the office", "automatic reply", "auto reply", "autoreply",
	"auto-reply", "auto response", "autoresponse", "away from", "away until", "vacation",
	"on vacation", "on leave", "abwesenheit", "automatische antwort", "réponse automatique",
	"reponse automatique", "absence", "respuesta automática", "respuesta automatica",
	"fuera de la oficina", "risposta automatica", "fuori ufficio", "automatisch antwoord",
	"afwezig", "resposta automática", "ausente", "autosvar", "poza biurem",
	"automatická odpověď", "不在", "自動応答", "自动回复", "자동 응답",
};

static bool subject_is_vacation(const char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; i < ARRAY_LEN(subject_phrases); i++)
		if (bw_memcasemem(s, n, subject_phrases[i]))
			return true;
	return false;
}

bool det_autoreply(struct det_ctx *c)
{
	char v[256];
	const char *why = NULL;
	char whybuf[BW_MATCH_MAX];

	for (size_t i = 0; i < ARRAY_LEN(marker_headers) && !why; i++) {
		if (!mime_hdrs_get(c->top_h, marker_headers[i].name, v, sizeof(v)))
			continue;
		if (marker_headers[i].value && !bw_prefixcase(v, strlen(v), marker_headers[i].value))
			continue;
		if (strcmp(marker_headers[i].name, "X-Auto-Response-Suppress") == 0 &&
		    !subject_is_vacation(c->subject))
			continue;
		snprintf(whybuf, sizeof(whybuf), "%s: %s", marker_headers[i].name, v);
		why = whybuf;
	}
	if (!why && subject_is_vacation(c->subject)) {
		snprintf(whybuf, sizeof(whybuf), "Subject: %s", c->subject);
		why = whybuf;
	}
	if (!why)
		return false;
	/* a bounce marked Auto-Submitted (Google, Exim) is still a bounce */
	const char *bwhy;
	if (!subject_is_vacation(c->subject) && det_looks_like_bounce(c, &bwhy) &&
	    strcmp(bwhy, "a null return path") != 0) {
		report_trace(c->rep, "rfc3834: %s, but %s: not an auto-reply", why, bwhy);
		return false;
	}
	struct bw_event *ev = det_event(c, "rfc3834");
	if (!ev)
		return true;
	ev->reason = BW_R_VACATION;
	bw_strlcpy(ev->recipient, c->from, sizeof(ev->recipient));
	bw_strlcpy(ev->matched, why, sizeof(ev->matched));
	bw_strlcpyn(ev->diagnostic, sizeof(ev->diagnostic), c->subject, strlen(c->subject));
	report_trace(c->rep, "rfc3834: auto-reply (%s) from %s", why, c->from[0] ? c->from : "(unknown)");
	return true;
}
