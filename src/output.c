/*
 * output.c - text, JSON lines and explain output of reports.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "output.h"
#include "util.h"

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

/* A status or reply code: "" when the bounce carries none (the convention of
 * the reference results, so "no code" compares equal), null only if the
 * field holds something that is not text. */
static json_t *code_or_empty(const char *s)
{
	json_t *j = json_string(s ? s : "");
	return j ? j : json_null();
}

json_t *output_json_string(const char *s)
{
	if (!s)
		s = "";
	json_t *j = json_string(s);
	if (j)
		return j;
	/* json_string refuses invalid UTF-8: read it as Latin-1 */
	size_t n = strlen(s);
	char *u = xmalloc(n * 2 + 1), *w = u;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x80) {
			*w++ = (char)*p;
		} else {
			*w++ = (char)(0xc0 | (*p >> 6));
			*w++ = (char)(0x80 | (*p & 0x3f));
		}
	}
	*w = '\0';
	j = json_string(u);
	free(u);
	return j ? j : json_string("");
}

/* A text field: null when empty. */
static json_t *text(const char *s)
{
	return s && *s ? output_json_string(s) : json_null();
}

json_t *output_event_json(const struct bw_event *ev)
{
	json_t *o = json_object();
	json_object_set_new(o, "recipient", text(ev->recipient));
	json_object_set_new(o, "kind", json_string(bw_kind_name(ev->kind)));
	json_object_set_new(o, "reason", json_string(bw_reason_name(ev->reason)));
	json_object_set_new(o, "hard", json_boolean(ev->hard));
	json_object_set_new(o, "status", code_or_empty(ev->status));
	json_object_set_new(o, "reply_code", code_or_empty(ev->reply_code));
	json_object_set_new(o, "action", str_or_null(ev->action));
	json_object_set_new(o, "diagnostic", text(ev->diagnostic));
	json_object_set_new(o, "remote_mta", text(ev->remote_mta));
	json_object_set_new(o, "reporting_mta", text(ev->reporting_mta));
	if (ev->feedback_type[0])
		json_object_set_new(o, "feedback_type", text(ev->feedback_type));
	json_t *orig = json_object();
	json_object_set_new(orig, "message_id", text(ev->original.message_id));
	json_object_set_new(orig, "subject", text(ev->original.subject));
	json_object_set_new(orig, "from", text(ev->original.from));
	json_object_set_new(orig, "to", text(ev->original.to));
	json_object_set_new(orig, "campaign", text(ev->original.campaign));
	json_object_set_new(o, "original", orig);
	json_object_set_new(o, "detector", json_string(ev->detector));
	json_object_set_new(o, "matched", text(ev->matched));
	if (ev->time) {
		char ts[32];
		bw_format_time(ev->time, ts, sizeof(ts));
		json_object_set_new(o, "time", json_string(ts));
	} else {
		json_object_set_new(o, "time", json_null());
	}
	if (ev->unverified)
		json_object_set_new(o, "unverified", json_true());
	return o;
}

void output_report_json(FILE *out, const char *file, unsigned index, const struct bw_report *rep)
{
	json_t *o = json_object();
	json_object_set_new(o, "file", text(file));
	if (index)
		json_object_set_new(o, "index", json_integer(index));
	json_object_set_new(o, "message_id", text(rep->message_id));
	json_object_set_new(o, "verdict", json_string(bw_verdict_name(rep->verdict)));
	if (rep->error[0])
		json_object_set_new(o, "error", json_string(rep->error));
	json_t *evs = json_array();
	for (unsigned i = 0; i < rep->n_events; i++)
		json_array_append_new(evs, output_event_json(&rep->events[i]));
	json_object_set_new(o, "events", evs);
	char *s = json_dumps(o, JSON_COMPACT);
	if (s) {
		fputs(s, out);
		fputc('\n', out);
		free(s);
	}
	json_decref(o);
}

/*
 * The reusing writer.  Each event shape (with or without feedback_type and
 * unverified) has a list of prebuilt event objects, one per place in the
 * events array; a report's values are written into them (strings set in
 * place, without jansson's UTF-8 check once we know the text is ASCII) and
 * the whole report is dumped by json_dumpb into a buffer kept across
 * messages.  The result is the same bytes output_report_json writes; a
 * report it cannot mirror exactly (a non-ASCII action, detector or error,
 * which output_report_json may drop) goes through output_report_json.
 */
