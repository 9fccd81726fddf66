/*
 * classify.c - one message -> report.  Runs the detectors in order of
 * confidence, then lets reason.c decide every event's kind and reason.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "detect.h"
#include "reason.h"
#include "status.h"
#include "util.h"

struct bw_classifier {
	const struct bw_classify_conf *conf;   /* borrowed */
	char *verp_secret;                     /* owned, may be NULL */
};

struct bw_classifier *classifier_new(const struct bw_classify_conf *conf, const char *verp_secret)
{
	struct bw_classifier *c = xcalloc(1, sizeof(*c));
	c->conf = conf;
	c->verp_secret = verp_secret && *verp_secret ? xstrdup(verp_secret) : NULL;
	return c;
}

void classifier_free(struct bw_classifier *c)
{
	if (!c)
		return;
	if (c->verp_secret) {
		explicit_bzero(c->verp_secret, strlen(c->verp_secret));
		free(c->verp_secret);
	}
	free(c);
}

struct bw_event *det_event(struct det_ctx *c, const char *detector)
{
	struct bw_event *ev = report_add_event(c->rep, c->conf->limits.max_events);
	if (!ev) {
		if (!c->too_many_events)
			report_trace(c->rep, "limit: more than max_events (%u) events",
				     c->conf->limits.max_events);
		c->too_many_events = true;
		return NULL;
	}
	bw_strlcpy(ev->detector, detector, sizeof(ev->detector));
	return ev;
}

void det_set_diagnostic(struct bw_event *ev, const char *text, size_t len)
{
	char tmp[BW_DIAG_MAX];
	size_t o = 0;
	bool space = false;
	/* unfold: every run of blanks and line ends becomes one space */
	for (size_t i = 0; i < len && o + 1 < sizeof(tmp); i++) {
		unsigned char ch = (unsigned char)text[i];
		if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
			space = o > 0;
			continue;
		}
		if (space && o + 2 < sizeof(tmp))
			tmp[o++] = ' ';
		space = false;
		tmp[o++] = ch < 32 || ch == 127 ? ' ' : (char)ch;
	}
	tmp[o] = '\0';
	memcpy(ev->diagnostic, tmp, o + 1);
	if (!ev->reply_code[0] && !status_exit_only(ev->diagnostic)) {
		char rc[4];
		if (reply_find(ev->diagnostic, o, rc))
			memcpy(ev->reply_code, rc, 4);
	}
	if (!ev->status[0])
		status_find(ev->diagnostic, o, ev->status, sizeof(ev->status));
}

bool det_part_header(const struct det_ctx *c, const struct mime_part *pt, const char *name, char *out,
		     size_t outsz)
{
	if (pt == c->top)
		return mime_hdrs_get(c->top_h, name, out, outsz);
	if (pt->hdr == c->orig_hdr && pt->hdr_len == c->orig_hdr_len)
		return mime_hdrs_get(c->orig_h, name, out, outsz);
	return mime_header(pt->hdr, pt->hdr_len, name, out, outsz);
}

/* A top-level header value with its encoded words decoded. */
static void top_value(const struct det_ctx *c, const char *name, char *out, size_t outsz)
{
	if (mime_hdrs_get(c->top_h, name, out, outsz))
		mime_decode_words(out);
}

/* How much of the returned message's From original_sender() reads. */
#define SENDER_VALUE_MAX (BW_ADDR_MAX * 2)

/* The original-message fields from the returned headers (once per message:
 * every event gets the same). */
static void original_fields(const struct det_ctx *c, struct bw_original *o)
{
	char v[BW_SUBJECT_MAX];
	memset(o, 0, sizeof(*o));
	if (!c->orig_hdr)
		return;
	if (mime_hdrs_get(c->orig_h, "Message-ID", v, sizeof(v)))
		bw_strlcpy(o->message_id, v, sizeof(o->message_id));
	if (mime_hdrs_get(c->orig_h, "Subject", o->subject, sizeof(o->subject)))
		mime_decode_words(o->subject);
	if (mime_hdrs_get(c->orig_h, "From", v, sizeof(v))) {
		/* a From that fits v whole is the one original_sender() read
		 * (into a larger buffer) and put through addr_extract into
		 * c->orig_from the same way: take its result */
		_Static_assert(sizeof(o->from) == sizeof(c->orig_from) && SENDER_VALUE_MAX >= BW_SUBJECT_MAX,
			       "original_sender reads From as original_fields does");
		size_t vl = strlen(v);
		if (vl + 1 < sizeof(v))
			memcpy(o->from, c->orig_from, sizeof(o->from));
		else
			addr_extract(v, vl, o->from, sizeof(o->from));
	}
	if (mime_hdrs_get(c->orig_h, "To", v, sizeof(v)))
		addr_extract(v, strlen(v), o->to, sizeof(o->to));
	for (size_t i = 0; i < c->conf->n_campaign_headers; i++)
		if (mime_hdrs_get(c->orig_h, c->conf->campaign_headers[i], o->campaign, sizeof(o->campaign)))
			break;
}

