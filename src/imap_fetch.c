/*
 * imap_fetch.c - the reply to one UID FETCH of bodies, read as it comes.
 * See imap_fetch.h for the contract.
 *
 * The reader keeps one buffer of at most IMAP_FETCH_LINE_MAX bytes: a
 * response line must fit in it; a literal is copied out of it and the rest
 * of the literal read straight into its destination.  A response is parsed
 * from its line; a literal at the end of a line is read, and the response
 * goes on with the next line (RFC 3501 §4.3).
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imap_fetch.h"
#include "util.h"

#define FETCH_DEPTH_MAX 8           /* nested lists skipped in a response */

struct rd {
	const struct imap_fetch_src *src;
	char *buf;                  /* owned: IMAP_FETCH_LINE_MAX */
	size_t off, len;            /* unread bytes: buf[off..len) */
	enum imap_fetch_rc err;     /* why the last call failed */
	char *why;                  /* out->text */
};

/* A line: its bytes without CRLF (borrowed from the buffer until the next
 * read). */
struct line {
	const char *p, *e;
};

static int rd_fail(struct rd *r, enum imap_fetch_rc rc, const char *what)
{
	if (r->err == IMAP_FETCH_OK) {
		r->err = rc;
		bw_strlcpy(r->why, what, 256);
	}
	return -1;
}

/* More bytes at the end of the buffer (moving the unread ones to its
 * start first).  0, or -1. */
static int rd_fill(struct rd *r)
{
	if (r->off > 0) {
		memmove(r->buf, r->buf + r->off, r->len - r->off);
		r->len -= r->off;
		r->off = 0;
	}
	if (r->len == IMAP_FETCH_LINE_MAX)
		return rd_fail(r, IMAP_FETCH_PARSE, "a response line is too long");
	ssize_t got = r->src->read(r->src->arg, r->buf + r->len, IMAP_FETCH_LINE_MAX - r->len);
	if (got <= 0)
		return rd_fail(r, IMAP_FETCH_STREAM, "the connection failed while reading the reply");
	r->len += (size_t)got;
	return 0;
}

/* The next line (up to CRLF; a bare LF is taken as the end too). */
static int rd_line(struct rd *r, struct line *l)
{
	size_t scanned = 0;
	for (;;) {
		const char *start = r->buf + r->off;
		const char *nl = memchr(start + scanned, '\n', r->len - r->off - scanned);
		if (nl) {
			l->p = start;
			l->e = nl > start && nl[-1] == '\r' ? nl - 1 : nl;
			r->off = (size_t)(nl + 1 - r->buf);
			return 0;
		}
		scanned = r->len - r->off;
		if (rd_fill(r) < 0)
			return -1;
	}
}

/* n bytes into dst (NULL: read and drop them). */
static int rd_bytes(struct rd *r, char *dst, size_t n)
{
	size_t have = r->len - r->off, take = have < n ? have : n;
	if (dst)
		memcpy(dst, r->buf + r->off, take);
	r->off += take;
	n -= take;
	if (dst)
		dst += take;
	if (n > 0)
		r->off = r->len = 0;    /* all read: the buffer is empty */
	while (n > 0) {
		/* straight into dst, or dropped through the (empty) buffer */
		char *to = dst ? dst : r->buf;
		size_t max = dst ? n : (n < IMAP_FETCH_LINE_MAX ? n : IMAP_FETCH_LINE_MAX);
		ssize_t got = r->src->read(r->src->arg, to, max);
		if (got <= 0)
			return rd_fail(r, IMAP_FETCH_STREAM, "the connection failed inside a literal");
		n -= (size_t)got;
		if (dst)
			dst += got;
	}
	return 0;
}

/* ------------------------------------------------------------ tokens */

static bool at_word(const char *p, const char *e, const char *w)
{
	size_t n = strlen(w);
	return (size_t)(e - p) >= n && bw_prefixcase(p, n, w) &&
	       ((size_t)(e - p) == n || p[n] == ' ' || p[n] == ')' || p[n] == '(');
}

static void skip_sp(const char **p, const char *e)
{
	while (*p < e && **p == ' ')
		(*p)++;
}

