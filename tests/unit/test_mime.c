/*
 * test_mime.c - the bounded MIME walk: line endings, boundaries, decoding,
 * nested messages, limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "mime.h"
#include "util.h"

static struct bw_limits lim = { .max_message_bytes = 10485760, .max_depth = 32, .max_header_bytes = 65536,
				.max_parts = 256, .max_events = 1000, .max_diagnostic_bytes = 1023 };

static const char *report_msg =
	"From: MAILER-DAEMON@mx.example.net\n"
	"To: sender@example.com\n"
	"Subject: Undelivered Mail\n"
	"MIME-Version: 1.0\n"
	"Content-Type: multipart/report; report-type=delivery-status;\n"
	"\tboundary=\"B1\"\n"
	"\n"
	"preamble\n"
	"--B1\n"
	"Content-Type: text/plain; charset=us-ascii\n"
	"\n"
	"The mail system could not deliver.\n"
	"--B1\n"
	"Content-Type: message/delivery-status\n"
	"\n"
	"Reporting-MTA: dns; mx.example.net\n"
	"\n"
	"Final-Recipient: rfc822; gone@example.org\n"
	"Action: failed\n"
	"Status: 5.1.1\n"
	"--B1\n"
	"Content-Type: message/rfc822\n"
	"\n"
	"From: sender@example.com\n"
	"To: gone@example.org\n"
	"Subject: hello\n"
	"\n"
	"body\n"
	"--B1--\n";

static void test_report_structure(void **state)
{
	(void)state;
	struct mime m;
	assert_int_equal(mime_parse(&m, report_msg, strlen(report_msg), &lim), MIME_OK);
	assert_int_equal(m.n_parts, 5);
	assert_string_equal(m.parts[0].type, "multipart/report");
	assert_string_equal(m.parts[0].report_type, "delivery-status");
	assert_true(m.parts[0].multipart);
	assert_string_equal(m.parts[1].type, "text/plain");
	assert_string_equal(m.parts[1].charset, "us-ascii");
	assert_memory_equal(m.parts[1].body, "The mail system could not deliver.", 34);
	assert_int_equal(m.parts[1].body_len, 34);
	assert_string_equal(m.parts[2].type, "message/delivery-status");
	assert_string_equal(m.parts[3].type, "message/rfc822");
	assert_true(m.parts[4].is_message);
	assert_int_equal(m.parts[4].parent, 3);
	char v[64];
	assert_true(mime_header(m.parts[4].hdr, m.parts[4].hdr_len, "subject", v, sizeof(v)));
	assert_string_equal(v, "hello");
	mime_free(&m);
}

static char *convert(const char *in, const char *eol)
{
	size_t n = strlen(in), k = strlen(eol);
	char *out = malloc(n * 2 + 1), *w = out;
	for (const char *p = in; *p; p++) {
		if (*p == '\n') {
			memcpy(w, eol, k);
			w += k;
		} else {
			*w++ = *p;
		}
	}
	*w = '\0';
	return out;
}

static void test_line_endings_equal(void **state)
{
	(void)state;
	const char *eols[] = { "\r\n", "\r" };
	struct mime a;
	mime_parse(&a, report_msg, strlen(report_msg), &lim);
	for (size_t i = 0; i < 2; i++) {
		char *conv = convert(report_msg, eols[i]);
		struct mime b;
		assert_int_equal(mime_parse(&b, conv, strlen(conv), &lim), MIME_OK);
		assert_int_equal(b.n_parts, a.n_parts);
		for (unsigned k = 0; k < a.n_parts; k++) {
			assert_string_equal(a.parts[k].type, b.parts[k].type);
			assert_int_equal(a.parts[k].body_len, b.parts[k].body_len);
			assert_memory_equal(a.parts[k].body, b.parts[k].body, a.parts[k].body_len);
		}
		mime_free(&b);
		free(conv);
	}
	mime_free(&a);
}

static void test_header_unfold_and_case(void **state)
{
	(void)state;
	const char *h = "X-One: a\nDiagnostic-Code: smtp; 550 5.1.1 <x@y.z>...\n\tUser\n  unknown\nX-Two: b\n";
	char v[128];
	assert_true(mime_header(h, strlen(h), "diagnostic-code", v, sizeof(v)));
	assert_string_equal(v, "smtp; 550 5.1.1 <x@y.z>... User unknown");
	assert_false(mime_header(h, strlen(h), "Missing", v, sizeof(v)));
	assert_string_equal(v, "");
	/* truncation keeps a terminated string */
	char small[8];
	assert_true(mime_header(h, strlen(h), "X-Two", small, sizeof(small)));
	assert_string_equal(small, "b");
	assert_true(mime_header(h, strlen(h), "Diagnostic-Code", small, sizeof(small)));
	assert_int_equal(strlen(small), 7);
}