/* The returned message's header block: a message/rfc822 part's headers or
 * a text/rfc822-headers body (the first one found). */
static void find_original(struct det_ctx *c)
{
	const struct mime *m = c->mime;
	for (unsigned i = 1; i < m->n_parts; i++) {
		const struct mime_part *pt = &m->parts[i];
		if (pt->is_message && pt->hdr_len) {
			c->orig_hdr = pt->hdr;
			c->orig_hdr_len = pt->hdr_len;
			return;
		}
		if (pt->kind & MIME_K_RFC822_HEADERS) {
			c->orig_hdr = pt->body;
			c->orig_hdr_len = pt->body_len;
			return;
		}
	}
	/* free-form bounces quote the message inline after a marker */
	const struct mime_part *top = &m->parts[0];
	const char *end = top->body + top->body_len;
	/* the text is usually the top body itself: its report end is known */
	const char *p = c->text == top->body && c->text_end ? c->text_end : det_report_end(top->body, end);
	if (p >= end)
		return;
	if (*p == '\n')
		p++;                      /* the marker is a header line itself */
	else if (!mime_looks_like_header(p, (size_t)(end - p))) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		p = nl ? nl + 1 : end;    /* skip the marker line */
	}
	while (p < end && (*p == '\n' || *p == '='))
		p = memchr(p, '\n', (size_t)(end - p)) ? (const char *)memchr(p, '\n', (size_t)(end - p)) + 1 : end;
	const char *blank = p;
	while (blank < end) {
		const char *e = memchr(blank, '\n', (size_t)(end - blank));
		if (!e || e == blank)
			break;
		blank = e + 1;
	}
	if (blank > p && mime_looks_like_header(p, (size_t)(end - p))) {
		c->orig_hdr = p;
		c->orig_hdr_len = (size_t)(blank - p);
	}
}

/* The returned message's sender: never the failed recipient. */
static void original_sender(struct det_ctx *c)
{
	char v[SENDER_VALUE_MAX];
	if (!c->orig_hdr)
		return;
	if ((mime_hdrs_get(c->orig_h, "From", v, sizeof(v)) ||
	     mime_hdrs_get(c->orig_h, "Return-Path", v, sizeof(v))))
		addr_extract(v, strlen(v), c->orig_from, sizeof(c->orig_from));
}

/*
 * An HTML report as lines of text: tags go (<br>, <p>, <div>, <tr> and <li>
 * end a line), the common entities are decoded, and the result is held in
 * c->text_owned.  Bounded by the input: the output is never longer.
 */
static void html_to_text(struct det_ctx *c)
{
#define HTML_WORD(lit) { lit, sizeof(lit) - 1 }
	static const struct { const char *s; size_t n; } breaks[] = {
		HTML_WORD("br"), HTML_WORD("p"), HTML_WORD("/p"), HTML_WORD("div"), HTML_WORD("/div"),
		HTML_WORD("tr"), HTML_WORD("li"), HTML_WORD("/tr"), HTML_WORD("/h"),
	};
	static const struct { const char *ent; size_t n; char ch; } ents[] = {
		{ "&lt;", 4, '<' }, { "&gt;", 4, '>' }, { "&amp;", 5, '&' }, { "&quot;", 6, '"' }, { "&nbsp;", 6, ' ' },
		{ "&#39;", 5, '\'' }, { "&#64;", 5, '@' },
	};
#undef HTML_WORD
	const char *p = c->text, *end = c->text + c->text_len;
	char *out = xmalloc(c->text_len + 1);
	size_t o = 0;
	while (p < end) {
		/* the bytes up to the next tag or entity are copied as they are */
		const char *q = bw_find2(p, end, '<', '&');
		memcpy(out + o, p, (size_t)(q - p));
		o += (size_t)(q - p);
		p = q;
		if (p >= end)
			break;
		if (*p == '<') {
			const char *gt = memchr(p, '>', (size_t)(end - p));
			if (!gt)
				break;
			const int c1 = bw_lower((unsigned char)p[1]);   /* p[1] is '>' at worst */
			for (size_t i = 0; i < ARRAY_LEN(breaks); i++) {
				size_t n = breaks[i].n;
				if (breaks[i].s[0] == c1 && (size_t)(gt - p - 1) >= n && bw_prefixcase(p + 1, n, breaks[i].s) &&
				    !bw_isalpha((unsigned char)p[1 + n])) {
					out[o++] = '\n';
					/* "<br>" then a line end is one line break, not a
					 * blank line (which would end a paragraph) */
					if (gt + 1 < end && gt[1] == '\n')
						gt++;
					break;
				}
			}
			p = gt + 1;
			continue;
		}
		size_t i;                 /* '&' */
		const int c1 = p + 1 < end ? bw_lower((unsigned char)p[1]) : -1;
		for (i = 0; i < ARRAY_LEN(ents); i++) {
			size_t n = ents[i].n;
			if (ents[i].ent[1] == c1 && (size_t)(end - p) >= n && bw_prefixcase(p, n, ents[i].ent)) {
				out[o++] = ents[i].ch;
				p += n;
				break;
			}
		}
		if (i < ARRAY_LEN(ents))
			continue;
		out[o++] = *p++;
	}
	out[o] = '\0';
	c->text_owned = out;
	c->text = out;
	c->text_len = o;
}

