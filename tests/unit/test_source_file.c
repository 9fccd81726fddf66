/*
 * test_source_file.c - splitting an mbox into its messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <unistd.h>

#include "source_file.h"

#define MAXMSG 8

struct got {
	size_t n;
	unsigned index[MAXMSG];
	char *text[MAXMSG];
	int stop_after;         /* return 1 after this many messages (0: never) */
};

static int collect(void *arg, const char *name, unsigned index, const char *raw, size_t len)
{
	struct got *g = arg;
	(void)name;
	assert_true(g->n < MAXMSG);
	g->index[g->n] = index;
	g->text[g->n] = malloc(len + 1);
	assert_non_null(g->text[g->n]);
	memcpy(g->text[g->n], raw, len);
	g->text[g->n][len] = '\0';
	g->n++;
	return g->stop_after && (int)g->n == g->stop_after ? 1 : 0;
}

static void release(struct got *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->text[i]);
}

static struct got split(const char *buf)
{
	struct got g = { 0 };
	assert_int_equal(source_mbox_split("box", buf, strlen(buf), collect, &g), 0);
	return g;
}

/* a From_ line after a blank line starts a message; the From_ line itself
 * is not part of it, the blank line before the next one is */
static void test_two_messages(void **state)
{
	(void)state;
	struct got g = split("From a@example.org Thu Jan  1 00:00:00 2026\nSubject: one\n\nbody 1\n\n"
			     "From b@example.org Fri Jan  2 00:00:00 2026\nSubject: two\n\nbody 2\n");
	assert_int_equal(g.n, 2);
	assert_int_equal(g.index[0], 1);
	assert_int_equal(g.index[1], 2);
	assert_string_equal(g.text[0], "Subject: one\n\nbody 1\n\n");
	assert_string_equal(g.text[1], "Subject: two\n\nbody 2\n");
	release(&g);
}

/* "From " starting a prose line does not split a message; ">From " lines
 * are left as they are */
static void test_prose_from_kept(void **state)
{
	(void)state;
	struct got g = split("From a@example.org Thu Jan  1 00:00:00 2026\nSubject: one\n\n"
			     "Hello,\nFrom what I see the mailbox is full.\n>From here on\n");
	assert_int_equal(g.n, 1);
	assert_string_equal(g.text[0], "Subject: one\n\nHello,\nFrom what I see the mailbox is full.\n>From here on\n");
	release(&g);
}

/* a writer that forgot the blank line: a From_ line of the MTA shape (sender,
 * then a weekday) still splits, prose after a blank line does too */
static void test_strict_from_without_blank(void **state)
{
	(void)state;
	struct got g = split("From a@example.org Thu Jan  1 00:00:00 2026\nSubject: one\n\nbody\n"
			     "From MAILER-DAEMON Mon Feb  3 10:00:00 2025\nSubject: two\n\nx\n");
	assert_int_equal(g.n, 2);
	assert_string_equal(g.text[0], "Subject: one\n\nbody\n");
	assert_string_equal(g.text[1], "Subject: two\n\nx\n");
	release(&g);
	g = split("From a@example.org Thu Jan  1 00:00:00 2026\nSubject: one\n\nbody\n"
		  "From the desk of nobody\n");
	assert_int_equal(g.n, 1);
	release(&g);
}

/* CRLF files split on their LFs and a "\r" line is blank; CR-only files
 * split on CR */
static void test_line_ends(void **state)
{
	(void)state;
	struct got g = split("From a@x Thu Jan  1 00:00:00 2026\r\nSubject: one\r\n\r\nb1\r\n\r\n"
			     "From b@x Thu Jan  1 00:00:00 2026\r\nSubject: two\r\n\r\nb2\r\n");
	assert_int_equal(g.n, 2);
	assert_string_equal(g.text[0], "Subject: one\r\n\r\nb1\r\n\r\n");
	assert_string_equal(g.text[1], "Subject: two\r\n\r\nb2\r\n");
	release(&g);
	g = split("From a@x Thu Jan  1 00:00:00 2026\rSubject: one\r\rb1\r\r"
		  "From b@x whenever\rSubject: two\r\rb2\r");
	assert_int_equal(g.n, 2);
	assert_string_equal(g.text[0], "Subject: one\r\rb1\r\r");
	assert_string_equal(g.text[1], "Subject: two\r\rb2\r");
	release(&g);
}

/* edge cases: a From_ line alone, one with no line end, empty messages
 * between two From_ lines, and a callback that stops the walk */
static void test_edges(void **state)
{
	(void)state;
	struct got g = split("From a@x Thu Jan  1 00:00:00 2026\n");
	assert_int_equal(g.n, 0);
	release(&g);
	g = split("From a@x Thu Jan  1 00:00:00 2026");
	assert_int_equal(g.n, 0);
	release(&g);
	g = split("From a@x Thu Jan  1 00:00:00 2026\nA: 1\n\nFrom b@x Thu Jan  1 00:00:00 2026\n\n"
		  "From c@x Thu Jan  1 00:00:00 2026\nC: 3");
	assert_int_equal(g.n, 3);
	assert_string_equal(g.text[0], "A: 1\n\n");
	assert_string_equal(g.text[1], "\n");
	assert_string_equal(g.text[2], "C: 3");
	assert_int_equal(g.index[2], 3);
	release(&g);

	const char *box = "From a@x Thu Jan  1 00:00:00 2026\nA: 1\n\nFrom b@x Thu Jan  1 00:00:00 2026\nB: 2\n";
	g = (struct got){ .stop_after = 1 };
	assert_int_equal(source_mbox_split("box", box, strlen(box), collect, &g), 1);
	assert_int_equal(g.n, 1);
	release(&g);
}