/* The unfolding rule, the plain way: every run of blanks (space, tab, line
 * end) is one space, none at either end, at most outsz - 1 bytes. */
static void ref_unfold(const char *v, size_t n, char *out, size_t outsz)
{
	size_t o = 0;
	bool space = false;
	for (size_t i = 0; i < n; i++) {
		bool blank = v[i] == ' ' || v[i] == '\t' || v[i] == '\n';
		if (blank) {
			space = o > 0;
			continue;
		}
		if (space && o + 1 < outsz)
			out[o++] = ' ';
		space = false;
		if (o + 1 < outsz)
			out[o++] = v[i];
	}
	out[o] = '\0';
}

static const char *const hdr_names[] = { "From", "To", "Subject", "X-A", "X-Ab", "Content-Type", "Received" };

/* A random header block: headers from hdr_names (some twice), folded
 * values, unindented "param=value" lines after a ';', long values. */
static size_t random_block(char *b, size_t cap)
{
	static const char valchars[] = "ab AB;=\t<@>.:x";
	size_t o = 0;
	int lines = rand() % 300;
	for (int l = 0; l < lines && o + 200 < cap; l++) {
		int kind = rand() % 10;
		if (kind < 6 || l == 0) {
			const char *nm = hdr_names[rand() % (int)ARRAY_LEN(hdr_names)];
			o += (size_t)snprintf(b + o, cap - o, "%s:", rand() % 4 ? nm : "x-a");
		} else if (kind < 8) {
			b[o++] = rand() % 2 ? ' ' : '\t';
		} else {
			o += (size_t)snprintf(b + o, cap - o, "name=");
		}
		int vl = rand() % 90;
		for (int i = 0; i < vl; i++)
			b[o++] = valchars[rand() % (int)(sizeof(valchars) - 1)];
		if (rand() % 5 == 0)
			b[o++] = ';';
		b[o++] = '\n';
	}
	return o;
}

static void test_hdrs_index_equals_plain(void **state)
{
	(void)state;
	static char block[64 * 1024];
	srand(777);
	for (int round = 0; round < 400; round++) {
		size_t len = random_block(block, sizeof(block));
		struct mime_hdrs h;
		mime_hdrs_init(&h, len ? block : NULL, len);
		for (size_t k = 0; k < ARRAY_LEN(hdr_names) + 1; k++) {
			const char *nm = k < ARRAY_LEN(hdr_names) ? hdr_names[k] : "missing";
			size_t l1 = 0, l2 = 0;
			const char *r1 = mime_hdrs_raw(&h, nm, &l1);
			const char *r2 = len ? mime_header_raw(block, len, nm, &l2) : NULL;
			assert_ptr_equal(r1, r2);
			if (r1)
				assert_int_equal(l1, l2);
			size_t outsz = 1 + (size_t)(rand() % 300);
			char v1[300], v2[300], want[300];
			bool f1 = mime_hdrs_get(&h, nm, v1, outsz);
			bool f2 = mime_header(block, len, nm, v2, outsz);
			assert_int_equal(f1, f2);
			assert_string_equal(v1, v2);
			if (r1) {
				ref_unfold(r1, l1, want, outsz);
				assert_string_equal(v1, want);
			}
		}
	}
}

/* Values that are nearly unfolded already (single spaces, now and then one
 * tab, line end or second space at any place, of every length around the
 * 8- and 16-byte steps) against the plain rule. */