/* The human-readable text: the first text/plain part outside any returned message. */
static void find_text(struct det_ctx *c)
{
	const struct mime *m = c->mime;
	const struct mime_part *html = NULL;
	for (unsigned i = 0; i < m->n_parts; i++) {
		const struct mime_part *pt = &m->parts[i];
		bool inside = false;
		for (int p = pt->parent; p > 0; p = m->parts[p].parent)
			inside = inside || m->parts[p].is_message;
		if (i > 0 && (pt->is_message || inside) && m->parts[0].multipart)
			continue;
		if (pt->multipart)
			continue;
		if ((pt->kind & MIME_K_PLAIN) && pt->body_len) {
			c->text = pt->body;
			c->text_len = pt->body_len;
			return;
		}
		if (!html && (pt->kind & MIME_K_HTML))
			html = pt;
	}
	const struct mime_part *pt = html ? html : &m->parts[0];
	c->text = pt->body;
	c->text_len = pt->body_len;
	if (html || bw_memcasemem(pt->body, pt->body_len < 2048 ? pt->body_len : 2048, "<br"))
		html_to_text(c);
}

static void read_top(struct det_ctx *c, struct bw_report *rep)
{
	char v[BW_SUBJECT_MAX];
	top_value(c, "From", c->from_raw, sizeof(c->from_raw));
	addr_extract(c->from_raw, strlen(c->from_raw), c->from, sizeof(c->from));
	top_value(c, "Subject", c->subject, sizeof(c->subject));
	if (mime_hdrs_get(c->top_h, "To", v, sizeof(v)))
		addr_extract(v, strlen(v), c->to, sizeof(c->to));
	bw_strlcpy(rep->from, c->from, sizeof(rep->from));
	bw_strlcpy(rep->to, c->to, sizeof(rep->to));
	bw_strlcpy(rep->subject, c->subject, sizeof(rep->subject));
	mime_hdrs_get(c->top_h, "Message-ID", rep->message_id, sizeof(rep->message_id));
	if (mime_hdrs_get(c->top_h, "Date", v, sizeof(v)))
		rep->date = bw_parse_date(v);
}

/* The diagnostic is bounded (SPEC 3): cut to max bytes, at a character
 * boundary, after the reason was decided on all of it. */
static void cut_diagnostic(struct bw_event *ev, unsigned max, struct bw_report *rep)
{
	size_t n = strlen(ev->diagnostic);
	if (n <= max)
		return;
	while (max > 0 && ((unsigned char)ev->diagnostic[max] & 0xc0) == 0x80)
		max--;          /* not inside a UTF-8 sequence */
	ev->diagnostic[max] = '\0';
	report_trace(rep, "diagnostic cut from %zu to %u bytes (classify.limits.max_diagnostic_bytes)", n,
		     max);
}

static const char *lookup_mta(const void *arg, const struct bw_event *ev)
{
	return det_lookup_mta(arg, ev);
}

