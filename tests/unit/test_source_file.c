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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_messages),
		cmocka_unit_test(test_prose_from_kept),
		cmocka_unit_test(test_strict_from_without_blank),
		cmocka_unit_test(test_line_ends),
		cmocka_unit_test(test_edges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
