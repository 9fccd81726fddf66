/*
 * output.c - text, JSON lines and explain output of reports.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "output.h"

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

/* json_string refuses invalid UTF-8: fall back to a Latin-1 reading. */
static json_t *text(const char *s)
{
	if (!s || !*s)
		return json_null();
	json_t *j = json_string(s);
	if (j)
		return j;
	size_t n = strlen(s);
	char *u = malloc(n * 2 + 1), *w = u;
	if (!u)
		return json_null();
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
	return j ? j : json_null();
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

static const char *dash(const char *s)
{
	return s && *s ? s : "-";
}

static void name_of(char *buf, size_t n, const char *file, unsigned index)
{
	if (index)
		snprintf(buf, n, "%s#%u", file, index);
	else
		snprintf(buf, n, "%s", file);
}

void output_report_text(FILE *out, const char *file, unsigned index, const struct bw_report *rep)
{
	char name[4096];
	name_of(name, sizeof(name), file, index);
	if (rep->n_events == 0) {
		fprintf(out, "%s\t-\t%s\t%s\n", name, bw_verdict_name(rep->verdict),
			rep->error[0] ? rep->error : "-");
		return;
	}
	for (unsigned i = 0; i < rep->n_events; i++) {
		const struct bw_event *ev = &rep->events[i];
		fprintf(out, "%s\t%s\t%s\t%s\t%s\t%s%s\n", name, ev->recipient, bw_kind_name(ev->kind),
			bw_reason_name(ev->reason), dash(ev->status), dash(ev->reply_code),
			ev->unverified ? "\tunverified" : "");
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