enum {
	EV_RECIPIENT, EV_STATUS, EV_REPLY, EV_ACTION, EV_DIAG, EV_REMOTE, EV_REPORTING,
	EV_FEEDBACK, EV_OMSGID, EV_OSUBJECT, EV_OFROM, EV_OTO, EV_OCAMPAIGN, EV_DETECTOR,
	EV_MATCHED, EV_TIME, EV__STR
};
enum { RP_FILE, RP_MSGID, RP_ERROR, RP__STR };

/* A key whose value is a string we own (s) or null. */
struct slot {
	json_t *obj;   /* borrowed: the object holding the key */
	const char *key;
	json_t *s;     /* owned reference */
	bool is_str;   /* obj[key] is s (else null) */
};

struct ev_tpl {
	json_t *o, *orig;            /* owned */
	json_t *kind, *reason;       /* owned references */
	struct slot str[EV__STR];
};

struct bw_json_writer {
	struct ev_tpl *tpl[4];       /* owned, by shape: feedback_type 1, unverified 2 */
	size_t n_tpl[4];
	json_t *rep[4];              /* owned, by shape: index 1, error 2 */
	json_t *index[4], *verdict[4], *events[4];   /* borrowed from rep[] */
	struct slot rstr[4][RP__STR];
	char *buf;                   /* owned */
	size_t cap;
};

/* True when s[0..n) is all ASCII (so valid UTF-8). */
static bool all_ascii(const char *s, size_t n)
{
	size_t i = 0;
	uint64_t acc = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, s + i, 8);
		acc |= w;
	}
	for (; i < n; i++)
		acc |= (unsigned char)s[i];
	return !(acc & 0x8080808080808080ull);
}

static void slot_init(struct slot *sl, json_t *obj, const char *key)
{
	sl->obj = obj;
	sl->key = key;
	sl->s = json_string_nocheck("");
	sl->is_str = false;
	json_object_set_new_nocheck(obj, key, json_null());
}

static void slot_null(struct slot *sl)
{
	if (sl->is_str) {
		json_object_set_new_nocheck(sl->obj, sl->key, json_null());
		sl->is_str = false;
	}
}

static void slot_str(struct slot *sl)
{
	if (!sl->is_str) {
		json_object_set_nocheck(sl->obj, sl->key, sl->s);
		sl->is_str = true;
	}
}

/* text(): null for "", the string when it is UTF-8, else its Latin-1 reading. */
static void slot_text(struct slot *sl, const char *s)
{
	if (!s || !*s) {
		slot_null(sl);
		return;
	}
	size_t n = strlen(s);
	if (all_ascii(s, n)) {
		json_string_setn_nocheck(sl->s, s, n);
	} else if (json_string_setn(sl->s, s, n) != 0) {
		char *u = malloc(n * 2 + 1), *w = u;
		if (!u) {
			slot_null(sl);
			return;
		}
		for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
			if (*p < 0x80) {
				*w++ = (char)*p;
			} else {
				*w++ = (char)(0xc0 | (*p >> 6));
				*w++ = (char)(0x80 | (*p & 0x3f));
			}
		}
		int rc = json_string_setn_nocheck(sl->s, u, (size_t)(w - u));
		free(u);
		if (rc) {
			slot_null(sl);
			return;
		}
	}
	slot_str(sl);
}

/* code_or_empty(): the string, "" for NULL, null when it is not UTF-8. */
static void slot_code(struct slot *sl, const char *s)
{
	if (!s)
		s = "";
	size_t n = strlen(s);
	if (all_ascii(s, n))
		json_string_setn_nocheck(sl->s, s, n);
	else if (json_string_setn(sl->s, s, n) != 0) {
		slot_null(sl);
		return;
	}
	slot_str(sl);
}

/* A string known to be ASCII (checked by the caller), or null for "". */
static void slot_ascii(struct slot *sl, const char *s)
{
	if (!s || !*s) {
		slot_null(sl);
		return;
	}
	json_string_setn_nocheck(sl->s, s, strlen(s));
	slot_str(sl);
}