static void test_unfold_random(void **state)
{
	(void)state;
	char block[120], v[100], want[100];
	srand(4711);
	for (int round = 0; round < 200000; round++) {
		size_t n = (size_t)(rand() % 60), o = 0;
		o += (size_t)snprintf(block, sizeof(block), "X-Long-Name:%s", rand() % 2 ? " " : "");
		size_t vstart = o;
		for (size_t i = 0; i < n; i++)
			block[o++] = rand() % 4 ? "abAB.<@>"[rand() % 8] : ' ';
		if (n && rand() % 2) {
			/* a tab, a second space, or a fold (a line end and a blank) */
			size_t at = vstart + (size_t)rand() % n;
			int k = rand() % 3;
			block[at] = k == 0 ? '\t' : k == 1 || at + 1 >= o ? ' ' : '\n';
			if (block[at] == '\n')
				block[at + 1] = ' ';
		}
		block[o++] = '\n';
		size_t outsz = 1 + (size_t)(rand() % (round % 2 ? 80 : 12));
		assert_true(mime_header(block, o, "x-long-name", v, outsz));
		ref_unfold(block + vstart, o - vstart, want, outsz);
		assert_string_equal(v, want);
	}
}

static void test_hdrs_examples(void **state)
{
	(void)state;
	const char *h = "Subject:  two  spaces \nX-A: one\nX-Ab: folded\n\tnext\nContent-Type: text/plain;\ncharset=us-ascii\n";
	struct mime_hdrs x;
	mime_hdrs_init(&x, h, strlen(h));
	char v[64];
	assert_true(mime_hdrs_get(&x, "subject", v, sizeof(v)));
	assert_string_equal(v, "two spaces");
	assert_true(mime_hdrs_get(&x, "X-A", v, sizeof(v)));
	assert_string_equal(v, "one");
	assert_true(mime_hdrs_get(&x, "x-ab", v, sizeof(v)));
	assert_string_equal(v, "folded next");
	assert_true(mime_hdrs_get(&x, "Content-Type", v, sizeof(v)));
	assert_string_equal(v, "text/plain; charset=us-ascii");
	assert_false(mime_hdrs_get(&x, "X", v, sizeof(v)));
	assert_string_equal(v, "");
	/* an empty block */
	mime_hdrs_init(&x, NULL, 0);
	size_t vl;
	assert_null(mime_hdrs_raw(&x, "From", &vl));
}

static void test_decoders(void **state)
{
	(void)state;
	char out[64];
	const char *b64 = "VXNlciB1bmtub3du\nIGhlcmU=";
	size_t n = mime_decode_base64(b64, strlen(b64), out);
	assert_int_equal(n, 17);
	assert_memory_equal(out, "User unknown here", 17);
	const char *qp = "Mailbox=20full =\nand more=3D";
	n = mime_decode_qp(qp, strlen(qp), out);
	out[n] = '\0';
	assert_string_equal(out, "Mailbox full and more=");
	char words[] = "=?utf-8?B?VW5kZWxpdmVyYWJsZQ==?= =?iso-8859-1?Q?_mail?= now";
	mime_decode_words(words);
	assert_string_equal(words, "Undeliverable mail now");
}

static void test_base64_part_decoded(void **state)
{
	(void)state;
	const char *msg = "Content-Type: multipart/mixed; boundary=XX\n\n--XX\n"
			  "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n"
			  "VXNlciB1bmtub3duDQpzZWNvbmQgbGluZQ==\n--XX--\n";
	struct mime m;
	assert_int_equal(mime_parse(&m, msg, strlen(msg), &lim), MIME_OK);
	assert_int_equal(m.n_parts, 2);
	assert_int_equal(m.parts[1].body_len, strlen("User unknown\nsecond line"));
	assert_memory_equal(m.parts[1].body, "User unknown\nsecond line", m.parts[1].body_len);
	mime_free(&m);
}

static void test_missing_closing_boundary(void **state)
{
	(void)state;
	const char *msg = "Content-Type: multipart/mixed; boundary=\"q\"\n\n--q\n\nfirst\n--q\n\nsecond, truncated";
	struct mime m;
	assert_int_equal(mime_parse(&m, msg, strlen(msg), &lim), MIME_OK);
	assert_int_equal(m.n_parts, 3);
	assert_memory_equal(m.parts[2].body, "second, truncated", 17);
	mime_free(&m);
}