/* After detection: fill, decide, drop what cannot be used. */
static void finish(struct det_ctx *c)
{
	struct bw_report *rep = c->rep;
	const struct reason_lookup lookup = { lookup_mta, c };
	struct bw_original orig;
	bool have_orig = false;
	int delay = -1;              /* the notice is a warning: not asked yet */
	const char *delay_why = NULL;
	unsigned w = 0;
	for (unsigned i = 0; i < rep->n_events; i++) {
		struct bw_event *ev = &rep->events[i];
		if (!ev->recipient[0]) {
			report_trace(rep, "event %u from %s names no recipient: dropped", i + 1, ev->detector);
			continue;
		}
		if (!have_orig) {
			original_fields(c, &orig);
			have_orig = true;
		}
		ev->original = orig;
		if (!ev->time)
			ev->time = rep->date;
		report_trace(rep, "event %u: %s (%s)", w + 1, ev->recipient, ev->detector);
		/* free text names no DSN Action: a warning notice means delayed */
		if (!ev->action[0] && delay < 0)
			delay = det_delay_notice(c, &delay_why);
		if (!ev->action[0] && delay == 1) {
			bw_strlcpy(ev->action, "delayed", sizeof(ev->action));
			report_trace(rep, "Action delayed: the notice is a warning (%s)", delay_why);
		}
		reason_decide_in(ev, c->text, (size_t)(c->text_end - c->text), &lookup, rep);
		cut_diagnostic(ev, c->conf->limits.max_diagnostic_bytes, rep);
		if (w != i)
			rep->events[w] = *ev;
		w++;
	}
	rep->n_events = w;
}

void classify_message(const struct bw_classifier *cl, const char *raw, size_t len,
		      struct bw_report *rep)
{
	struct mime m;
	enum mime_error err = mime_parse(&m, raw, len, &cl->conf->limits);
	rep->verdict = BW_VERDICT_UNPARSED;
	if (err != MIME_OK || m.n_parts == 0) {
		bw_strlcpy(rep->error, mime_error_text(err), sizeof(rep->error));
		report_trace(rep, "unparsed: %s", rep->error);
		mime_free(&m);
		return;
	}
	struct det_ctx c;
	memset(&c, 0, sizeof(c));
	c.mime = &m;
	c.conf = cl->conf;
	c.verp_secret = cl->verp_secret;
	c.rep = rep;
	c.top = &m.parts[0];
	c.top_h = &m.top_hdrs;
	read_top(&c, rep);
	find_text(&c);
	c.text_end = det_report_end(c.text, c.text + c.text_len);
	find_original(&c);
	if (c.orig_hdr && c.orig_hdr == m.msg_hdrs.hdr && c.orig_hdr_len == m.msg_hdrs.len) {
		c.orig_h = &m.msg_hdrs;          /* indexed by the walk already */
	} else {
		mime_hdrs_init(&c.orig_own, c.orig_hdr, c.orig_hdr_len);
		c.orig_h = &c.orig_own;
	}
	original_sender(&c);
	report_trace(rep, "message: %u MIME part%s, top type %s, From %s, Subject \"%s\"", m.n_parts,
		     m.n_parts == 1 ? "" : "s", c.top->type, c.from[0] ? c.from : "(none)", c.subject);

	int ses;
	if (det_arf(&c)) {
		rep->verdict = BW_VERDICT_COMPLAINT;
	} else if ((ses = det_ses(&c)) != 0) {
		rep->verdict = ses == 2 ? BW_VERDICT_COMPLAINT : BW_VERDICT_BOUNCE;
	} else if (det_dsn(&c)) {
		rep->verdict = BW_VERDICT_BOUNCE;
	} else if (det_rules(&c)) {
		rep->verdict = BW_VERDICT_BOUNCE;
	} else if (det_autoreply(&c)) {
		rep->verdict = BW_VERDICT_AUTOREPLY;
	} else if (det_heuristic(&c)) {
		rep->verdict = BW_VERDICT_BOUNCE;
	} else {
		rep->verdict = BW_VERDICT_NOT_BOUNCE;
	}
	if (rep->verdict == BW_VERDICT_BOUNCE || rep->verdict == BW_VERDICT_NOT_BOUNCE)
		det_verp(&c);
	if (rep->verdict == BW_VERDICT_NOT_BOUNCE && rep->n_events)
		rep->verdict = BW_VERDICT_BOUNCE;       /* VERP alone named a recipient */
	finish(&c);
	if (c.too_many_events) {
		/* past a limit: nothing of it counts (SPEC 9), as for the MIME limits */
		rep->verdict = BW_VERDICT_UNPARSED;
		rep->n_events = 0;
		snprintf(rep->error, sizeof(rep->error),
			 "more than %u recipients (classify.limits.max_events)", c.conf->limits.max_events);
		report_trace(rep, "unparsed: %s", rep->error);
	} else if (rep->verdict == BW_VERDICT_BOUNCE && rep->n_events == 0) {
		rep->verdict = BW_VERDICT_NOT_BOUNCE;
		report_trace(rep, "verdict not-bounce: no usable recipient");
	}
	free(c.text_owned);
	mime_free(&m);
}