static void tpl_init(struct ev_tpl *t, unsigned shape)
{
	json_t *o = t->o = json_object();
	if (!o)
		fatal("out of memory (JSON)");
	slot_init(&t->str[EV_RECIPIENT], o, "recipient");
	t->kind = json_string_nocheck("");
	json_object_set_nocheck(o, "kind", t->kind);
	t->reason = json_string_nocheck("");
	json_object_set_nocheck(o, "reason", t->reason);
	json_object_set_new_nocheck(o, "hard", json_false());
	slot_init(&t->str[EV_STATUS], o, "status");
	slot_init(&t->str[EV_REPLY], o, "reply_code");
	slot_init(&t->str[EV_ACTION], o, "action");
	slot_init(&t->str[EV_DIAG], o, "diagnostic");
	slot_init(&t->str[EV_REMOTE], o, "remote_mta");
	slot_init(&t->str[EV_REPORTING], o, "reporting_mta");
	if (shape & 1)
		slot_init(&t->str[EV_FEEDBACK], o, "feedback_type");
	else
		memset(&t->str[EV_FEEDBACK], 0, sizeof(t->str[EV_FEEDBACK]));
	t->orig = json_object();
	if (!t->orig)
		fatal("out of memory (JSON)");
	slot_init(&t->str[EV_OMSGID], t->orig, "message_id");
	slot_init(&t->str[EV_OSUBJECT], t->orig, "subject");
	slot_init(&t->str[EV_OFROM], t->orig, "from");
	slot_init(&t->str[EV_OTO], t->orig, "to");
	slot_init(&t->str[EV_OCAMPAIGN], t->orig, "campaign");
	json_object_set_nocheck(o, "original", t->orig);
	slot_init(&t->str[EV_DETECTOR], o, "detector");
	slot_init(&t->str[EV_MATCHED], o, "matched");
	slot_init(&t->str[EV_TIME], o, "time");
	if (shape & 2)
		json_object_set_new_nocheck(o, "unverified", json_true());
}

static void tpl_free(struct ev_tpl *t)
{
	for (int i = 0; i < EV__STR; i++)
		json_decref(t->str[i].s);
	json_decref(t->kind);
	json_decref(t->reason);
	json_decref(t->orig);
	json_decref(t->o);
}

struct bw_json_writer *output_json_new(void)
{
	struct bw_json_writer *w = xcalloc(1, sizeof(*w));
	for (unsigned shape = 0; shape < 4; shape++) {
		json_t *o = w->rep[shape] = json_object();
		if (!o)
			fatal("out of memory (JSON)");
		slot_init(&w->rstr[shape][RP_FILE], o, "file");
		if (shape & 1) {
			w->index[shape] = json_integer(0);
			json_object_set_nocheck(o, "index", w->index[shape]);
		}
		slot_init(&w->rstr[shape][RP_MSGID], o, "message_id");
		w->verdict[shape] = json_string_nocheck("");
		json_object_set_nocheck(o, "verdict", w->verdict[shape]);
		if (shape & 2)
			slot_init(&w->rstr[shape][RP_ERROR], o, "error");
		w->events[shape] = json_array();
		json_object_set_nocheck(o, "events", w->events[shape]);
	}
	return w;
}

void output_json_free(struct bw_json_writer *w)
{
	if (!w)
		return;
	for (unsigned shape = 0; shape < 4; shape++) {
		for (size_t i = 0; i < w->n_tpl[shape]; i++)
			tpl_free(&w->tpl[shape][i]);
		free(w->tpl[shape]);
		for (int i = 0; i < RP__STR; i++)
			json_decref(w->rstr[shape][i].s);
		json_decref(w->index[shape]);
		json_decref(w->verdict[shape]);
		json_decref(w->events[shape]);
		json_decref(w->rep[shape]);
	}
	free(w->buf);
	free(w);
}