static void test_boundary_absent_is_text(void **state)
{
	(void)state;
	const char *msg = "Content-Type: multipart/mixed; boundary=\"nope\"\n\njust text\n";
	struct mime m;
	assert_int_equal(mime_parse(&m, msg, strlen(msg), &lim), MIME_OK);
	assert_int_equal(m.n_parts, 1);
	assert_string_equal(m.parts[0].type, "text/plain");
	mime_free(&m);
}

static void test_limits(void **state)
{
	(void)state;
	struct mime m;
	struct bw_limits tight = lim;
	/* depth: message/rfc822 inside message/rfc822 ... */
	char deep[4096] = "";
	for (int i = 0; i < 10; i++)
		strcat(deep, "Content-Type: message/rfc822\n\n");
	strcat(deep, "Subject: bottom\n\nx\n");
	tight.max_depth = 4;
	assert_int_equal(mime_parse(&m, deep, strlen(deep), &tight), MIME_TOO_DEEP);
	mime_free(&m);
	tight = lim;
	tight.max_parts = 2;
	assert_int_equal(mime_parse(&m, report_msg, strlen(report_msg), &tight), MIME_TOO_MANY_PARTS);
	assert_int_equal(m.n_parts, 2);
	mime_free(&m);
	tight = lim;
	tight.max_message_bytes = 100;
	assert_int_equal(mime_parse(&m, report_msg, strlen(report_msg), &tight), MIME_TOO_BIG);
	mime_free(&m);
	tight = lim;
	tight.max_header_bytes = 40;
	assert_int_equal(mime_parse(&m, report_msg, strlen(report_msg), &tight), MIME_HEADER_TOO_BIG);
	mime_free(&m);
	assert_int_equal(mime_parse(&m, "", 0, &lim), MIME_EMPTY);
	mime_free(&m);
}

static void test_nul_and_mbox_line(void **state)
{
	(void)state;
	const char msg[] = "From sender@example.com Mon Jan  1 00:00:00 2024\nSubject: a\0b\n\nbody\0x\n";
	struct mime m;
	assert_int_equal(mime_parse(&m, msg, sizeof(msg) - 1, &lim), MIME_OK);
	char v[16];
	assert_true(mime_header(m.parts[0].hdr, m.parts[0].hdr_len, "Subject", v, sizeof(v)));
	assert_string_equal(v, "a b");
	assert_memory_equal(m.parts[0].body, "body x\n", 7);
	mime_free(&m);
}

/* mime_looks_like_header against the plain rule (name bytes 0x21..0x7e
 * but ':', at least one, then ':') on random lines, the stop byte at every
 * place around the 16-byte steps. */
static bool looks_like_header_ref(const char *p, size_t len)
{
	size_t i = 0;
	while (i < len && (unsigned char)p[i] >= 0x21 && (unsigned char)p[i] <= 0x7e && p[i] != ':')
		i++;
	return i > 0 && i < len && p[i] == ':';
}

/* Two indexes of one block: the same lines, the same lookups. */
static void assert_same_index(const struct mime_hdrs *a, const struct mime_hdrs *b)
{
	assert_ptr_equal(a->hdr, b->hdr);
	assert_int_equal(a->len, b->len);
	assert_int_equal(a->n, b->n);
	assert_int_equal(a->rest, b->rest);
	for (size_t k = 0; k < a->n; k++) {
		assert_int_equal(a->line[k], b->line[k]);
		assert_int_equal(a->first[k], b->first[k]);
	}
	for (size_t k = 0; k < ARRAY_LEN(hdr_names); k++) {
		size_t l1 = 0, l2 = 0;
		const char *r1 = mime_hdrs_raw(a, hdr_names[k], &l1), *r2 = mime_hdrs_raw(b, hdr_names[k], &l2);
		assert_ptr_equal(r1, r2);
		assert_int_equal(l1, l2);
	}
}

/* The walk's index of the returned message's headers (mime.msg_hdrs) is
 * mime_hdrs_init's of the first message part with headers: random header
 * blocks (folded, unindented "name=" lines, up to 300 lines), an empty
 * first returned message now and then. */
