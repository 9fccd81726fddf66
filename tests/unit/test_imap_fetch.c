/*
 * test_imap_fetch.c - the FETCH reply reader on canned replies, fed in
 * chunks of every size from 1 byte up (a response may end anywhere in a
 * read), and the command it answers.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "imap_fetch.h"

struct mem {
	const char *p;
	size_t len, off, chunk;
};

static ssize_t mem_read(void *arg, char *buf, size_t max)
{
	struct mem *m = arg;
	size_t n = m->len - m->off;
	if (n == 0)
		return -1;
	if (n > m->chunk)
		n = m->chunk;
	if (n > max)
		n = max;
	memcpy(buf, m->p + m->off, n);
	m->off += n;
	return (ssize_t)n;
}

static enum imap_fetch_rc run(const char *reply, size_t chunk, size_t max_msgs, size_t max_lit,
			      struct imap_fetch_reply *out)
{
	static struct mem m;
	m = (struct mem){ reply, strlen(reply), 0, chunk };
	struct imap_fetch_src src = { mem_read, &m };
	return imap_fetch_read(&src, "bw7", max_msgs, max_lit, out);
}

static const char normal[] =
	"* 1 FETCH (UID 10 BODY[]<0> {12}\r\nFrom: a\r\n\r\nx)\r\n"
	"* 4 EXISTS\r\n"
	"* 2 FETCH (FLAGS (\\Seen \\Recent))\r\n"                   /* unsolicited: no UID */
	"* 3 FETCH (BODY[]<0> {5}\r\nab)cd UID 12 FLAGS ())\r\n"     /* UID after the body */
	"* 4 FETCH (UID 13 RFC822.SIZE 4 BODY[]<0> \"q\\\"t\")\r\n"  /* a quoted body */
	"* 5 fetch (uid 14 body[]<0> NIL)\r\n"                     /* no body: not kept */
	"* 6 FETCH (UID 15 BODY[HEADER] {4}\r\nh: v BODY[]<0> {3}\r\nxyz)\r\n"
	"* OK [HIGHESTMODSEQ 9] {2}\r\nzz\r\n"                     /* a literal in another response */
	"bw7 OK Fetch completed (0.001 + 0.000 secs).\r\n"
	"* 9 EXISTS\r\n";

/* The same reply however it is cut into reads. */
static void test_normal_every_chunk(void **state)
{
	(void)state;
	for (size_t chunk = 1; chunk <= sizeof normal; chunk++) {
		struct imap_fetch_reply r;
		assert_int_equal(run(normal, chunk, 100, 1000, &r), IMAP_FETCH_OK);
		assert_int_equal(r.n, 4);
		assert_int_equal(r.msg[0].uid, 10);
		assert_int_equal(r.msg[0].len, 12);
		assert_memory_equal(r.msg[0].data, "From: a\r\n\r\nx", 13);   /* and its NUL */
		assert_int_equal(r.msg[1].uid, 12);
		assert_int_equal(r.msg[1].len, 5);
		assert_string_equal(r.msg[1].data, "ab)cd");
		assert_int_equal(r.msg[2].uid, 13);
		assert_string_equal(r.msg[2].data, "q\"t");
		assert_int_equal(r.msg[3].uid, 15);
		assert_string_equal(r.msg[3].data, "xyz");
		assert_string_equal(r.text, "OK Fetch completed (0.001 + 0.000 secs).");
		/* what came after the tagged line is given back, whole */
		assert_true(r.rest_len <= strlen("* 9 EXISTS\r\n"));
		if (chunk >= sizeof normal)
			assert_memory_equal(r.rest, "* 9 EXISTS\r\n", r.rest_len);
		imap_fetch_reply_free(&r);
	}
}

static void test_no(void **state)
{
	(void)state;
	struct imap_fetch_reply r;
	assert_int_equal(run("* 1 FETCH (UID 3 BODY[]<0> {1}\r\na)\r\nbw7 NO [SERVERBUG] Internal error\r\n",
			     7, 10, 10, &r), IMAP_FETCH_NO);
	assert_string_equal(r.text, "NO [SERVERBUG] Internal error");
	assert_int_equal(r.n, 1);
	imap_fetch_reply_free(&r);
	assert_int_equal(run("bw7 BAD Error in IMAP command\r\n", 3, 10, 10, &r), IMAP_FETCH_NO);
	imap_fetch_reply_free(&r);
	/* another tag is not ours: not a response we know */
	assert_int_equal(run("bw70 OK done\r\n", 3, 10, 10, &r), IMAP_FETCH_PARSE);
	imap_fetch_reply_free(&r);
}

/* The connection ends, or the server says BYE: STREAM, wherever it stops. */
static void test_stream(void **state)
{
	(void)state;
	static const char full[] = "* 1 FETCH (UID 3 BODY[]<0> {10}\r\n0123456789)\r\nbw7 OK done\r\n";
	for (size_t cut = 0; cut < sizeof full - 1; cut++) {
		char part[sizeof full];
		memcpy(part, full, cut);
		part[cut] = '\0';
		struct imap_fetch_reply r;
		assert_int_equal(run(part, 4, 10, 100, &r), IMAP_FETCH_STREAM);
		assert_true(r.n == 0 || cut >= strlen("* 1 FETCH (UID 3 BODY[]<0> {10}\r\n0123456789)"));
		imap_fetch_reply_free(&r);
	}
	struct imap_fetch_reply r;
	assert_int_equal(run("* BYE shutting down\r\n", 100, 10, 10, &r), IMAP_FETCH_STREAM);
	assert_non_null(strstr(r.text, "BYE"));
	imap_fetch_reply_free(&r);
}