/* Can the reusing writer mirror output_report_json for this report? */
static bool mirrorable(const struct bw_report *rep)
{
	if (!all_ascii(rep->error, strlen(rep->error)))
		return false;
	for (unsigned i = 0; i < rep->n_events; i++) {
		const struct bw_event *ev = &rep->events[i];
		if (!all_ascii(ev->action, strlen(ev->action)) ||
		    !all_ascii(ev->detector, strlen(ev->detector)))
			return false;
	}
	return true;
}

static json_t *fill_event(struct bw_json_writer *w, unsigned nth, const struct bw_event *ev)
{
	unsigned shape = (ev->feedback_type[0] ? 1u : 0u) | (ev->unverified ? 2u : 0u);
	while (w->n_tpl[shape] <= nth) {
		w->tpl[shape] = xrealloc(w->tpl[shape], (w->n_tpl[shape] + 1) * sizeof(struct ev_tpl));
		tpl_init(&w->tpl[shape][w->n_tpl[shape]++], shape);
	}
	struct ev_tpl *t = &w->tpl[shape][nth];
	slot_text(&t->str[EV_RECIPIENT], ev->recipient);
	const char *k = bw_kind_name(ev->kind), *r = bw_reason_name(ev->reason);
	json_string_setn_nocheck(t->kind, k, strlen(k));
	json_string_setn_nocheck(t->reason, r, strlen(r));
	json_object_set_new_nocheck(t->o, "hard", json_boolean(ev->hard));
	slot_code(&t->str[EV_STATUS], ev->status);
	slot_code(&t->str[EV_REPLY], ev->reply_code);
	slot_ascii(&t->str[EV_ACTION], ev->action);
	slot_text(&t->str[EV_DIAG], ev->diagnostic);
	slot_text(&t->str[EV_REMOTE], ev->remote_mta);
	slot_text(&t->str[EV_REPORTING], ev->reporting_mta);
	if (shape & 1)
		slot_text(&t->str[EV_FEEDBACK], ev->feedback_type);
	slot_text(&t->str[EV_OMSGID], ev->original.message_id);
	slot_text(&t->str[EV_OSUBJECT], ev->original.subject);
	slot_text(&t->str[EV_OFROM], ev->original.from);
	slot_text(&t->str[EV_OTO], ev->original.to);
	slot_text(&t->str[EV_OCAMPAIGN], ev->original.campaign);
	json_string_setn_nocheck(t->str[EV_DETECTOR].s, ev->detector, strlen(ev->detector));
	slot_str(&t->str[EV_DETECTOR]);
	slot_text(&t->str[EV_MATCHED], ev->matched);
	if (ev->time) {
		char ts[32];
		bw_format_time(ev->time, ts, sizeof(ts));
		slot_ascii(&t->str[EV_TIME], ts);
	} else {
		slot_null(&t->str[EV_TIME]);
	}
	return t->o;
}

void output_json_report(struct bw_json_writer *w, FILE *out, const char *file, unsigned index,
			const struct bw_report *rep)
{
	if (!mirrorable(rep)) {
		output_report_json(out, file, index, rep);
		return;
	}
	unsigned shape = (index ? 1u : 0u) | (rep->error[0] ? 2u : 0u);
	slot_text(&w->rstr[shape][RP_FILE], file);
	if (index)
		json_integer_set(w->index[shape], index);
	slot_text(&w->rstr[shape][RP_MSGID], rep->message_id);
	const char *v = bw_verdict_name(rep->verdict);
	json_string_setn_nocheck(w->verdict[shape], v, strlen(v));
	if (shape & 2) {
		json_string_setn_nocheck(w->rstr[shape][RP_ERROR].s, rep->error, strlen(rep->error));
		slot_str(&w->rstr[shape][RP_ERROR]);
	}
	json_t *evs = w->events[shape];
	json_array_clear(evs);
	for (unsigned i = 0; i < rep->n_events; i++)
		json_array_append(evs, fill_event(w, i, &rep->events[i]));
	json_t *o = w->rep[shape];
	size_t n = json_dumpb(o, w->buf, w->cap, JSON_COMPACT);
	if (n + 1 > w->cap) {
		w->cap = n + 1 > 2 * w->cap ? n + 1 : 2 * w->cap;
		w->buf = xrealloc(w->buf, w->cap);
		n = json_dumpb(o, w->buf, w->cap, JSON_COMPACT);
	}
	if (n == 0)
		return;   /* output_report_json writes nothing either */
	w->buf[n++] = '\n';
	fwrite(w->buf, 1, n, out);
	json_array_clear(evs);
}