/* A number of at most 10 digits that fits in 32 bits: 0, or -1. */
static int num32(const char **p, const char *e, uint32_t *v)
{
	uint64_t x = 0;
	const char *s = *p;
	while (*p < e && bw_isdigit((unsigned char)**p) && *p - s < 11)
		x = x * 10 + (uint64_t)(*(*p)++ - '0');
	if (*p == s || x > UINT32_MAX || (*p < e && bw_isdigit((unsigned char)**p)))
		return -1;
	*v = (uint32_t)x;
	return 0;
}

/* A literal's announcement "{n}" or "~{n}" (or with "+") closing the line at
 * p: its length in *n.  1 when there is one, 0 when not. */
static int literal_at(const char *p, const char *e, uint64_t *n)
{
	if (p < e && *p == '~')
		p++;
	if (p >= e || *p != '{')
		return 0;
	p++;
	uint64_t x = 0;
	const char *s = p;
	while (p < e && bw_isdigit((unsigned char)*p) && p - s < 19)
		x = x * 10 + (uint64_t)(*p++ - '0');
	if (p == s)
		return 0;
	if (p < e && *p == '+')
		p++;
	if (p + 1 != e || *p != '}')
		return 0;
	*n = x;
	return 1;
}

/* The end of the literal announcement that closes the line, or NULL. */
static const char *literal_start(const struct line *l)
{
	if (l->e == l->p || l->e[-1] != '}')
		return NULL;
	const char *q = l->e - 1;
	while (q > l->p && q[-1] != '{')
		q--;
	if (q == l->p)
		return NULL;
	q--;
	if (q > l->p && q[-1] == '~')
		q--;
	return q;
}

/* A quoted string at *p (opening quote): its text unescaped into a new
 * buffer when out is not NULL.  0, or -1. */
static int quoted(const char **p, const char *e, char **out, size_t *len)
{
	const char *q = *p + 1;
	char *s = out ? xmalloc((size_t)(e - q) + 1) : NULL;
	size_t n = 0;
	for (; q < e && *q != '"'; q++) {
		if (*q == '\\' && q + 1 < e)
			q++;
		if (s)
			s[n] = *q;
		n++;
	}
	if (q >= e) {
		free(s);
		return -1;
	}
	*p = q + 1;
	if (s) {
		s[n] = '\0';
		*out = s;
		*len = n;
	}
	return 0;
}

/* ------------------------------------------------------------ responses */

struct resp {
	struct rd *r;
	struct line l;
	const char *p;              /* the cursor in l */
	size_t max_literal;
};

/* Read the literal announced at the end of the current line into *dst
 * (NULL: drop it), then go on with the next line.  0, or -1. */
static int take_literal(struct resp *rs, uint64_t n, char **dst, size_t *len)
{
	if (n > rs->max_literal)
		return rd_fail(rs->r, IMAP_FETCH_PARSE, "a literal is longer than the fetch asked for");
	char *buf = dst ? xmalloc((size_t)n + 1) : NULL;
	if (rd_bytes(rs->r, buf, (size_t)n) < 0 || rd_line(rs->r, &rs->l) < 0) {
		free(buf);
		return -1;
	}
	if (buf) {
		buf[n] = '\0';
		*dst = buf;
		*len = (size_t)n;
	}
	rs->p = rs->l.p;
	return 0;
}

/* Skip one value at the cursor: atom, number, quoted string, literal or a
 * (nested) list.  0, or -1. */
static int skip_value(struct resp *rs, int depth)
{
	const char *e = rs->l.e;
	uint64_t n;
	if (depth > FETCH_DEPTH_MAX)
		return rd_fail(rs->r, IMAP_FETCH_PARSE, "lists nested too deep");
	if (rs->p < e && *rs->p == '"')
		return quoted(&rs->p, e, NULL, NULL) < 0 ?
			rd_fail(rs->r, IMAP_FETCH_PARSE, "an unterminated string") : 0;
	if (literal_at(rs->p, e, &n))
		return take_literal(rs, n, NULL, NULL);
	if (rs->p < e && *rs->p == '(') {
		rs->p++;
		for (;;) {
			skip_sp(&rs->p, rs->l.e);
			if (rs->p >= rs->l.e)
				return rd_fail(rs->r, IMAP_FETCH_PARSE, "a list ends with its line");
			if (*rs->p == ')') {
				rs->p++;
				return 0;
			}
			if (skip_value(rs, depth + 1) < 0)
				return -1;
		}
	}
	const char *s = rs->p;
	while (rs->p < e && *rs->p != ' ' && *rs->p != '(' && *rs->p != ')')
		rs->p++;
	return rs->p > s ? 0 : rd_fail(rs->r, IMAP_FETCH_PARSE, "an empty value");
}

