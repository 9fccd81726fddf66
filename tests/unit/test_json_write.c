/*
 * test_json_write.c - the streaming JSON writer against jansson, the oracle:
 * strings of random bytes (control characters, quotes, backslashes, DEL,
 * valid and broken UTF-8: overlong forms, surrogates, 4-byte sequences,
 * beyond U+10FFFF, cut sequences) come out byte for byte as json_dumps
 * (JSON_COMPACT) writes them, and parse back to the intended text; whole
 * report lines are the bytes the jansson-built objects gave.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "json_write.h"
#include "output.h"
#include "util.h"

/* ------------------------------------------------------------ random text */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)((rng >> 16) % n);
}

/* The pieces random text is made of, each chosen as a whole. */
static const char *const pieces[] = {
	"a", "Z", "0", " ", "/", "\"", "\\", "\x7f", "\x01", "\x08", "\x09", "\x0a", "\x0b", "\x0c",
	"\x0d", "\x1b", "\x1f", "\xc3\xa9", "\xc2\x80", "\xdf\xbf", "\xe2\x82\xac", "\xef\xbf\xbf",
	"\xe0\xa0\x80", "\xf0\x9f\x98\x80", "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf",
	"\xc0\x80", "\xc1\xbf", "\xe0\x80\x80", "\xe0\x9f\xbf", "\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf",
	"\xed\xa0\x80", "\xed\xbf\xbf", "\xed\x9f\xbf", "\xee\x80\x80",
	"\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xf8\x88\x80\x80\x80", "\xfe", "\xff",
	"\x80", "\xbf", "\xc3", "\xe2\x82", "\xf0\x9f\x98", "\xc3\x28", "\xe2\x28\xa1",
	"user@example.org", "550 5.1.1 ", "mailbox unavailable; ",
};

/* NUL-terminated random text of at most max bytes (max < cap); mostly
 * plain ASCII runs, so that the 16-byte blocks and their ends are met. */
static size_t rand_text(char *buf, size_t cap, size_t max)
{
	size_t n = 0, want = rnd(4) ? rnd((uint32_t)max + 1) : rnd(24);
	unsigned plainness = rnd(4);   /* 0: all pieces; 3: mostly long plain runs */
	while (n < want) {
		const char *p;
		char run[64];
		if (rnd(4) < plainness) {
			size_t l = 1 + rnd(40);
			for (size_t i = 0; i < l; i++)
				run[i] = (char)(0x20 + rnd(0x5f));   /* printable, '"' and '\' too */
			run[l] = '\0';
			p = run;
		} else {
			p = pieces[rnd(ARRAY_LEN(pieces))];
		}
		size_t l = strlen(p);
		if (n + l > want)
			break;
		memcpy(buf + n, p, l);
		n += l;
	}
	assert_true(n < cap);
	buf[n] = '\0';
	return n;
}

/* ------------------------------------------------------------ oracles */

/* What jansson writes for the JSON value v (a new reference, consumed). */
static char *dump(json_t *v)
{
	assert_non_null(v);
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(v);
	assert_non_null(s);
	return s;
}

/* The writer's text so far as a malloc'd string. */
static char *take(struct jw *w)
{
	size_t n;
	const char *s = jw_data(w, &n);
	assert_int_equal(strlen(s), n);
	return strdup(s);
}

/* The text output_json_string means: s itself when jansson takes it as
 * UTF-8, else each byte as its Latin-1 character. */
static char *intended(const char *s)
{
	json_t *j = json_string(s);
	if (j) {
		json_decref(j);
		return strdup(s);
	}
	char *u = malloc(2 * strlen(s) + 1), *d = u;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x80) {
			*d++ = (char)*p;
		} else {
			*d++ = (char)(0xc0 | (*p >> 6));
			*d++ = (char)(0x80 | (*p & 0x3f));
		}
	}
	*d = '\0';
	return u;
}

/* The JSON text out parses (jansson) to the string want[0..n). */
static void parses_to(const char *out, const char *want, size_t n)
{
	json_error_t err;
	json_t *v = json_loads(out, JSON_DECODE_ANY, &err);
	assert_non_null(v);
	assert_true(json_is_string(v));
	assert_int_equal(json_string_length(v), n);
	assert_memory_equal(json_string_value(v), want, n);
	json_decref(v);
}

/* jw_text and jw_string on s against jansson, and parsed back. */
static void check_string(struct jw *w, const char *s)
{
	size_t n = strlen(s);
	jw_reset(w);
	jw_text(w, s, n);
	char *ours = take(w), *theirs = dump(output_json_string(s));
	assert_string_equal(ours, theirs);
	char *want = intended(s);
	parses_to(ours, want, strlen(want));
	free(want);
	free(ours);
	free(theirs);

	jw_reset(w);
	json_t *j = json_stringn(s, n);
	bool ok = jw_string(w, s, n);
	assert_int_equal(ok, j != NULL);
	ours = take(w);
	if (j) {
		theirs = dump(j);
		assert_string_equal(ours, theirs);
		parses_to(ours, s, n);
		free(theirs);
	} else {
		assert_string_equal(ours, "");   /* refused: nothing written */
	}
	free(ours);
}