static const char *dash(const char *s)
{
	return s && *s ? s : "-";
}

static void name_of(char *buf, size_t n, const char *file, unsigned index)
{
	if (index)
		snprintf(buf, n, "%s#%u", file, index);
	else
		bw_strlcpy(buf, file, n);
}

/* Append s to the line being built; false when it does not fit. */
static bool put(char *buf, size_t cap, size_t *n, const char *s)
{
	size_t l = strlen(s);
	if (l > cap - *n)
		return false;
	memcpy(buf + *n, s, l);
	*n += l;
	return true;
}

/* The name column: file, or file#index (as name_of, without printf). */
static size_t put_name(char *buf, size_t cap, const char *file, unsigned index)
{
	size_t n = strlen(file);
	if (n + 16 > cap) {
		name_of(buf, cap, file, index);
		return strlen(buf);
	}
	memcpy(buf, file, n);
	if (index) {
		char num[16], *p = num + sizeof(num);
		size_t d = 0;
		do {
			*--p = (char)('0' + index % 10);
			d++;
		} while ((index /= 10) != 0);
		buf[n++] = '#';
		memcpy(buf + n, p, d);
		n += d;
	}
	buf[n] = '\0';
	return n;
}

void output_report_text(FILE *out, const char *file, unsigned index, const struct bw_report *rep)
{
	char name[4096];
	size_t nl = put_name(name, sizeof(name), file, index);
	if (rep->n_events == 0) {
		fprintf(out, "%s\t-\t%s\t%s\n", name, bw_verdict_name(rep->verdict),
			rep->error[0] ? rep->error : "-");
		return;
	}
	char line[4096 + 2048];
	for (unsigned i = 0; i < rep->n_events; i++) {
		const struct bw_event *ev = &rep->events[i];
		size_t n = nl;
		memcpy(line, name, nl);
		const char *cols[] = { "\t", ev->recipient, "\t", bw_kind_name(ev->kind), "\t",
				       bw_reason_name(ev->reason), "\t", dash(ev->status), "\t",
				       dash(ev->reply_code), ev->unverified ? "\tunverified" : "", "\n" };
		bool ok = true;
		for (size_t c = 0; ok && c < ARRAY_LEN(cols); c++)
			ok = put(line, sizeof(line), &n, cols[c]);
		if (ok)
			fwrite(line, 1, n, out);
		else
			fprintf(out, "%s\t%s\t%s\t%s\t%s\t%s%s\n", name, ev->recipient,
				bw_kind_name(ev->kind), bw_reason_name(ev->reason), dash(ev->status),
				dash(ev->reply_code), ev->unverified ? "\tunverified" : "");
	}
}

void output_explain(FILE *out, const char *file, unsigned index, const struct bw_report *rep)
{
	char name[4096];
	name_of(name, sizeof(name), file, index);
	fprintf(out, "%s: verdict %s, %u event%s\n", name, bw_verdict_name(rep->verdict), rep->n_events,
		rep->n_events == 1 ? "" : "s");
	if (rep->error[0])
		fprintf(out, "  error: %s\n", rep->error);
	for (unsigned i = 0; i < rep->n_events; i++) {
		const struct bw_event *ev = &rep->events[i];
		fprintf(out, "  event %u: %s kind=%s reason=%s hard=%s status=%s reply=%s detector=%s\n",
			i + 1, ev->recipient, bw_kind_name(ev->kind), bw_reason_name(ev->reason),
			ev->hard ? "true" : "false", dash(ev->status), dash(ev->reply_code), ev->detector);
		if (ev->matched[0])
			fprintf(out, "    matched: %s\n", ev->matched);
		if (ev->diagnostic[0])
			fprintf(out, "    diagnostic: %s\n", ev->diagnostic);
	}
	fprintf(out, "  how:\n");
	for (unsigned i = 0; i < rep->n_trace; i++)
		fprintf(out, "    %s\n", rep->trace[i]);
}