/* The name of a message data item: an atom, with a [section] that may hold
 * spaces and an <origin> ("BODY[]<0>"). */
static int item_name(struct resp *rs, const char **name, size_t *len)
{
	const char *e = rs->l.e, *s = rs->p;
	while (rs->p < e && *rs->p != ' ' && *rs->p != '(' && *rs->p != ')') {
		if (*rs->p == '[') {
			const char *close = memchr(rs->p, ']', (size_t)(e - rs->p));
			if (!close)
				return rd_fail(rs->r, IMAP_FETCH_PARSE, "an unclosed section");
			rs->p = close;
		}
		rs->p++;
	}
	*name = s;
	*len = (size_t)(rs->p - s);
	return *len ? 0 : rd_fail(rs->r, IMAP_FETCH_PARSE, "an empty item name");
}

/* Is the item the whole message: BODY[] or BODY[]<origin> (or BINARY[])? */
static bool whole_body(const char *name, size_t len)
{
	return (len >= 6 && bw_prefixcase(name, 6, "BODY[]")) ||
	       (len >= 8 && bw_prefixcase(name, 8, "BINARY[]"));
}

static void keep(struct imap_fetch_reply *out, size_t max_msgs, uint32_t uid, char *data,
		 size_t len)
{
	if (!uid || !data || out->n >= max_msgs) {
		free(data);
		return;
	}
	if (out->n == out->cap) {
		out->cap = out->cap ? out->cap * 2 : 64;
		out->msg = xrealloc(out->msg, out->cap * sizeof *out->msg);
	}
	out->msg[out->n++] = (struct imap_fetched){ uid, data, len };
}

/* The items of "* n FETCH (" from the cursor to the closing ")". */
static int fetch_items(struct resp *rs, size_t max_msgs, struct imap_fetch_reply *out)
{
	uint32_t uid = 0;
	char *data = NULL;
	size_t len = 0;
	for (;;) {
		skip_sp(&rs->p, rs->l.e);
		if (rs->p >= rs->l.e)
			goto bad;
		if (*rs->p == ')')
			break;
		const char *name;
		size_t nlen;
		uint64_t n;
		if (item_name(rs, &name, &nlen) < 0 || rs->p >= rs->l.e || *rs->p != ' ')
			goto bad;
		rs->p++;
		if (nlen == 3 && bw_prefixcase(name, 3, "UID")) {
			if (num32(&rs->p, rs->l.e, &uid) < 0)
				goto bad;
		} else if (whole_body(name, nlen) && !data) {
			if (rs->p < rs->l.e && *rs->p == '"') {
				if (quoted(&rs->p, rs->l.e, &data, &len) < 0)
					goto bad;
			} else if (literal_at(rs->p, rs->l.e, &n)) {
				if (take_literal(rs, n, &data, &len) < 0)
					goto fail;
			} else if (skip_value(rs, 0) < 0) {     /* NIL: no body */
				goto fail;
			}
		} else if (skip_value(rs, 0) < 0) {
			goto fail;
		}
	}
	keep(out, max_msgs, uid, data, len);
	return 0;
bad:
	rd_fail(rs->r, IMAP_FETCH_PARSE, "a FETCH response is malformed");
fail:
	free(data);
	return -1;
}

/* An untagged response other than FETCH: its line and the literals it
 * announces, dropped. */
static int skip_response(struct resp *rs)
{
	for (;;) {
		const char *lit = literal_start(&rs->l);
		uint64_t n;
		if (!lit || !literal_at(lit, rs->l.e, &n))
			return 0;
		if (take_literal(rs, n, NULL, NULL) < 0)
			return -1;
	}
}