/* ------------------------------------------------------------ strings */

static void test_string_examples(void **state)
{
	(void)state;
	static const struct { const char *in, *text, *str; } cases[] = {
		{ "", "\"\"", "\"\"" },
		{ "plain", "\"plain\"", "\"plain\"" },
		{ "a\"b\\c/d\x7f", "\"a\\\"b\\\\c/d\x7f\"", "\"a\\\"b\\\\c/d\x7f\"" },
		{ "\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"", "\"\\b\\f\\n\\r\\t\"" },
		{ "\x01\x0b\x1b\x1f", "\"\\u0001\\u000B\\u001B\\u001F\"", "\"\\u0001\\u000B\\u001B\\u001F\"" },
		{ "caf\xc3\xa9 \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"", "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"" },
		/* not UTF-8: Latin-1 for text, refused as a string */
		{ "caf\xe9", "\"caf\xc3\xa9\"", "" },
		{ "\xc0\x80", "\"\xc3\x80\xc2\x80\"", "" },            /* overlong NUL */
		{ "\xed\xa0\x80", "\"\xc3\xad\xc2\xa0\xc2\x80\"", "" },  /* surrogate */
		{ "\xf4\x90\x80\x80", "\"\xc3\xb4\xc2\x90\xc2\x80\xc2\x80\"", "" },   /* > U+10FFFF */
		{ "ok \xc3\xa9 then \xff\n", "\"ok \xc3\x83\xc2\xa9 then \xc3\xbf\\n\"", "" },
	};
	struct jw *w = jw_new();
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		jw_reset(w);
		jw_text(w, cases[i].in, strlen(cases[i].in));
		char *s = take(w);
		assert_string_equal(s, cases[i].text);
		free(s);
		jw_reset(w);
		assert_int_equal(jw_string(w, cases[i].in, strlen(cases[i].in)), cases[i].str[0] != '\0');
		s = take(w);
		assert_string_equal(s, cases[i].str);
		free(s);
		check_string(w, cases[i].in);
	}
	/* a NUL inside a counted string is a control character too */
	jw_reset(w);
	assert_true(jw_string(w, "a\0b", 3));
	size_t n;
	assert_memory_equal(jw_data(w, &n), "\"a\\u0000b\"", 10);
	assert_int_equal(n, 10);
	jw_free(w);
	jw_free(NULL);
}

/* Every length up to 50, with one byte of each kind at every place in a
 * plain text: each path through the block copy and its short forms. */
static void test_string_every_place(void **state)
{
	(void)state;
	static const char *const odd[] = { "\"", "\\", "\x01", "\x1f", "\x7f", "\xc3\xa9", "\xe9",
					   "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xed\xa0\x80", "\xc3" };
	struct jw *w = jw_new();
	char s[128];
	for (size_t len = 0; len <= 50; len++) {
		for (size_t at = 0; at <= len; at++) {
			for (size_t k = 0; k < ARRAY_LEN(odd); k++) {
				size_t ol = strlen(odd[k]);
				memset(s, 'x', len);
				s[len] = '\0';
				if (at + ol <= len)
					memcpy(s + at, odd[k], ol);
				check_string(w, s);
			}
		}
	}
	jw_free(w);
}

static void test_string_random(void **state)
{
	(void)state;
	struct jw *w = jw_new();
	char s[1200];
	for (int round = 0; round < 15000; round++) {
		rand_text(s, sizeof(s), 1100);
		check_string(w, s);
	}
	jw_free(w);
}

/* Members in a row share one buffer: the texts end where they should. */
static void test_string_sequence(void **state)
{
	(void)state;
	struct jw *w = jw_new();
	char s[400];
	for (int round = 0; round < 2000; round++) {
		jw_reset(w);
		json_t *a = json_array();
		jw_array_begin(w);
		unsigned n = rnd(12);
		for (unsigned i = 0; i < n; i++) {
			rand_text(s, sizeof(s), 300);
			jw_text(w, s, strlen(s));
			json_array_append_new(a, output_json_string(s));
		}
		jw_array_end(w);
		char *ours = take(w), *theirs = dump(a);
		assert_string_equal(ours, theirs);
		free(ours);
		free(theirs);
	}
	jw_free(w);
}