static void test_msg_hdrs_random(void **state)
{
	(void)state;
	static char msg[80 * 1024], block[64 * 1024];
	srand(31);
	for (int round = 0; round < 400; round++) {
		size_t bl = random_block(block, sizeof(block));
		size_t o = (size_t)snprintf(msg, sizeof(msg),
					    "From: a@b.example\nContent-Type: multipart/report; boundary=\"b\"\n\n"
					    "--b\nContent-Type: text/plain\n\nnotice\n");
		if (round % 5 == 0)
			o += (size_t)snprintf(msg + o, sizeof(msg) - o,
					      "--b\nContent-Type: message/rfc822\n\n\nno headers\n");
		o += (size_t)snprintf(msg + o, sizeof(msg) - o, "--b\nContent-Type: message/rfc822\n\n");
		memcpy(msg + o, block, bl);
		o += bl;
		o += (size_t)snprintf(msg + o, sizeof(msg) - o, "\nbody\n--b--\n");
		struct mime m;
		mime_parse(&m, msg, o, &lim);
		const struct mime_part *first = NULL;
		for (unsigned i = 1; i < m.n_parts && !first; i++)
			if (m.parts[i].is_message && m.parts[i].hdr_len)
				first = &m.parts[i];
		if (!first) {
			assert_null(m.msg_hdrs.hdr);
		} else {
			struct mime_hdrs h;
			mime_hdrs_init(&h, first->hdr, first->hdr_len);
			assert_same_index(&m.msg_hdrs, &h);
		}
		mime_free(&m);
	}
}

/* mime_type_kind against the string comparisons it stands for, on types
 * put together from the pieces the detectors look for and near misses. */
static void test_type_kind_random(void **state)
{
	(void)state;
	static const char *const pieces[] = {
		"text/", "plain", "html", "rfc822-headers", "message/", "rfc822", "global", "delivery-status",
		"global-delivery-status", "feedback-report", "multipart/", "report", "application/",
		"octet-stream", "x", "", "text", "/", "-",
	};
	char t[80];
	srand(822);
	for (int round = 0; round < 100000; round++) {
		size_t o = 0;
		for (int i = rand() % 3 + 1; i > 0; i--) {
			const char *pc = pieces[rand() % (int)ARRAY_LEN(pieces)];
			size_t pl = strlen(pc);
			if (o + pl >= sizeof(t))
				break;
			memcpy(t + o, pc, pl);
			o += pl;
		}
		t[o] = '\0';
		unsigned k = mime_type_kind(t);
		assert_int_equal(!!(k & MIME_K_TEXT), strncmp(t, "text/", 5) == 0);
		assert_int_equal(!!(k & MIME_K_PLAIN), strcmp(t, "text/plain") == 0);
		assert_int_equal(!!(k & MIME_K_HTML), strcmp(t, "text/html") == 0);
		assert_int_equal(!!(k & MIME_K_RFC822_HEADERS), strcmp(t, "text/rfc822-headers") == 0);
		assert_int_equal(!!(k & MIME_K_MULTIPART), strncmp(t, "multipart/", 10) == 0);
		assert_int_equal(!!(k & MIME_K_REPORT), strcmp(t, "multipart/report") == 0);
		assert_int_equal(!!(k & MIME_K_MESSAGE), strncmp(t, "message/", 8) == 0);
		assert_int_equal(!!(k & MIME_K_RFC822), strcmp(t, "message/rfc822") == 0 || strcmp(t, "message/global") == 0);
		assert_int_equal(!!(k & MIME_K_DSN), strcmp(t, "message/delivery-status") == 0 ||
						    strcmp(t, "message/global-delivery-status") == 0);
		assert_int_equal(!!(k & MIME_K_FEEDBACK), strcmp(t, "message/feedback-report") == 0);
		assert_int_equal(!!(k & MIME_K_OCTET), strcmp(t, "application/octet-stream") == 0);
	}
}

/* Every part the walk makes carries its type's kind. */
static void test_part_kinds(void **state)
{
	(void)state;
	struct mime m;
	assert_int_equal(mime_parse(&m, report_msg, strlen(report_msg), &lim), MIME_OK);
	for (unsigned i = 0; i < m.n_parts; i++)
		assert_int_equal(m.parts[i].kind, mime_type_kind(m.parts[i].type));
	mime_free(&m);
	/* a multipart without a delimiter is text/plain, kind and all */
	const char *msg = "Content-Type: multipart/mixed; boundary=\"zz\"\n\nno delimiter here\n";
	assert_int_equal(mime_parse(&m, msg, strlen(msg), &lim), MIME_OK);
	assert_string_equal(m.parts[0].type, "text/plain");
	assert_int_equal(m.parts[0].kind, MIME_K_TEXT | MIME_K_PLAIN);
	mime_free(&m);
}

