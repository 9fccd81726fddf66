/*
 * outbox.c - outbox rows and the arithmetic of their retries (SPEC §6):
 * which HTTP answers are worth another attempt, how long to wait (exponential
 * backoff with jitter, honouring Retry-After), when a row is dead; and a
 * fast check of stored payloads for plain hooks (outbox_payload_scan).  Pure
 * functions of their arguments; the clock and the randomness come from the
 * caller so the tests can pin them.
 */
#include "config.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "hook.h"
#include "outbox.h"
#include "util.h"

#define RETRY_AFTER_MAX (30L * 86400)

void outbox_row_clear(struct bw_outbox_row *row)
{
	if (!row)
		return;
	free(row->payload);
	row->payload = NULL;
}

const char *outbox_state_name(enum bw_outbox_state s)
{
	switch (s) {
	case BW_OUTBOX_PENDING: return "pending";
	case BW_OUTBOX_DONE: return "done";
	case BW_OUTBOX_DEAD: return "dead";
	}
	return "?";
}

enum outbox_verdict outbox_classify_status(long http_status)
{
	if (http_status >= 200 && http_status <= 299)
		return OUTBOX_V_DONE;
	if (http_status == 0 || http_status == 408 || http_status == 429)
		return OUTBOX_V_RETRY;
	if (http_status == 410)
		return OUTBOX_V_GONE;
	if (http_status >= 500 && http_status <= 599)
		return OUTBOX_V_RETRY;
	if (http_status >= 300 && http_status <= 499)
		return OUTBOX_V_DEAD;   /* redirects are not followed; other 4xx: a wrong request */
	return OUTBOX_V_RETRY;      /* 1xx as a final answer, 6xx: the receiver is confused */
}

unsigned outbox_backoff(unsigned attempts, uint32_t rnd)
{
	unsigned d = OUTBOX_BACKOFF_BASE;
	for (unsigned i = 1; i < attempts && d < OUTBOX_BACKOFF_CAP; i++)
		d *= 2;
	if (d > OUTBOX_BACKOFF_CAP)
		d = OUTBOX_BACKOFF_CAP;
	unsigned half = d / 2;
	return half + rnd % (d - half + 1);
}

long outbox_retry_after(const char *value, time_t now)
{
	if (!value)
		return -1;
	while (bw_isspace((unsigned char)*value))
		value++;
	if (!*value)
		return -1;
	if (bw_isdigit((unsigned char)*value)) {
		long secs = 0;
		const char *p = value;
		for (; bw_isdigit((unsigned char)*p); p++) {
			secs = secs * 10 + (*p - '0');
			if (secs > RETRY_AFTER_MAX)
				secs = RETRY_AFTER_MAX;
		}
		while (bw_isspace((unsigned char)*p))
			p++;
		return *p ? -1 : secs;
	}
	time_t t = curl_getdate(value, NULL);   /* HTTP-date: RFC 9110 §5.6.7 */
	if (t == (time_t)-1)
		return -1;
	if (t <= now)
		return 0;
	return t - now > RETRY_AFTER_MAX ? RETRY_AFTER_MAX : (long)(t - now);
}

void outbox_fail(struct bw_outbox_row *row, enum outbox_verdict verdict, time_t now,
		 unsigned retry_hours, long retry_after, uint32_t rnd, const char *error)
{
	time_t deadline = row->created + (time_t)retry_hours * 3600;
	row->attempts++;
	bw_strlcpyn(row->last_error, sizeof(row->last_error), error ? error : "", error ? strlen(error) : 0);
	if (verdict == OUTBOX_V_DEAD || verdict == OUTBOX_V_GONE || now >= deadline) {
		row->state = BW_OUTBOX_DEAD;
		if (verdict == OUTBOX_V_RETRY) {
			char tail[64];
			snprintf(tail, sizeof(tail), " (retry window of %u h over)", retry_hours);
			size_t l = strlen(row->last_error);
			if (l + strlen(tail) < sizeof(row->last_error))
				memcpy(row->last_error + l, tail, strlen(tail) + 1);
		}
		return;
	}
	long wait = outbox_backoff(row->attempts, rnd);
	if (retry_after > wait)
		wait = retry_after;
	time_t next = now + wait;
	row->next_attempt = next > deadline ? deadline : next;
	row->state = BW_OUTBOX_PENDING;
}

void outbox_done(struct bw_outbox_row *row, time_t now, const char *note)
{
	row->attempts++;
	row->state = BW_OUTBOX_DONE;
	row->next_attempt = now;
	bw_strlcpyn(row->last_error, sizeof(row->last_error), note ? note : "", note ? strlen(note) : 0);
}

/* ---------------------------------------------------------------- payload scan */

/* The narrow scan behind outbox_payload_scan() (hook.h): plain ASCII,
 * strings without \u escapes, keys without escapes, a recipient without
 * escapes, numbers without exponent of at most SCAN_NUM_MAX characters,
 * nesting up to SCAN_DEPTH; anything else is "not sure". */