/* A text far longer than the first buffer, all of it escaped. */
static void test_string_long(void **state)
{
	(void)state;
	size_t n = 200000;
	char *s = malloc(n + 1);
	for (size_t i = 0; i < n; i++)
		s[i] = (char)(i % 3 ? 0x01 : 0xff);
	s[n] = '\0';
	struct jw *w = jw_new();
	check_string(w, s);
	jw_free(w);
	free(s);
}

/* ------------------------------------------------------------ structure */

static void test_structure(void **state)
{
	(void)state;
	struct jw *w = jw_new();
	jw_object_begin(w);
	jw_key(w, "a");
	jw_int(w, 0);
	jw_key(w, "b");
	jw_array_begin(w);
	jw_int(w, INT64_MIN);
	jw_int(w, INT64_MAX);
	jw_int(w, -1);
	jw_int(w, 4294967295);
	jw_null(w);
	jw_bool(w, true);
	jw_bool(w, false);
	jw_array_begin(w);
	jw_array_end(w);
	jw_object_begin(w);
	jw_object_end(w);
	jw_array_end(w);
	jw_key(w, "c");
	jw_object_begin(w);
	jw_key(w, "d");
	jw_string(w, "e", 1);
	jw_object_end(w);
	/* a member taken back: as if never written */
	struct jw_mark m = jw_mark(w);
	jw_key(w, "gone");
	assert_false(jw_string(w, "\xff", 1));
	jw_rewind(w, m);
	jw_key(w, "f");
	jw_text(w, "\xff", 1);
	jw_object_end(w);
	char *ours = take(w);
	json_t *o = json_pack("{s:I, s:[I, I, I, I, n, b, b, [], {}], s:{s:s}, s:s}", "a", (json_int_t)0,
		      "b", (json_int_t)INT64_MIN, (json_int_t)INT64_MAX, (json_int_t)-1,
		      (json_int_t)4294967295, 1, 0, "c", "d", "e", "f", "\xc3\xbf");
	char *theirs = dump(o);
	assert_string_equal(ours, theirs);
	assert_string_equal(ours, "{\"a\":0,\"b\":[-9223372036854775808,9223372036854775807,-1,"
			    "4294967295,null,true,false,[],{}],\"c\":{\"d\":\"e\"},\"f\":\"\xc3\xbf\"}");
	free(ours);
	free(theirs);

	/* JSON lines: a new text after the newline, no ',' between them */
	jw_reset(w);
	jw_object_begin(w);
	jw_object_end(w);
	jw_newline(w);
	jw_null(w);
	jw_newline(w);
	ours = take(w);
	assert_string_equal(ours, "{}\nnull\n");
	free(ours);
	jw_free(w);
}

/* ------------------------------------------------------------ reports */

/* The report line as output.c built it before json_write: jansson
 * objects (output_event_json, still jansson's) dumped with JSON_COMPACT. */
static json_t *old_text(const char *s)
{
	return s && *s ? output_json_string(s) : json_null();
}

static char *old_report_json(const char *file, unsigned index, const struct bw_report *rep)
{
	json_t *o = json_object();
	json_object_set_new(o, "file", old_text(file));
	if (index)
		json_object_set_new(o, "index", json_integer(index));
	json_object_set_new(o, "message_id", old_text(rep->message_id));
	json_object_set_new(o, "verdict", json_string(bw_verdict_name(rep->verdict)));
	if (rep->error[0])
		json_object_set_new(o, "error", json_string(rep->error));
	json_t *evs = json_array();
	for (unsigned i = 0; i < rep->n_events; i++)
		json_array_append_new(evs, output_event_json(&rep->events[i]));
	json_object_set_new(o, "events", evs);
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	assert_non_null(s);
	size_t n = strlen(s);
	s = realloc(s, n + 2);
	memcpy(s + n, "\n", 2);
	return s;
}

/* A field of random text, often empty, sometimes plain (as most are). */
static void rand_field(char *dst, size_t size)
{
	char s[1200];
	switch (rnd(5)) {
	case 0:
		dst[0] = '\0';
		return;
	case 1:
		bw_strlcpy(dst, "plain-ascii.example.org", size);
		return;
	default:
		rand_text(s, sizeof(s), size - 1);
		bw_strlcpy(dst, s, size);   /* may cut a UTF-8 sequence: so be it */
	}
}

#define RAND_FIELD(f) rand_field((f), sizeof(f))

static void rand_event(struct bw_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	RAND_FIELD(ev->recipient);
	ev->kind = (enum bw_kind)rnd(BW_KIND__COUNT + 1);
	ev->reason = (enum bw_reason)rnd(BW_R__COUNT + 1);
	ev->hard = rnd(2);
	RAND_FIELD(ev->status);
	RAND_FIELD(ev->reply_code);
	RAND_FIELD(ev->action);
	RAND_FIELD(ev->diagnostic);
	RAND_FIELD(ev->remote_mta);
	RAND_FIELD(ev->reporting_mta);
	if (rnd(3) == 0)
		RAND_FIELD(ev->feedback_type);
	RAND_FIELD(ev->detector);
	RAND_FIELD(ev->matched);
	RAND_FIELD(ev->original.message_id);
	RAND_FIELD(ev->original.subject);
	RAND_FIELD(ev->original.from);
	RAND_FIELD(ev->original.to);
	RAND_FIELD(ev->original.campaign);
	ev->time = rnd(3) ? (time_t)rnd(2000000000) * 2 : 0;
	ev->unverified = rnd(4) == 0;
}