/* --- the streamed split against the split of the whole buffer ---------- */

/* Every message as one record: index, length, bytes; appended to a
 * growing buffer, so two runs compare as two byte strings. */
struct trail {
	char *data;
	size_t len, cap;
	unsigned msgs, stop_after;
};

static void trail_add(struct trail *t, const void *p, size_t n)
{
	if (t->len + n > t->cap) {
		t->cap = (t->len + n) * 2;
		t->data = realloc(t->data, t->cap);
		assert_non_null(t->data);
	}
	memcpy(t->data + t->len, p, n);
	t->len += n;
}

static int record(void *arg, const char *name, unsigned index, const char *raw, size_t len)
{
	struct trail *t = arg;
	assert_string_equal(name, "box");
	trail_add(t, &index, sizeof(index));
	trail_add(t, &len, sizeof(len));
	trail_add(t, raw, len);
	t->msgs++;
	return t->stop_after && t->msgs == t->stop_after ? 7 : 0;
}

/* Random mboxes from the lines that decide a split (From_ lines after a
 * blank line or none, strict and loose ones, ">From", CRLF, lines that
 * begin with 'F', empty messages, no final line end), read through chunks
 * of 1 to 200 bytes, against source_mbox_split on the whole. */
static void test_stream_random(void **state)
{
	(void)state;
	static const char *const lines[] = {
		"From a@example.org Thu Jan  1 00:00:00 2026\n", "From b@x Mon Feb  2 10:00:00 2026\r\n",
		"From prose, not a separator\n", "From  Tue\n", "From x\tWed Jan\n", ">From quoted\n", "\n", "\r\n",
		"Subject: hi\n", "Fine.\n", "F\n", "Fr", "body text that runs on for a while and a while\n",
		"From ", "From c@d Sun Mar  3 03:03:03 2026\n\n", "\nFrom e@f Sat Apr  4 04:04:04 2026\n",
	};
	static char box[20000];
	srand(2026);
	for (int round = 0; round < 3000; round++) {
		size_t n = (size_t)snprintf(box, sizeof(box), "From first@example.org Thu Jan  1 00:00:00 2026\n");
		int k = rand() % 60;
		for (int i = 0; i < k; i++) {
			const char *l = lines[rand() % (int)(sizeof(lines) / sizeof(lines[0]))];
			size_t ll = strlen(l);
			if (n + ll >= sizeof(box))
				break;
			memcpy(box + n, l, ll);
			n += ll;
		}
		if (rand() % 3 == 0)
			while (n > 0 && (box[n - 1] == '\n' || box[n - 1] == '\r'))
				n--;
		struct trail want = { 0 }, got = { 0 };
		want.stop_after = got.stop_after = rand() % 4 == 0 ? 1 + (unsigned)(rand() % 3) : 0;
		int rw = source_mbox_split("box", box, n, record, &want);
		FILE *f = tmpfile();
		assert_non_null(f);
		assert_int_equal(fwrite(box, 1, n, f), n);
		fflush(f);
		rewind(f);
		int error = -1;
		int rg = source_mbox_stream("box", fileno(f), 1 + (size_t)(rand() % 200), record, &got, &error);
		fclose(f);
		if (!memchr(box, '\n', n)) {
			/* one line with no LF: the caller maps such a file */
			assert_int_equal(error, EINVAL);
			assert_int_equal(got.msgs, 0);
			free(want.data);
			continue;
		}
		assert_int_equal(error, 0);
		assert_int_equal(rg, rw);
		assert_int_equal(got.msgs, want.msgs);
		assert_int_equal(got.len, want.len);
		assert_memory_equal(got.data, want.data, want.len);
		free(want.data);
		free(got.data);
	}
}

/* What the stream does not take: no mbox, no LF in the first chunk. */
static void test_stream_refuses(void **state)
{
	(void)state;
	static const char *const texts[] = { "Subject: not an mbox\n\nhi\n", "From x Mon\rSubject: cr\r\rhi\r", "Fro" };
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		FILE *f = tmpfile();
		assert_non_null(f);
		fputs(texts[i], f);
		fflush(f);
		rewind(f);
		struct trail got = { 0 };
		int error = 0;
		assert_int_equal(source_mbox_stream("box", fileno(f), 64, record, &got, &error), 0);
		assert_int_equal(error, EINVAL);
		assert_int_equal(got.msgs, 0);
		fclose(f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_messages),
		cmocka_unit_test(test_prose_from_kept),
		cmocka_unit_test(test_strict_from_without_blank),
		cmocka_unit_test(test_line_ends),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_stream_random),
		cmocka_unit_test(test_stream_refuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