#define SCAN_DEPTH    32
#define SCAN_NUM_MAX  15

struct jscan {
	const char *p, *end;
	int depth;
};

static void sk_ws(struct jscan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

/* sk_string - past the string at s->p; its raw content in [*b, *b + *len),
 * *esc when it holds an escape.  false: not a string the scan accepts. */
static bool sk_string(struct jscan *s, const char **b, size_t *len, bool *esc)
{
	if (s->p >= s->end || *s->p != '"')
		return false;
	const char *q = ++s->p;
	*esc = false;
	while (s->p < s->end) {
		unsigned char c = (unsigned char)*s->p;
		if (c == '"') {
			*b = q;
			*len = (size_t)(s->p - q);
			s->p++;
			return true;
		}
		if (c < 0x20 || c >= 0x80)
			return false;
		if (c == '\\') {
			if (s->end - s->p < 2 || !s->p[1] || !strchr("\"\\/bfnrt", s->p[1]))
				return false;   /* \u and bad escapes: jansson decides */
			*esc = true;
			s->p += 2;
			continue;
		}
		s->p++;
	}
	return false;
}

static bool sk_digits(struct jscan *s)
{
	const char *q = s->p;
	while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
		s->p++;
	return s->p > q;
}

/* sk_number - an integer or a decimal fraction, no exponent, short. */
static bool sk_number(struct jscan *s)
{
	const char *q = s->p;
	if (s->p < s->end && *s->p == '-')
		s->p++;
	if (s->p < s->end && *s->p == '0')
		s->p++;
	else if (s->p >= s->end || *s->p < '1' || *s->p > '9' || !sk_digits(s))
		return false;
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (!sk_digits(s))
			return false;
	}
	return s->p - q <= SCAN_NUM_MAX;
}

static bool sk_word(struct jscan *s, const char *w)
{
	size_t n = strlen(w);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n) != 0)
		return false;
	s->p += n;
	return true;
}

static bool sk_object(struct jscan *s, const char **rcpt, size_t *rcpt_len);
static bool sk_value(struct jscan *s);

static bool sk_array(struct jscan *s)
{
	s->p++;
	sk_ws(s);
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		return true;
	}
	for (;;) {
		sk_ws(s);
		if (!sk_value(s))
			return false;
		sk_ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			continue;
		}
		if (s->p < s->end && *s->p == ']') {
			s->p++;
			return true;
		}
		return false;
	}
}

static bool sk_value(struct jscan *s)
{
	const char *b;
	size_t len;
	bool esc, ok;
	if (s->p >= s->end)
		return false;
	switch (*s->p) {
	case '"':
		return sk_string(s, &b, &len, &esc);
	case '{':
	case '[':
		if (++s->depth > SCAN_DEPTH)
			return false;
		ok = *s->p == '{' ? sk_object(s, NULL, NULL) : sk_array(s);
		s->depth--;
		return ok;
	case 't':
		return sk_word(s, "true");
	case 'f':
		return sk_word(s, "false");
	case 'n':
		return sk_word(s, "null");
	default:
		return sk_number(s);
	}
}

/* sk_object - past the object at s->p ('{').  For the top level (rcpt
 * non-NULL) the raw "recipient" string goes to *rcpt (NULL when absent or
 * not a string); a recipient with escapes, or given twice, is "not sure". */
static bool sk_object(struct jscan *s, const char **rcpt, size_t *rcpt_len)
{
	bool seen = false;
	s->p++;
	sk_ws(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		return true;
	}
	for (;;) {
		const char *k;
		size_t klen;
		bool esc;
		sk_ws(s);
		if (!sk_string(s, &k, &klen, &esc) || esc)
			return false;
		sk_ws(s);
		if (s->p >= s->end || *s->p != ':')
			return false;
		s->p++;
		sk_ws(s);
		if (rcpt && klen == 9 && memcmp(k, "recipient", 9) == 0) {
			if (seen)
				return false;
			seen = true;
			if (s->p < s->end && *s->p == '"') {
				if (!sk_string(s, rcpt, rcpt_len, &esc) || esc)
					return false;
			} else if (!sk_value(s)) {
				return false;
			}
		} else if (!sk_value(s)) {
			return false;
		}
		sk_ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			continue;
		}
		if (s->p < s->end && *s->p == '}') {
			s->p++;
			return true;
		}
		return false;
	}
}

bool outbox_payload_scan(const char *p, char **rcpt)
{
	struct jscan s = { p, p + strlen(p), 1 };
	const char *r = NULL;
	size_t rlen = 0;
	sk_ws(&s);
	if (s.p >= s.end || *s.p != '{' || !sk_object(&s, &r, &rlen))
		return false;
	sk_ws(&s);
	if (s.p != s.end)
		return false;
	*rcpt = r ? xstrndup(r, rlen) : xstrdup("");
	return true;
}
