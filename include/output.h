/*
 * output.h - reports for people (one line per event), for scripts (JSON
 * lines, the format score.py reads) and for `explain`.
 */
#ifndef BW_OUTPUT_H
#define BW_OUTPUT_H

#include <jansson.h>
#include <stdio.h>

#include "classify.h"

/* A JSON string of untrusted text (NULL is ""): invalid UTF-8 is read as
 * Latin-1 rather than refused.  New reference. */
json_t *output_json_string(const char *s);

/* The JSON object of one event (SPEC §3 field names).  New reference. */
json_t *output_event_json(const struct bw_event *ev);

/* {"file", "message_id", "verdict", "events": [...]} as one line, the
 * events as output_event_json builds them (written by json_write.h, not
 * built with jansson: the same bytes as json_dumps(JSON_COMPACT) of those
 * objects).  index > 0 adds "index" (the message's place in an mbox). */
void output_report_json(FILE *out, const char *file, unsigned index, const struct bw_report *rep);

/* The same lines as output_report_json, byte for byte, written by a writer
 * that keeps its output buffer from one report to the next (for many
 * reports in a row: `parse --json`).  Not thread-safe: one writer per
 * thread.  output_json_free(NULL) is a no-op. */
struct bw_json_writer;
struct bw_json_writer *output_json_new(void);
void output_json_free(struct bw_json_writer *w);
void output_json_report(struct bw_json_writer *w, FILE *out, const char *file, unsigned index,
			const struct bw_report *rep);

/* One line per event: file, recipient, kind, reason, status, reply code. */
void output_report_text(FILE *out, const char *file, unsigned index, const struct bw_report *rep);

/* The verdict, every event, and the explain lines that led to them. */
void output_explain(FILE *out, const char *file, unsigned index, const struct bw_report *rep);

#endif
