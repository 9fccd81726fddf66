/*
 * rules.c - free-form bounces: MTA rules as data, one engine.
 *
 * A rule names an MTA (or provider), how to recognise its bounces (markers in
 * From, Subject, a header, or the text), and where its list of failed
 * recipients starts and ends.  The engine reads that section: a line that
 * begins with an address starts a recipient; the lines after it, up to a
 * blank line or the next address line, are its diagnostic.  Rules are
 * written from the messages MTAs send, not from anyone's rule set.
 */
#include "config.h"

#include <string.h>

#include "detect.h"
#include "status.h"
#include "util.h"

/* A marker is "from:TEXT", "subject:TEXT", "header:NAME" (present),
 * "value:NAME=TEXT" (header NAME holds TEXT) or "body:TEXT"; TEXT matches
 * case-insensitively anywhere in the field. */
struct mta_rule {
	const char *name;              /* detector name, "lhost:postfix" */
	const char *markers[5];        /* any one identifies the MTA */
	const char *start[4];          /* the failure list begins after one of these */
	const char *stop[4];           /* and ends at one of these (else the generic stops) */
	unsigned flags;                /* RULE_* */
};

enum {
	/* The mail system looks its recipients up itself (a mail server with
	 * its own directory, a gateway in front of one, a provider) and words
	 * each failure as its own verdict: its "unknown user" needs no status
	 * code or RCPT TO stage to confirm it. */
	RULE_LOOKUP = 1,
};

static const struct mta_rule rules[] = {
	{ "lhost:dragonfly",
	  { "body:this is the dragonfly mail agent", NULL },
	  { "there was an error delivering your mail to", NULL },
	  { "message headers follow", NULL }, 0 },
	{ "lhost:imailserver",
	  { "value:X-Mailer=<SMTP32", NULL },
	  { NULL },
	  { "original message follows", NULL },
	  RULE_LOOKUP },
	{ "lhost:mfilter",
	  { "value:X-Mailer=m-FILTER", NULL },
	  { NULL },
	  { NULL }, 0 },
	{ "lhost:mailru",
	  { "from:mailer-daemon@corp.mail.ru", "from:mailer-daemon@mail.ru", "value:X-Mailer=Mail.Ru", NULL },
	  { NULL },
	  { NULL }, 0 },
	{ "lhost:ezweb",
	  { "from:@ezweb.ne.jp", NULL },
	  { NULL },
	  { NULL }, 0 },
	{ "lhost:kddi",
	  { "from:.dion.ne.jp", "body:au one net", NULL },
	  { NULL },
	  { NULL }, 0 },
	{ "lhost:googlegroups",
	  { "body:the group you tried to contact", "body:google group", NULL },
	  { NULL },
	  { NULL }, 0 },
	{ "lhost:qmail",
	  { "body:this is the qmail-send program", "body:qmail-send", NULL },
	  { "given up. sorry it didn't work out.", "following addresses", NULL },
	  { "--- below this line is a copy", "--- enclosed are the original headers", NULL }, 0 },
	{ "lhost:postfix",
	  { "body:this is the mail system at host", "body:postfix program", "header:X-Postfix-Queue-ID", NULL },
	  { "the mail system", NULL },
	  { NULL }, 0 },
	{ "lhost:exim",
	  { "body:this message was created automatically by mail delivery software", "header:X-Exim-Version", NULL },
	  { "following address(es) failed:", "following addresses failed:", "the following address(es) failed", "delivery to the following" },
	  { "------ this is a copy of the message", "------ the body of the message", NULL }, 0 },
	{ "lhost:sendmail",
	  { "body:----- the following addresses had permanent fatal errors -----",
	    "body:----- transcript of session follows -----", NULL },
	  { "----- the following addresses had permanent fatal errors -----",
	    "----- the following addresses had transient non-fatal errors -----", NULL },
	  { "----- unsent message follows -----", NULL }, 0 },
	{ "lhost:courier",
	  { "body:courier mail server at", NULL },
	  { NULL },
	  { NULL }, 0 },
	{ "lhost:exchange",
	  { "subject:undeliverable:", "body:microsoft exchange", "body:did not reach the following recipient", NULL },
	  { "did not reach the following recipient", "delivery has failed to these recipients",
	    "your message did not reach some or all of the intended recipients", NULL },
	  { NULL }, 0 },
	{ "lhost:notes",
	  { "body:lotus domino", "body:domino", "body:------- failure reasons", NULL },
	  { "was not delivered to", "------- failure reasons", NULL },
	  { "------- returned message", NULL },
	  RULE_LOOKUP },
	{ "lhost:mcafee",
	  { "header:X-NAI-Header", NULL },
	  { "the following addresses had delivery problems", NULL },
	  { NULL },
	  RULE_LOOKUP },
	{ "lhost:verizon",
	  { "from:@vtext.com", "from:.vzwpix.com", NULL },
	  { NULL },
	  { "message details:", NULL },
	  RULE_LOOKUP },
	{ "lhost:trendmicro",
	  { "body:message from interscan messaging security suite", NULL },
	  { NULL },
	  { "end of message", NULL },
	  RULE_LOOKUP },
	{ "lhost:gmail",
	  { "from:mailer-daemon@googlemail.com", "from:mailer-daemon@google.com", NULL },
	  { "delivery to the following recipient", "your message wasn't delivered to", "address not found", NULL },
	  { "----- original message -----", NULL }, 0 },
	{ "lhost:yahoo",
	  { "body:message from yahoo", "body:yahoo! mail", "from:mailer-daemon@yahoo", NULL },
	  { "sorry, we were unable to deliver your message to the following address", NULL },
	  { "--- below this line is a copy", NULL },
	  RULE_LOOKUP },
	{ "lhost:fml",
	  { "body:you are not a member of this mailing list", "subject:are not member", NULL },
	  { NULL },
	  { "if you know the general guide", NULL }, 0 },
	{ "lhost:opensmtpd",
	  { "body:hi! this is the mailer-daemon", "body:opensmtpd", NULL },
	  { "an error has occurred while attempting to deliver a message", NULL },
	  { "below is a copy of the original message", NULL }, 0 },
};

