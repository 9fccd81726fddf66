/*
 * outbox.c - outbox rows and the arithmetic of their retries (SPEC §6):
 * which HTTP answers are worth another attempt, how long to wait (exponential
 * backoff with jitter, honouring Retry-After), when a row is dead.  Pure
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

