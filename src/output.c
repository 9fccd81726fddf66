/*
 * output.c - text, JSON lines and explain output of reports.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "json_write.h"
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

/*
 * The JSON lines of reports, written by the streaming writer (json_write.h)
 * with jansson's rules for each field, as output_event_json builds them:
 * text() (null when empty; invalid UTF-8 read as Latin-1), code_or_empty()
 * ("" when absent; null when not UTF-8), str_or_null(), and json_string()
 * for the rest, whose member jansson leaves out when the value is not UTF-8
 * (json_object_set_new refuses the NULL json_string returns).  Inline, so
 * that each key is a literal of known length where it is written.
 */
static inline __attribute__((always_inline)) void
put_text(struct jw *w, const char *key, const char *s)
{
	jw_key(w, key);
	if (s && *s)
		jw_text(w, s, strlen(s));
	else
		jw_null(w);
}

static inline __attribute__((always_inline)) void
put_code(struct jw *w, const char *key, const char *s)
{
	jw_key(w, key);
	if (!s)
		s = "";
	if (!jw_string(w, s, strlen(s)))
		jw_null(w);
}

static inline __attribute__((always_inline)) void
put_string(struct jw *w, const char *key, const char *s)
{
	if (!s)
		return;   /* json_string(NULL) is NULL too */
	struct jw_mark m = jw_mark(w);
	jw_key(w, key);
	if (!jw_string(w, s, strlen(s)))
		jw_rewind(w, m);
}

static inline __attribute__((always_inline)) void
put_string_or_null(struct jw *w, const char *key, const char *s)
{
	if (s && *s) {
		put_string(w, key, s);
	} else {
		jw_key(w, key);
		jw_null(w);
	}
}

static void write_event(struct jw *w, const struct bw_event *ev)
{
	jw_object_begin(w);
	put_text(w, "recipient", ev->recipient);
	put_string(w, "kind", bw_kind_name(ev->kind));
	put_string(w, "reason", bw_reason_name(ev->reason));
	jw_key(w, "hard");
	jw_bool(w, ev->hard);
	put_code(w, "status", ev->status);
	put_code(w, "reply_code", ev->reply_code);
	put_string_or_null(w, "action", ev->action);
	put_text(w, "diagnostic", ev->diagnostic);
	put_text(w, "remote_mta", ev->remote_mta);
	put_text(w, "reporting_mta", ev->reporting_mta);
	if (ev->feedback_type[0])
		put_text(w, "feedback_type", ev->feedback_type);
	jw_key(w, "original");
	jw_object_begin(w);
	put_text(w, "message_id", ev->original.message_id);
	put_text(w, "subject", ev->original.subject);
	put_text(w, "from", ev->original.from);
	put_text(w, "to", ev->original.to);
	put_text(w, "campaign", ev->original.campaign);
	jw_object_end(w);
	put_string(w, "detector", ev->detector);
	put_text(w, "matched", ev->matched);
	if (ev->time) {
		char ts[32];
		bw_format_time(ev->time, ts, sizeof(ts));
		put_string(w, "time", ts);
	} else {
		jw_key(w, "time");
		jw_null(w);
	}
	if (ev->unverified) {
		jw_key(w, "unverified");
		jw_bool(w, true);
	}
	jw_object_end(w);
}

/* One report as a JSON line appended to w. */
static void write_report(struct jw *w, const char *file, unsigned index, const struct bw_report *rep)
{
	jw_object_begin(w);
	put_text(w, "file", file);
	if (index) {
		jw_key(w, "index");
		jw_int(w, index);
	}
	put_text(w, "message_id", rep->message_id);
	put_string(w, "verdict", bw_verdict_name(rep->verdict));
	if (rep->error[0])
		put_string(w, "error", rep->error);
	jw_key(w, "events");
	jw_array_begin(w);
	for (unsigned i = 0; i < rep->n_events; i++)
		write_event(w, &rep->events[i]);
	jw_array_end(w);
	jw_object_end(w);
	jw_newline(w);
}

static void write_out(struct jw *w, FILE *out)
{
	size_t n;
	const char *s = jw_data(w, &n);
	fwrite(s, 1, n, out);
}

void output_report_json(FILE *out, const char *file, unsigned index, const struct bw_report *rep)
{
	struct jw *w = jw_new();
	write_report(w, file, index, rep);
	write_out(w, out);
	jw_free(w);
}

/* The writer of output_json_report keeps its buffer from one report to
 * the next. */
struct bw_json_writer {
	struct jw *jw;   /* owned */
};

struct bw_json_writer *output_json_new(void)
{
	struct bw_json_writer *w = xmalloc(sizeof(*w));
	w->jw = jw_new();
	return w;
}

void output_json_free(struct bw_json_writer *w)
{
	if (!w)
		return;
	jw_free(w->jw);
	free(w);
}

void output_json_report(struct bw_json_writer *w, FILE *out, const char *file, unsigned index,
			const struct bw_report *rep)
{
	jw_reset(w->jw);
	write_report(w->jw, file, index, rep);
	write_out(w->jw, out);
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