static bool field_has(const char *v, const char *text)
{
	return bw_memcasemem(v, strlen(v), text) != NULL;
}

enum marker_kind { MK_NONE, MK_FROM, MK_SUBJECT, MK_VALUE, MK_HEADER, MK_BODY };

/* A marker's kind, told by its first byte and one compare of its prefix. */
static enum marker_kind marker_kind(const char *mk)
{
	switch (mk[0]) {
	case 'f':
		return strncmp(mk, "from:", 5) == 0 ? MK_FROM : MK_NONE;
	case 's':
		return strncmp(mk, "subject:", 8) == 0 ? MK_SUBJECT : MK_NONE;
	case 'v':
		return strncmp(mk, "value:", 6) == 0 ? MK_VALUE : MK_NONE;
	case 'h':
		return strncmp(mk, "header:", 7) == 0 ? MK_HEADER : MK_NONE;
	case 'b':
		return strncmp(mk, "body:", 5) == 0 ? MK_BODY : MK_NONE;
	default:
		return MK_NONE;
	}
}

/* Does the bounce carry marker mk? */
static bool marker_matches(const struct det_ctx *c, const char *mk)
{
	switch (marker_kind(mk)) {
	case MK_FROM:
		return field_has(c->from_raw, mk + 5);
	case MK_SUBJECT:
		return field_has(c->subject, mk + 8);
	case MK_VALUE: {
		/* value:NAME=TEXT: the bounce's header NAME holds TEXT */
		char name[64], v[256];
		const char *eq = strchr(mk + 6, '=');
		if (!eq || (size_t)(eq - mk - 6) >= sizeof(name))
			return false;
		memcpy(name, mk + 6, (size_t)(eq - mk - 6));
		name[eq - mk - 6] = '\0';
		return mime_hdrs_get(c->top_h, name, v, sizeof(v)) && field_has(v, eq + 1);
	}
	case MK_HEADER: {
		size_t vl;
		return mime_hdrs_raw(c->top_h, mk + 7, &vl) != NULL;
	}
	case MK_BODY:
		return bw_memcasemem(c->text, c->text_len, mk + 5) != NULL;
	case MK_NONE:
		break;
	}
	return false;
}

static bool rule_matches(const struct det_ctx *c, const struct mta_rule *r, const char **why)
{
	for (size_t i = 0; i < ARRAY_LEN(r->markers) && r->markers[i]; i++) {
		if (marker_matches(c, r->markers[i])) {
			*why = r->markers[i];
			return true;
		}
	}
	return false;
}

/* The failure section of the text for this rule. */
static void section(const struct det_ctx *c, const struct mta_rule *r, const char **s, const char **e)
{
	const char *t = c->text, *end = c->text + c->text_len;
	*s = t;
	for (size_t i = 0; i < ARRAY_LEN(r->start) && r->start[i]; i++) {
		const char *p = bw_memcasemem(t, c->text_len, r->start[i]);
		if (p) {
			*s = p + strlen(r->start[i]);
			break;
		}
	}
	*e = end;
	size_t rest = (size_t)(end - *s);
	for (size_t i = 0; i < ARRAY_LEN(r->stop) && r->stop[i]; i++) {
		const char *p = bw_memcasemem(*s, rest, r->stop[i]);
		if (p && p < *e)
			*e = p;
	}
	/* the report ends where the returned message begins (found once per
	 * message); a section that starts past it is read to its own stops */
	if (*s < c->text_end) {
		if (c->text_end < *e)
			*e = c->text_end;
	} else
		*e = det_report_end(*s, *e);
}

bool det_rules(struct det_ctx *c)
{
	for (size_t i = 0; i < ARRAY_LEN(rules); i++) {
		const char *why;
		if (!rule_matches(c, &rules[i], &why))
			continue;
		const char *s, *e;
		section(c, &rules[i], &s, &e);
		report_trace(c->rep, "%s: recognised by %s", rules[i].name, why);
		unsigned n = det_failed_header(c, rules[i].name);
		if (!n)
			n = det_scan(c, s, e, rules[i].name);
		if (!n)
			n = det_original_to(c, rules[i].name);
		report_trace(c->rep, "%s: %u recipient%s", rules[i].name, n, n == 1 ? "" : "s");
		if (n)
			return true;
	}
	return false;
}

/*
 * The mail system that sent this bounce, when it is one that looks its
 * recipients up itself (RULE_LOOKUP): the rule that found the event, else
 * a rule whose header or sender markers (not its body words: a DSN's
 * text is not read again for this) name the bounce's sender.  NULL if none.
 */
const char *det_lookup_mta(const struct det_ctx *c, const struct bw_event *ev)
{
	for (size_t i = 0; i < ARRAY_LEN(rules); i++)
		if ((rules[i].flags & RULE_LOOKUP) && strcmp(ev->detector, rules[i].name) == 0)
			return rules[i].name;
	for (size_t i = 0; i < ARRAY_LEN(rules); i++) {
		if (!(rules[i].flags & RULE_LOOKUP))
			continue;
		for (size_t k = 0; k < ARRAY_LEN(rules[i].markers) && rules[i].markers[k]; k++) {
			const char *mk = rules[i].markers[k];
			if (marker_kind(mk) != MK_BODY && marker_matches(c, mk))
				return rules[i].name;
		}
	}
	return NULL;
}