/* What is not IMAP, or past a bound, ends the reply: PARSE, nothing kept
 * that is not whole. */
static void test_bounds(void **state)
{
	(void)state;
	struct imap_fetch_reply r;
	/* a literal longer than asked for */
	assert_int_equal(run("* 1 FETCH (UID 3 BODY[]<0> {101}\r\n", 100, 10, 100, &r), IMAP_FETCH_PARSE);
	assert_int_equal(r.n, 0);
	imap_fetch_reply_free(&r);
	assert_int_equal(run("* 1 FETCH (UID 3 BODY[]<0> {99999999999999999999}\r\n", 100, 10, 100, &r),
			 IMAP_FETCH_PARSE);
	imap_fetch_reply_free(&r);
	/* not a response */
	assert_int_equal(run("HTTP/1.1 200 OK\r\n", 100, 10, 100, &r), IMAP_FETCH_PARSE);
	imap_fetch_reply_free(&r);
	assert_int_equal(run("+ go ahead\r\n", 100, 10, 100, &r), IMAP_FETCH_PARSE);
	imap_fetch_reply_free(&r);
	/* malformed FETCH responses */
	static const char *const bad[] = {
		"* 1 FETCH (UID 3 BODY[]<0> {1}\r\na\r\n",               /* the list never closes */
		"* 1 FETCH (UID 99999999999 BODY[]<0> {1}\r\na)\r\n",    /* UID past 32 bits */
		"* 1 FETCH (UID 3 BODY[]<0> \"open)\r\n",                /* unterminated string */
		"* 1 FETCH (UID 3 BODY[<0> {1}\r\na)\r\n",               /* unclosed section */
		"* 1 FETCH (UID 3 FLAGS ((((((((((x))))))))))\r\n",      /* nested too deep */
		"* 1 FETCH (UID)\r\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char buf[200];
		snprintf(buf, sizeof buf, "%sbw7 OK done\r\n", bad[i]);
		assert_int_equal(run(buf, 5, 10, 100, &r), IMAP_FETCH_PARSE);
		assert_int_equal(r.n, 0);
		imap_fetch_reply_free(&r);
	}
	/* a line longer than the buffer */
	size_t big = IMAP_FETCH_LINE_MAX + 10;
	char *line = malloc(big + 20);
	memset(line, 'a', big);
	memcpy(line, "* OK ", 5);
	strcpy(line + big, "\r\nbw7 OK done\r\n");
	assert_int_equal(run(line, 4096, 10, 100, &r), IMAP_FETCH_PARSE);
	imap_fetch_reply_free(&r);
	free(line);
	/* more messages than asked for: the first max_msgs are kept */
	char many[2000] = "";
	for (int i = 1; i <= 20; i++)
		snprintf(many + strlen(many), sizeof many - strlen(many),
			 "* %d FETCH (UID %d BODY[]<0> {2}\r\nm%d)\r\n", i, i, i % 10);
	strcat(many, "bw7 OK done\r\n");
	assert_int_equal(run(many, 13, 5, 100, &r), IMAP_FETCH_OK);
	assert_int_equal(r.n, 5);
	assert_int_equal(r.msg[4].uid, 5);
	imap_fetch_reply_free(&r);
}

/* A body of hundreds of kilobytes, read past the reader's buffer. */
static void test_large_literal(void **state)
{
	(void)state;
	size_t n = 300000;
	char *reply = malloc(n + 200);
	int o = sprintf(reply, "* 1 FETCH (UID 77 BODY[]<0> {%zu}\r\n", n);
	for (size_t i = 0; i < n; i++)
		reply[o + (int)i] = (char)('a' + i % 26);
	strcpy(reply + o + n, ")\r\nbw7 OK done\r\n");
	static const size_t chunks[] = { 1000, 8192, 65536, 1000000 };
	for (size_t c = 0; c < 4; c++) {
		struct imap_fetch_reply r;
		assert_int_equal(run(reply, chunks[c], 10, n, &r), IMAP_FETCH_OK);
		assert_int_equal(r.n, 1);
		assert_int_equal(r.msg[0].len, n);
		assert_memory_equal(r.msg[0].data, reply + o, n);
		imap_fetch_reply_free(&r);
	}
	free(reply);
}

static void test_command(void **state)
{
	(void)state;
	static const uint32_t uids[] = { 1, 2, 3, 5, 7, 8, 100 };
	char *c = imap_fetch_command("bw3", uids, 7, 262144);
	assert_string_equal(c, "bw3 UID FETCH 1:3,5,7:8,100 (UID BODY.PEEK[]<0.262144>)\r\n");
	free(c);
	c = imap_fetch_command("bw4", uids + 6, 1, 10);
	assert_string_equal(c, "bw4 UID FETCH 100 (UID BODY.PEEK[]<0.10>)\r\n");
	free(c);
	static const uint32_t top[] = { 4294967294u, 4294967295u };
	c = imap_fetch_command("bw5", top, 2, 4294967295u);
	assert_string_equal(c, "bw5 UID FETCH 4294967294:4294967295 (UID BODY.PEEK[]<0.4294967295>)\r\n");
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normal_every_chunk),
		cmocka_unit_test(test_no),
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_large_literal),
		cmocka_unit_test(test_command),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