static void rand_report(struct bw_report *rep, char *file, size_t file_size, unsigned *index)
{
	memset(rep, 0, sizeof(*rep));
	rep->verdict = (enum bw_verdict)rnd(BW_VERDICT__COUNT + 1);
	RAND_FIELD(rep->message_id);
	if (rnd(4) == 0)
		RAND_FIELD(rep->error);
	rep->n_events = rnd(5);
	rep->events = calloc(rep->n_events + 1, sizeof(*rep->events));
	for (unsigned i = 0; i < rep->n_events; i++)
		rand_event(&rep->events[i]);
	rand_field(file, file_size);
	*index = rnd(2) ? 0 : (rnd(2) ? 1 + rnd(5000) : UINT32_MAX - rnd(3));
}

/* What out's writer put in the memory stream since the last call. */
static char *drain(FILE *out, char **buf, size_t *len, size_t *seen)
{
	assert_int_equal(fflush(out), 0);
	char *s = strndup(*buf + *seen, *len - *seen);
	*seen = *len;
	return s;
}

static void test_report_random(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t len = 0, seen = 0;
	FILE *out = open_memstream(&buf, &len);
	assert_non_null(out);
	struct bw_json_writer *jw = output_json_new();
	for (int round = 0; round < 2500; round++) {
		struct bw_report rep;
		char file[300];
		unsigned index;
		rand_report(&rep, file, sizeof(file), &index);
		char *want = old_report_json(file, index, &rep);
		/* the kept writer, many reports in a row */
		output_json_report(jw, out, file, index, &rep);
		char *got = drain(out, &buf, &len, &seen);
		assert_string_equal(got, want);
		free(got);
		/* the one-shot form */
		output_report_json(out, file, index, &rep);
		got = drain(out, &buf, &len, &seen);
		assert_string_equal(got, want);
		free(got);
		/* and it reads back: the recipient of each event, as meant */
		json_t *o = json_loads(want, 0, NULL);
		assert_non_null(o);
		json_t *evs = json_object_get(o, "events");
		assert_int_equal(json_array_size(evs), rep.n_events);
		for (unsigned i = 0; i < rep.n_events; i++) {
			json_t *r = json_object_get(json_array_get(evs, i), "recipient");
			if (!rep.events[i].recipient[0]) {
				assert_true(json_is_null(r));
			} else {
				char *meant = intended(rep.events[i].recipient);
				assert_string_equal(json_string_value(r), meant);
				free(meant);
			}
		}
		json_decref(o);
		free(want);
		free(rep.events);
	}
	output_json_free(jw);
	output_json_free(NULL);
	fclose(out);
	free(buf);
}

/* The shapes jansson leaves members out of: an action, detector or error
 * that is not UTF-8; a status that is not UTF-8 is null. */
static void test_report_dropped_members(void **state)
{
	(void)state;
	struct bw_event ev;
	memset(&ev, 0, sizeof(ev));
	strcpy(ev.recipient, "a@b.example");
	strcpy(ev.action, "fail\xff" "ed");
	strcpy(ev.status, "5.\xe9.1");
	strcpy(ev.detector, "x\xc3");
	struct bw_report rep;
	memset(&rep, 0, sizeof(rep));
	rep.events = &ev;
	rep.n_events = 1;
	strcpy(rep.error, "bad \xfe");
	char *buf = NULL;
	size_t len = 0, seen = 0;
	FILE *out = open_memstream(&buf, &len);
	output_report_json(out, "f.eml", 0, &rep);
	char *got = drain(out, &buf, &len, &seen);
	char *want = old_report_json("f.eml", 0, &rep);
	assert_string_equal(got, want);
	assert_null(strstr(got, "\"action\""));
	assert_null(strstr(got, "\"detector\""));
	assert_null(strstr(got, "\"error\""));
	assert_non_null(strstr(got, "\"status\":null"));
	free(got);
	free(want);
	fclose(out);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_string_examples),
		cmocka_unit_test(test_string_every_place),
		cmocka_unit_test(test_string_random),
		cmocka_unit_test(test_string_sequence),
		cmocka_unit_test(test_string_long),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_report_random),
		cmocka_unit_test(test_report_dropped_members),
	};
	return cmocka_run_group_tests_name("json_write", tests, NULL, NULL);
}