static void test_looks_like_header_random(void **state)
{
	(void)state;
	static const char bytes[] = { 'a', 'Z', '-', '~', '!', ':', ' ', '\t', '\x7f', '\x80', '\xff', '\x20', '\x21', '\0' };
	char line[80];
	srand(2047);
	for (int round = 0; round < 100000; round++) {
		size_t len = (size_t)(rand() % 80);
		for (size_t i = 0; i < len; i++)
			line[i] = rand() % 8 ? 'x' : bytes[rand() % (int)sizeof(bytes)];
		assert_int_equal(mime_looks_like_header(line, len), looks_like_header_ref(line, len));
	}
	assert_true(mime_looks_like_header("Content-Transfer-Encoding: 7bit", 31));
	assert_false(mime_looks_like_header("Content-Transfer-Encoding 7bit", 30));
	assert_false(mime_looks_like_header(": x", 3));
}

/* The plain readings of quoted-printable and of the line-end
 * normalisation, byte by byte, for the random checks below. */
static size_t qp_ref(const char *in, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (in[i] != '=') {
			out[o++] = in[i];
		} else if (i + 1 < n && in[i + 1] == '\n') {
			i++;
		} else if (i + 2 < n && bw_hexval((unsigned char)in[i + 1]) >= 0 && bw_hexval((unsigned char)in[i + 2]) >= 0) {
			char d = (char)(bw_hexval((unsigned char)in[i + 1]) * 16 + bw_hexval((unsigned char)in[i + 2]));
			out[o++] = d ? d : ' ';
			i += 2;
		} else {
			out[o++] = '=';
		}
	}
	return o;
}

static size_t normalise_ref(const char *in, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (in[i] == '\0')
			out[o++] = ' ';
		else if (in[i] == '\r') {
			out[o++] = '\n';
			if (i + 1 < n && in[i + 1] == '\n')
				i++;
		} else
			out[o++] = in[i];
	}
	return o;
}

static void test_decode_random(void **state)
{
	(void)state;
	static const char bytes[] = "==\n\r\r\0a0F3d ";
	char in[300], out[301], want[301];
	srand(5150);
	for (int round = 0; round < 50000; round++) {
		size_t n = (size_t)(rand() % 300);
		for (size_t i = 0; i < n; i++)
			in[i] = rand() % 6 ? 'x' : bytes[rand() % (int)(sizeof(bytes) - 1)];
		size_t w = qp_ref(in, n, want);
		memset(out, '#', sizeof(out));
		size_t got = mime_decode_qp(in, n, out);
		assert_int_equal(got, w);
		assert_memory_equal(out, want, w);
		/* the normalised copy of a message is its text */
		in[0] = 'X';                      /* not a blank line to skip */
		struct mime m;
		mime_parse(&m, in, n, &lim);      /* sets m whatever it returns */
		if (m.text) {
			w = normalise_ref(in, n, want);
			assert_int_equal(m.text_len, w);
			assert_memory_equal(m.text, want, w);
			assert_int_equal(m.text[w], '\0');
		}
		mime_free(&m);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_structure),
		cmocka_unit_test(test_line_endings_equal),
		cmocka_unit_test(test_header_unfold_and_case),
		cmocka_unit_test(test_hdrs_examples),
		cmocka_unit_test(test_hdrs_index_equals_plain),
		cmocka_unit_test(test_unfold_random),
		cmocka_unit_test(test_msg_hdrs_random),
		cmocka_unit_test(test_type_kind_random),
		cmocka_unit_test(test_part_kinds),
		cmocka_unit_test(test_decoders),
		cmocka_unit_test(test_base64_part_decoded),
		cmocka_unit_test(test_missing_closing_boundary),
		cmocka_unit_test(test_boundary_absent_is_text),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_nul_and_mbox_line),
		cmocka_unit_test(test_looks_like_header_random),
		cmocka_unit_test(test_decode_random),
	};
	return cmocka_run_group_tests_name("mime", tests, NULL, NULL);
}
