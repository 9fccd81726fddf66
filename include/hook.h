/*
 * hook.h - HTTP hooks (SPEC §6, §10): body/URL/header templates, Standard
 * Webhooks signing, the outbox retry arithmetic, and the libcurl dispatcher
 * that delivers outbox rows.
 *
 * Modules: hook_template.c (pure), hook_sign.c (pure), outbox.c (pure),
 * hook_dispatch.c (I/O: libcurl multi + the store).
 */
#ifndef BW_HOOK_H
#define BW_HOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "outbox.h"

struct json_t;          /* jansson's json_t */
struct bw_config;
struct bw_hook;
struct bw_store;

/* ------------------------------------------------------------ templates */

/*
 * Where a placeholder lands decides how its value is escaped (SPEC §10):
 *  JSON    the placeholder becomes a whole JSON value: a string is quoted and
 *          escaped by jansson, a number/bool stays one, a missing field is null;
 *  URL     percent-encoded (everything but A-Z a-z 0-9 - . _ ~);
 *  FORM    same as URL (application/x-www-form-urlencoded bodies);
 *  HEADER  inserted as is; a value holding CR, LF or NUL is refused.
 *
 * Syntax: {{name}}, {{ name }}, {{original.subject}} (dotted path into nested
 * objects), {{name|default}} (default text when the field is missing, null or
 * "").  Special names: {{payload}} is the whole event object, {{events}} the
 * JSON array of a batch (batch_body only).  Values are never re-expanded, so a
 * hostile "{{...}}" inside a bounce stays literal text.  A "{{" that does not
 * form a placeholder is copied as is.
 */
enum hook_ctx { HOOK_CTX_JSON = 0, HOOK_CTX_URL, HOOK_CTX_FORM, HOOK_CTX_HEADER };

#define HOOK_RENDER_MAX (4u << 20)   /* cap on one rendered template */

struct hook_vars {
	const struct json_t *event;  /* borrowed: the event object (NULL: every field missing) */
	const char *events;          /* borrowed: JSON array text for {{events}}, or NULL */
};

/*
 * hook_render - expand tpl for ctx.  Returns a malloc'd NUL-terminated string
 * (its length in *len when len is non-NULL), or NULL with a message in err
 * (a header value with CR/LF, output past HOOK_RENDER_MAX).
 */
char *hook_render(const char *tpl, enum hook_ctx ctx, const struct hook_vars *v,
		  size_t *len, char *err, size_t errsz);

/* Percent-encode s[0..n) onto out (RFC 3986 unreserved kept).  false past the cap. */
struct bw_buf;
bool hook_urlencode(struct bw_buf *out, const char *s, size_t n);

/* ------------------------------------------------------------ signing */

#define HOOK_SIG_MAX 64     /* "v1," + 44 base64 chars + NUL fits */

/*
 * hook_secret_decode - the signing key of a Standard Webhooks secret:
 * "whsec_" + base64 is decoded; anything else is used as raw bytes.
 * Returns a malloc'd key (length in *keylen) the caller scrubs and frees, or
 * NULL when the whsec_ part is not valid base64.
 */
uint8_t *hook_secret_decode(const char *secret, size_t *keylen);

/*
 * hook_sign - the webhook-signature value for (id, timestamp, body):
 * "v1," + base64(HMAC-SHA256(key, id "." timestamp "." body)).
 * out must hold HOOK_SIG_MAX bytes.
 */
void hook_sign(const uint8_t *key, size_t keylen, const char *id, long long timestamp,
	       const char *body, size_t bodylen, char out[HOOK_SIG_MAX]);

/* ------------------------------------------------------------ outbox arithmetic (outbox.c) */

/* What one attempt's result means for its rows. */
enum outbox_verdict {
	OUTBOX_V_DONE = 0,   /* 2xx */
	OUTBOX_V_RETRY,      /* 408, 429, 5xx, timeouts, connection errors: wait, then again */
	OUTBOX_V_DEAD,       /* other 4xx, 3xx (redirects are not followed): the request is wrong */
	OUTBOX_V_GONE,       /* 410: disable the hook, raise an alert */
};

#define OUTBOX_BACKOFF_BASE 5       /* seconds before the first retry (before jitter) */
#define OUTBOX_BACKOFF_CAP  3600    /* longest wait between two attempts */

/* http_status 0 means no HTTP answer (connection error, timeout). */
enum outbox_verdict outbox_classify_status(long http_status);

/*
 * outbox_backoff - seconds to wait after the attempts-th failed attempt
 * (attempts >= 1): BASE * 2^(attempts-1), capped at CAP, with "equal jitter"
 * drawn from rnd: a value in [d/2, d].
 */
unsigned outbox_backoff(unsigned attempts, uint32_t rnd);

/*
 * outbox_retry_after - a Retry-After header value (delta-seconds or an
 * HTTP-date) as seconds from now; -1 when absent or unparsable.  Bounded to
 * 30 days.
 */
long outbox_retry_after(const char *value, time_t now);

/*
 * outbox_fail - record a failed attempt on row at now: attempts++,
 * last_error set, and either next_attempt = now + max(backoff, retry_after)
 * (never later than the end of the retry window, created + retry_hours) or,
 * when the window has passed or verdict is DEAD/GONE, state DEAD.
 */
void outbox_fail(struct bw_outbox_row *row, enum outbox_verdict verdict, time_t now,
		 unsigned retry_hours, long retry_after, uint32_t rnd, const char *error);

/* outbox_done - record a delivered attempt on row. */
void outbox_done(struct bw_outbox_row *row, time_t now, const char *note);

const char *outbox_state_name(enum bw_outbox_state s);
/* ------------------------------------------------------------ dispatcher */

struct bw_dispatcher;

/*
 * dispatcher_new - a dispatcher for the hooks of cfg over the outbox of st
 * (both borrowed, must outlive it).  Reads each hook's token and signing
 * secret now (conf_read_secret(), registered with log_redact()); a hook whose
 * secret cannot be read keeps its rows pending with an error.  Never NULL.
 */
struct bw_dispatcher *dispatcher_new(const struct bw_config *cfg, struct bw_store *st);

/*
 * dispatcher_step - start due rows, progress transfers, record results.
 * Waits up to timeout_ms for network activity when transfers are in flight
 * (returns at once when idle).  Returns the rows still in flight or due, or
 * -1 on a store error.
 */
int dispatcher_step(struct bw_dispatcher *d, int timeout_ms);

/*
 * dispatcher_flush - deliver until nothing is due (a retry due before the
 * deadline is waited for) or timeout_s has passed.  Transfers still running
 * at the deadline are abandoned and their rows stay pending, due at once, for
 * the next run.  Returns the rows left in flight or due, or -1.
 */
int dispatcher_flush(struct bw_dispatcher *d, int timeout_s);

/* Deliveries counted since dispatcher_new: delivered, failed attempts, dead. */
struct dispatcher_stats { unsigned long delivered, failed, dead; };
void dispatcher_stats(const struct bw_dispatcher *d, struct dispatcher_stats *out);

/* Abandon transfers (their rows stay pending and due), scrub secrets, free. */
void dispatcher_free(struct bw_dispatcher *d);

#endif