/* "* n FETCH (": the cursor after "(", 1; 0 when the line is not one. */
static int is_fetch(struct resp *rs)
{
	const char *p = rs->l.p + 2, *e = rs->l.e;
	uint32_t seq;
	if (num32(&p, e, &seq) < 0 || p >= e || *p != ' ')
		return 0;
	p++;
	if (!at_word(p, e, "FETCH"))
		return 0;
	p += 5;
	skip_sp(&p, e);
	if (p >= e || *p != '(')
		return 0;
	rs->p = p + 1;
	return 1;
}

/* The tagged response: OK, or NO/BAD with its text. */
static enum imap_fetch_rc tagged(struct resp *rs, size_t taglen, struct imap_fetch_reply *out)
{
	const char *p = rs->l.p + taglen + 1, *e = rs->l.e;
	enum imap_fetch_rc rc = at_word(p, e, "OK") ? IMAP_FETCH_OK :
		at_word(p, e, "NO") || at_word(p, e, "BAD") ? IMAP_FETCH_NO : IMAP_FETCH_PARSE;
	size_t n = (size_t)(e - p) < sizeof out->text - 1 ? (size_t)(e - p) : sizeof out->text - 1;
	memcpy(out->text, p, n);
	out->text[n] = '\0';
	return rc;
}

enum imap_fetch_rc imap_fetch_read(const struct imap_fetch_src *src, const char *tag,
				   size_t max_msgs, size_t max_literal,
				   struct imap_fetch_reply *out)
{
	struct rd r = { src, xmalloc(IMAP_FETCH_LINE_MAX), 0, 0, IMAP_FETCH_OK, out->text };
	struct resp rs = { &r, { NULL, NULL }, NULL, max_literal };
	size_t taglen = strlen(tag);
	enum imap_fetch_rc rc;
	memset(out, 0, sizeof *out);
	r.why = out->text;
	for (;;) {
		if (rd_line(&r, &rs.l) < 0) {
			rc = r.err;
			break;
		}
		size_t ll = (size_t)(rs.l.e - rs.l.p);
		if (ll > taglen && memcmp(rs.l.p, tag, taglen) == 0 && rs.l.p[taglen] == ' ') {
			rc = tagged(&rs, taglen, out);
			break;
		}
		if (ll < 2 || rs.l.p[0] != '*' || rs.l.p[1] != ' ') {
			rd_fail(&r, IMAP_FETCH_PARSE, "the server sent something that is not a response");
			rc = r.err;
			break;
		}
		if (at_word(rs.l.p + 2, rs.l.e, "BYE")) {
			rd_fail(&r, IMAP_FETCH_STREAM, "the server closed the connection (BYE)");
			rc = r.err;
			break;
		}
		int f = is_fetch(&rs);
		if ((f ? fetch_items(&rs, max_msgs, out) : skip_response(&rs)) < 0) {
			rc = r.err;
			break;
		}
	}
	if (r.len > r.off) {
		out->rest_len = r.len - r.off;
		out->rest = xmalloc(out->rest_len);
		memcpy(out->rest, r.buf + r.off, out->rest_len);
	}
	free(r.buf);
	return rc;
}

void imap_fetch_reply_free(struct imap_fetch_reply *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->msg[i].data);
	free(r->msg);
	free(r->rest);
	r->msg = NULL;
	r->rest = NULL;
	r->n = r->cap = r->rest_len = 0;
}

char *imap_fetch_command(const char *tag, const uint32_t *uids, size_t n, uint32_t cap)
{
	size_t size = strlen(tag) + 64 + n * 22, o = 0;
	char *cmd = xmalloc(size);
	o += (size_t)snprintf(cmd + o, size - o, "%s UID FETCH ", tag);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && uids[j + 1] == uids[j] + 1)
			j++;
		o += (size_t)snprintf(cmd + o, size - o, i ? ",%u" : "%u", uids[i]);
		if (j > i)
			o += (size_t)snprintf(cmd + o, size - o, ":%u", uids[j]);
		i = j + 1;
	}
	snprintf(cmd + o, size - o, " (UID BODY.PEEK[]<0.%u>)\r\n", cap);
	return cmd;
}
