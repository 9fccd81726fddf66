/*
 * hook_dispatch.c - deliver outbox rows to HTTP hooks (SPEC §6) with libcurl's
 * multi interface: several transfers in flight, connections kept alive in the
 * multi handle's cache, one slow receiver limited to its own few slots.
 *
 * Durability: a row is only ever changed through the store.  Before a row is
 * sent it is leased (next_attempt pushed past the transfer's timeout), so a
 * crash or kill mid-transfer leaves it pending and due again after the lease;
 * its webhook-id never changes, so a receiver that got it twice sees the same
 * idempotency key.  After the answer the row is marked done, rescheduled
 * (backoff, Retry-After) or dead (outbox.c decides).
 *
 * Speed: due rows are read into a local queue (DUE_QUERY_MAX at a time) and
 * read again only when it runs low or gets old (QUERY_EVERY), never once per
 * freed slot.  Each pass (results of the finished transfers, claims of the
 * next ones) is one store transaction: one commit (one fsync) for many rows.
 * A transfer's claim is committed before its handle joins the multi handle,
 * so no byte leaves before the row is leased.
 */
#include "config.h"

#include <curl/curl.h>
#include <nettle/base64.h>
#include <jansson.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#include "conf.h"
#include "date.h"
#include "hook.h"
#include "log.h"
#include "metrics.h"
#include "store.h"
#include "util.h"

#define MAX_INFLIGHT   128    /* transfers at once, all hooks together */
#define MAX_PER_HOOK   32     /* transfers (keep-alive connections) at once to one hook */
#define LEASE_GRACE    30     /* seconds a started row stays reserved past the timeout */
#define DUE_QUERY_MAX  2048   /* rows read per look at the outbox (each read costs
				 about as much as the due rows it sorts: read few times) */
#define QUEUE_LOW      256    /* read again when fewer rows than this wait locally */
#define RESP_KEEP      160    /* bytes of a response body kept for last_error */
#define QUERY_EVERY    1      /* seconds a local queue is trusted; the longest wait
				 between looks at the outbox while transfers run */
#define EASY_POOL      MAX_INFLIGHT   /* idle curl easy handles kept for reuse */

/* One configured hook at run time. */
struct hook_rt {
	const struct bw_hook *conf;     /* borrowed from the configuration */
	char *token;                    /* owned, scrubbed on free: bearer token or basic password */
	char *basic_b64;                /* owned, scrubbed on free: base64(user ":" token), basic only */
	uint8_t *key;                   /* owned, scrubbed on free: signing key, NULL = unsigned */
	size_t keylen;
	char setup_error[200];          /* non-empty: secrets unreadable, every attempt fails */
	bool gone;                      /* answered 410: disabled until the next start */
	enum hook_ctx body_ctx;         /* JSON or FORM, from the Content-Type header */
	bool json_check;                /* rendered JSON bodies must parse */
	bool has_ctype;
	unsigned active;                /* transfers in flight */
};

/* One HTTP request in flight: one row, or a batch of rows of one hook. */
struct transfer {
	struct bw_dispatcher *d;        /* borrowed */
	struct hook_rt *h;              /* borrowed */
	CURL *easy;                     /* owned */
	struct bw_outbox_row *rows;     /* owned, n of them */
	size_t n;
	char **keys;                    /* owned: each row's recipient ("" = none) */
	struct curl_slist *hdrs;        /* owned; may hold the token: scrubbed on free */
	char *url;                      /* owned */
	char *body;                     /* owned, NULL = no body */
	size_t bodylen;
	long retry_after;               /* seconds, -1 = none */
	char resp[RESP_KEEP + 1];
	size_t resp_len;
	char errbuf[CURL_ERROR_SIZE];
	bool added;                     /* in the multi handle (its claim is committed) */
	struct transfer *next;
};

/* The local queue: due rows read at once, started or settled one by one.
 * Rows still in it are not claimed: a claim that fails (another instance
 * took the row) drops the row. */
struct due_queue {
	struct bw_outbox_row *rows;     /* owned (store_outbox_rows_free) */
	struct rendered *rr;            /* owned: each row rendered once, when first
					   looked at (ok false: not yet) */
	bool *used;                     /* owned: started, settled or dropped */
	size_t n, first;                /* rows[first..n) hold every unused row */
	size_t left;                    /* unused rows */
	bool more;                      /* the read was full: more due rows behind */
	bool progress;                  /* a row left the queue or a slot freed since the read */
};

struct bw_dispatcher {
	const struct bw_config *cfg;    /* borrowed */
	struct bw_store *st;            /* borrowed */
	CURLM *multi;                   /* owned */
	struct hook_rt *hooks;          /* owned, cfg->n_hooks of them */
	size_t n_hooks;
	struct transfer *active;        /* owned list */
	unsigned n_active;
	size_t rows_active;
	struct due_queue q;
	time_t next_query;              /* read the outbox again by then */
	bool in_tx;                     /* a store transaction is open (this pass) */
	CURL *pool[EASY_POOL];          /* owned: idle easy handles, reset */
	size_t n_pool;
	struct dispatcher_stats stats;
	char ua[64];
};

/* ------------------------------------------------------------ set-up */

static uint32_t rnd32(void)
{
	uint32_t r;
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) == (ssize_t)sizeof(r))
		return r;
	return (uint32_t)time(NULL) * 2654435761u ^ (uint32_t)getpid();
}

/* read_secret - conf_read_secret() with its complaint sent to the log instead
 * of a stream.  The secret is registered with log_redact(). */
static char *read_secret(const char *file, const char *env, const char *what,
			 char *why, size_t whysz)
{
	char *msg = NULL;
	size_t msglen = 0;
	FILE *mem = open_memstream(&msg, &msglen);
	char *s = conf_read_secret(file, env, what, mem ? mem : stderr);
	if (mem)
		fclose(mem);
	if (msg && msglen) {
		msg[strcspn(msg, "\n")] = '\0';
		if (s)
			log_warn("%s", msg);
		else
			bw_strlcpy(why, msg, whysz);
	}
	free(msg);
	if (s && *s)
		log_redact(s);
	return s;
}

/* basic_credentials - what an "Authorization: Basic" header carries,
 * base64(user ":" password), registered with log_redact(): a receiver that
 * echoes the header must not put it into a log line or last_error. */
static char *basic_credentials(const char *user, const char *password)
{
	char *plain = xasprintf("%s:%s", user ? user : "", password);
	size_t n = strlen(plain);
	char *out = xmalloc(BASE64_ENCODE_RAW_LENGTH(n) + 1);
	base64_encode_raw((char *)out, n, (const uint8_t *)plain);
	out[BASE64_ENCODE_RAW_LENGTH(n)] = '\0';
	conf_secret_free(plain);
	log_redact(out);
	return out;
}

static void hook_setup(struct hook_rt *h, const struct bw_hook *conf)
{
	char what[128];
	memset(h, 0, sizeof(*h));
	h->conf = conf;
	h->body_ctx = HOOK_CTX_JSON;
	h->json_check = true;
	for (size_t i = 0; i < conf->n_headers; i++) {
		const char *hd = conf->headers[i];
		if (!bw_prefixcase(hd, strlen(hd), "content-type:"))
			continue;
		h->has_ctype = true;
		if (bw_memcasemem(hd, strlen(hd), "x-www-form-urlencoded"))
			h->body_ctx = HOOK_CTX_FORM;
		h->json_check = bw_memcasemem(hd, strlen(hd), "json") != NULL;
	}
	if (h->body_ctx == HOOK_CTX_FORM)
		h->json_check = false;
	if (conf->auth_type && *conf->auth_type) {
		snprintf(what, sizeof(what), "hook '%s' auth token", conf->name);
		h->token = read_secret(conf->auth_token_file, conf->auth_token_env, what,
				       h->setup_error, sizeof(h->setup_error));
		if (h->token && strpbrk(h->token, "\r\n")) {
			snprintf(h->setup_error, sizeof(h->setup_error), "%s holds CR or LF", what);
			conf_secret_free(h->token);
			h->token = NULL;
		}
		if (!h->token && !*h->setup_error)
			snprintf(h->setup_error, sizeof(h->setup_error), "no %s", what);
		if (h->token && strcmp(conf->auth_type, "basic") == 0)
			h->basic_b64 = basic_credentials(conf->auth_user, h->token);
	}
	if ((conf->secret_file && *conf->secret_file) || (conf->secret_env && *conf->secret_env)) {
		snprintf(what, sizeof(what), "hook '%s' signing secret", conf->name);
		char why[200] = "";
		char *secret = read_secret(conf->secret_file, conf->secret_env, what, why, sizeof(why));
		if (secret) {
			h->key = hook_secret_decode(secret, &h->keylen);
			if (!h->key)
				snprintf(why, sizeof(why), "%s: whsec_ value is not valid base64", what);
			conf_secret_free(secret);
		}
		if (!h->key && !*h->setup_error)
			bw_strlcpy(h->setup_error, why, sizeof(h->setup_error));
	}
	if (*h->setup_error)
		log_error("hook %s: %s; its deliveries wait and are retried", conf->name,
			  h->setup_error);
}

struct bw_dispatcher *dispatcher_new(const struct bw_config *cfg, struct bw_store *st)
{
	struct bw_dispatcher *d = xcalloc(1, sizeof(*d));
	d->cfg = cfg;
	d->st = st;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fatal("cannot initialise libcurl");
	d->multi = curl_multi_init();
	if (!d->multi)
		fatal("cannot initialise libcurl (multi)");
	curl_multi_setopt(d->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)MAX_INFLIGHT);
	curl_multi_setopt(d->multi, CURLMOPT_MAXCONNECTS, (long)MAX_INFLIGHT);
	d->n_hooks = cfg->n_hooks;
	d->hooks = xcalloc(d->n_hooks ? d->n_hooks : 1, sizeof(*d->hooks));
	for (size_t i = 0; i < d->n_hooks; i++)
		hook_setup(&d->hooks[i], &cfg->hooks[i]);
	snprintf(d->ua, sizeof(d->ua), "bouncewatch/%s", PACKAGE_VERSION);
	return d;
}

static struct hook_rt *find_hook(struct bw_dispatcher *d, const char *name)
{
	for (size_t i = 0; i < d->n_hooks; i++)
		if (strcmp(d->hooks[i].conf->name, name) == 0)
			return &d->hooks[i];
	return NULL;
}

/* ------------------------------------------------------------ rows */

/* tx_open - make sure the pass's transaction is open before a write; the
 * pass commits it (tx_close).  0, or -1 (logged). */
static int tx_open(struct bw_dispatcher *d)
{
	if (d->in_tx)
		return 0;
	if (store_begin(d->st) < 0) {
		log_error("outbox: cannot begin a transaction: %s", store_error(d->st));
		return -1;
	}
	d->in_tx = true;
	return 0;
}

/* save - write a row back; a store failure is logged (the caller stops). */
static int save(struct bw_dispatcher *d, const struct bw_outbox_row *r)
{
	if (tx_open(d) < 0)
		return -1;
	if (store_outbox_update(d->st, r) == 0)
		return 0;
	log_error("outbox: cannot update row %lld: %s", (long long)r->id, store_error(d->st));
	return -1;
}

/* row_fail - a failed attempt on one row, recorded. */
static int row_fail(struct bw_dispatcher *d, const struct hook_rt *h, struct bw_outbox_row *r,
		    enum outbox_verdict v, long retry_after, uint32_t rnd, const char *error)
{
	unsigned retry_hours = h ? h->conf->retry_hours : 0;
	time_t now = time(NULL);
	outbox_fail(r, v, now, retry_hours, retry_after, rnd, error);
	d->stats.failed++;
	metrics_inc(BW_M_HOOK_FAILURES, r->hook, NULL);
	if (r->state == BW_OUTBOX_DEAD) {
		d->stats.dead++;
		metrics_inc(BW_M_HOOK_DEAD, r->hook, NULL);
		log_error("hook %s: %s %s is a dead letter (row %lld): %s", r->hook, r->event,
			  r->webhook_id, (long long)r->id, r->last_error);
	} else {
		log_warn("hook %s: %s %s failed (attempt %u), next in %llds: %s", r->hook, r->event,
			 r->webhook_id, r->attempts, (long long)(r->next_attempt - now), r->last_error);
	}
	return save(d, r);
}

/* ------------------------------------------------------------ rendering */

struct rendered {
	json_t *event;          /* owned: the row's payload */
	char *rcpt;             /* owned: the event's recipient, "" = none */
	char *url;              /* owned */
	char *element;          /* owned: the row's body (batch element or whole body), or NULL */
	size_t element_len;
	bool ok;                /* rendered */
};

/* recipient_of - the event's recipient, "" when it has none (borrowed). */
static const char *recipient_of(const json_t *event)
{
	const char *s = json_string_value(json_object_get(event, "recipient"));
	return s ? s : "";
}

/* busy - is a delivery for this recipient to h in flight?  Deliveries for one
 * address go one at a time, oldest first, so a suppress and a later
 * unsuppress cannot overtake each other. */
static bool busy(const struct bw_dispatcher *d, const struct hook_rt *h, const char *rcpt)
{
	if (!*rcpt)
		return false;
	for (const struct transfer *t = d->active; t; t = t->next)
		for (size_t i = 0; t->h == h && i < t->n; i++)
			if (strcmp(t->keys[i], rcpt) == 0)
				return true;
	return false;
}

static void rendered_free(struct rendered *r)
{
	json_decref(r->event);
	free(r->rcpt);
	free(r->url);
	free(r->element);
	memset(r, 0, sizeof(*r));
}

static bool method_has_body(const char *m)
{
	return strcasecmp(m, "GET") != 0 && strcasecmp(m, "HEAD") != 0 &&
	       strcasecmp(m, "DELETE") != 0;
}

/* render_row - URL and body (element) of one row.  0, or -1 with err. */
static int render_row(const struct hook_rt *h, const struct bw_outbox_row *row,
		      struct rendered *out, char *err, size_t errsz)
{
	json_error_t je;
	const char *payload = row->payload ? row->payload : "{}";
	memset(out, 0, sizeof(*out));
	out->event = json_loads(payload, 0, &je);
	if (!json_is_object(out->event)) {
		snprintf(err, errsz, "payload is not a JSON object: %s", je.text);
		return -1;
	}
	out->rcpt = xstrdup(recipient_of(out->event));
	struct hook_vars v = { out->event, NULL };
	out->url = hook_render(h->conf->url, HOOK_CTX_URL, &v, NULL, err, errsz);
	if (!out->url)
		return -1;
	const char *tpl = h->conf->body;
	if (tpl && *tpl) {
		out->element = hook_render(tpl, h->body_ctx, &v, &out->element_len, err, errsz);
		if (!out->element)
			return -1;
		if (h->json_check) {
			json_t *chk = json_loadb(out->element, out->element_len, JSON_DECODE_ANY, &je);
			if (!chk) {
				snprintf(err, errsz, "body template does not give JSON: %s", je.text);
				return -1;
			}
			json_decref(chk);
		}
	} else if (method_has_body(h->conf->method)) {
		/* no template: the event object itself, as stored (compact JSON,
		 * just checked to be an object) */
		out->element_len = strlen(payload);
		out->element = xstrndup(payload, out->element_len);
	}
	out->ok = true;
	return 0;
}

/* batch_id - a webhook-id for a batch: stable for the same rows. */
static void batch_id(const struct bw_outbox_row *rows, size_t n, char out[64])
{
	struct sha256_ctx c;
	uint8_t dig[SHA256_DIGEST_SIZE];
	sha256_init(&c);
	for (size_t i = 0; i < n; i++) {
		sha256_update(&c, strlen(rows[i].webhook_id), (const uint8_t *)rows[i].webhook_id);
		sha256_update(&c, 1, (const uint8_t *)"\n");
	}
	sha256_digest(&c, sizeof(dig), dig);
	memcpy(out, "batch_", 6);
	for (size_t i = 0; i < 16; i++)
		snprintf(out + 6 + 2 * i, 3, "%02x", dig[i]);
}

static bool batching(const struct hook_rt *h)
{
	return h->body_ctx == HOOK_CTX_JSON &&
	       (h->conf->batch > 1 || (h->conf->batch_body && *h->conf->batch_body));
}

/* ------------------------------------------------------------ transfers */

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct transfer *t = arg;
	size_t n = size * nmemb, room = RESP_KEEP - t->resp_len;
	size_t k = n < room ? n : room;
	memcpy(t->resp + t->resp_len, p, k);
	t->resp_len += k;
	t->resp[t->resp_len] = '\0';
	return n;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *arg)
{
	struct transfer *t = arg;
	size_t n = size * nmemb;
	if (bw_prefixcase(p, n, "HTTP/"))
		t->retry_after = -1;   /* a new response (after 1xx) */
	else if (bw_prefixcase(p, n, "retry-after:")) {
		char v[128];
		size_t vl = n - 12 < sizeof(v) - 1 ? n - 12 : sizeof(v) - 1;
		memcpy(v, p + 12, vl);
		v[vl] = '\0';
		v[strcspn(v, "\r\n")] = '\0';
		t->retry_after = outbox_retry_after(v, time(NULL));
	}
	return n;
}

static void slist_scrub_free(struct curl_slist *l)
{
	for (struct curl_slist *p = l; p; p = p->next)
		explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

/* easy_put - keep an idle easy handle for the next transfer (its options
 * reset: nothing of the last request, token included, stays set). */
static void easy_put(struct bw_dispatcher *d, CURL *e)
{
	if (d->n_pool < EASY_POOL) {
		curl_easy_reset(e);
		d->pool[d->n_pool++] = e;
	} else {
		curl_easy_cleanup(e);
	}
}

static void transfer_free(struct transfer *t)
{
	if (!t)
		return;
	if (t->easy)
		easy_put(t->d, t->easy);
	slist_scrub_free(t->hdrs);
	for (size_t i = 0; t->keys && i < t->n; i++)
		free(t->keys[i]);
	free(t->keys);
	store_outbox_rows_free(t->rows, t->n);
	free(t->url);
	free(t->body);
	free(t);
}

static bool add_header(struct transfer *t, const char *line)
{
	struct curl_slist *l = curl_slist_append(t->hdrs, line);
	if (!l)
		return false;
	t->hdrs = l;
	return true;
}

/* build_headers - configured headers (rendered for the first event), the
 * defaults, auth, and the Standard Webhooks trio.  0, or -1 with err. */
static int build_headers(struct transfer *t, const json_t *first, const char *id,
			 char *err, size_t errsz)
{
	const struct hook_rt *h = t->h;
	struct hook_vars v = { first, NULL };
	for (size_t i = 0; i < h->conf->n_headers; i++) {
		char *line = hook_render(h->conf->headers[i], HOOK_CTX_HEADER, &v, NULL, err, errsz);
		if (!line)
			return -1;
		bool ok = add_header(t, line);
		free(line);
		if (!ok)
			fatal("out of memory (curl headers)");
	}
	char line[256];
	long long ts = (long long)time(NULL);
	if (t->body && !h->has_ctype)
		add_header(t, "Content-Type: application/json");
	if (h->token && strcmp(h->conf->auth_type, "bearer") == 0) {
		char *auth = xasprintf("Authorization: Bearer %s", h->token);
		add_header(t, auth);
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	snprintf(line, sizeof(line), "webhook-id: %s", id);
	add_header(t, line);
	snprintf(line, sizeof(line), "webhook-timestamp: %lld", ts);
	add_header(t, line);
	if (h->key) {
		char sig[HOOK_SIG_MAX];
		hook_sign(h->key, h->keylen, id, ts, t->body ? t->body : "", t->bodylen, sig);
		snprintf(line, sizeof(line), "webhook-signature: %s", sig);
		add_header(t, line);
	}
	add_header(t, "Expect:");   /* no 100-continue round trip */
	return 0;
}

/* build_body - the request body from the rendered rows. */
static int build_body(struct transfer *t, struct rendered *rr, char *err, size_t errsz)
{
	const struct hook_rt *h = t->h;
	if (!batching(h)) {
		if (rr[0].element) {
			t->body = rr[0].element;
			t->bodylen = rr[0].element_len;
			rr[0].element = NULL;
		}
		return 0;
	}
	struct bw_buf arr = { .limit = HOOK_RENDER_MAX };
	bool ok = bw_buf_append(&arr, "[", 1);
	for (size_t i = 0; i < t->n && ok; i++) {
		const char *el = rr[i].element ? rr[i].element : "null";
		size_t el_len = rr[i].element ? rr[i].element_len : 4;
		ok = (i == 0 || bw_buf_append(&arr, ",", 1)) && bw_buf_append(&arr, el, el_len);
	}
	ok = ok && bw_buf_append(&arr, "]", 1);
	if (!ok) {
		snprintf(err, errsz, "batch is larger than %u bytes", HOOK_RENDER_MAX);
		bw_buf_free(&arr);
		return -1;
	}
	const char *tpl = h->conf->batch_body && *h->conf->batch_body ? h->conf->batch_body
									: "{{events}}";
	struct hook_vars v = { rr[0].event, arr.data };
	t->body = hook_render(tpl, HOOK_CTX_JSON, &v, &t->bodylen, err, errsz);
	bw_buf_free(&arr);
	return t->body ? 0 : -1;
}

static void set_method(CURL *e, const char *m, const char *body, size_t bodylen)
{
	if (strcasecmp(m, "HEAD") == 0) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
		return;
	}
	if (body) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)bodylen);
	} else if (strcasecmp(m, "POST") == 0) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
	}
	if (strcasecmp(m, "POST") != 0 && (body || strcasecmp(m, "GET") != 0))
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m);
}

/* make_easy - a libcurl handle for t, locked down: http/https only, no
 * redirects, TLS verified, bounded in time. */
static CURL *make_easy(struct bw_dispatcher *d, struct transfer *t)
{
	const struct bw_hook *c = t->h->conf;
	CURL *e = d->n_pool ? d->pool[--d->n_pool] : curl_easy_init();
	if (!e)
		fatal("out of memory (curl)");
	curl_easy_setopt(e, CURLOPT_URL, t->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)c->timeout);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, (long)(c->timeout < 10 ? c->timeout : 10));
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, d->ua);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->hdrs);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
	curl_easy_setopt(e, CURLOPT_PRIVATE, t);
	if (t->h->token && strcmp(c->auth_type, "basic") == 0) {
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(e, CURLOPT_USERNAME, c->auth_user ? c->auth_user : "");
		curl_easy_setopt(e, CURLOPT_PASSWORD, t->h->token);
	}
	set_method(e, c->method, t->body, t->bodylen);
	return e;
}

/* lease - claim t's rows for the length of the transfer (store_outbox_claim:
 * of several instances sharing the store, one wins each row).  0, or 1 when
 * another instance claimed a row first (the transfer is dropped, rows claimed
 * here are due again), or -1 on a store error. */
static int lease(struct bw_dispatcher *d, struct transfer *t)
{
	time_t now = time(NULL);
	time_t until = now + (time_t)t->h->conf->timeout + LEASE_GRACE;
	if (tx_open(d) < 0)
		return -1;
	for (size_t i = 0; i < t->n; i++) {
		int r = store_outbox_claim(d->st, t->rows[i].id, now, until);
		if (r < 0) {
			log_error("outbox: cannot claim row %lld: %s", (long long)t->rows[i].id,
				  store_error(d->st));
			return -1;
		}
		if (r == 0) {
			for (size_t j = 0; j < i; j++) {
				struct bw_outbox_row back = t->rows[j];
				back.next_attempt = now;
				if (save(d, &back) < 0)
					return -1;
			}
			return 1;
		}
	}
	return 0;
}

/* launch - build the request for rows (taken over) and claim them in the
 * pass's transaction; the transfer is in d->active at once (busy() and the
 * slot counts see it) but joins the multi handle only after the commit
 * (tx_close).  Rows whose rendering fails become dead letters here.
 * Returns 0, or -1 on a store error. */
static int launch(struct bw_dispatcher *d, struct hook_rt *h, struct bw_outbox_row *rows,
		  size_t n, struct rendered *rr)
{
	char err[256] = "", id[64];
	struct transfer *t = xcalloc(1, sizeof(*t));
	t->d = d;
	t->h = h;
	t->rows = rows;
	t->n = n;
	t->retry_after = -1;
	t->url = rr[0].url;
	rr[0].url = NULL;
	t->keys = xcalloc(n, sizeof(*t->keys));
	for (size_t i = 0; i < n; i++)
		t->keys[i] = xstrdup(rr[i].rcpt);
	if (n == 1)
		bw_strlcpy(id, rows[0].webhook_id, sizeof(id));
	else
		batch_id(rows, n, id);
	if (build_body(t, rr, err, sizeof(err)) < 0 ||
	    build_headers(t, rr[0].event, id, err, sizeof(err)) < 0) {
		int rc = 0;
		for (size_t i = 0; i < n && rc == 0; i++)
			rc = row_fail(d, h, &rows[i], OUTBOX_V_DEAD, -1, 0, err);
		transfer_free(t);
		return rc;
	}
	int claimed = lease(d, t);
	if (claimed != 0) {
		transfer_free(t);
		return claimed < 0 ? -1 : 0;
	}
	t->easy = make_easy(d, t);
	t->next = d->active;
	d->active = t;
	d->n_active++;
	d->rows_active += n;
	h->active++;
	log_debug("hook %s: sending %zu event(s), webhook-id %s", h->conf->name, n, id);
	return 0;
}

/* ------------------------------------------------------------ 410 Gone */

/* raise_gone_alert - queue an `alert` event for every other hook that takes
 * alerts: hook `gone` answered 410 and is disabled. */
static void raise_gone_alert(struct bw_dispatcher *d, const struct hook_rt *gone, int64_t row_id)
{
	time_t now = time(NULL);
	for (size_t i = 0; i < d->n_hooks; i++) {
		const struct hook_rt *h = &d->hooks[i];
		bool wants = false;
		for (size_t k = 0; k < h->conf->n_events; k++)
			wants = wants || strcmp(h->conf->events[k], "alert") == 0;
		if (h == gone || h->gone || !wants)
			continue;
		struct bw_outbox_row r;
		memset(&r, 0, sizeof(r));
		struct sha256_ctx c;
		uint8_t dig[SHA256_DIGEST_SIZE];
		char src[512];
		int sl = snprintf(src, sizeof(src), "gone\n%s\n%lld\n%s", gone->conf->name,
				  (long long)row_id, h->conf->name);
		sha256_init(&c);
		sha256_update(&c, (size_t)sl < sizeof(src) ? (size_t)sl : sizeof(src) - 1,
			      (const uint8_t *)src);
		sha256_digest(&c, sizeof(dig), dig);
		memcpy(r.webhook_id, "alert_", 6);
		for (size_t k = 0; k < 16; k++)
			snprintf(r.webhook_id + 6 + 2 * k, 3, "%02x", dig[k]);
		bw_strlcpy(r.hook, h->conf->name, sizeof(r.hook));
		snprintf(r.event, sizeof(r.event), "alert");
		char *detail = xasprintf("hook '%s' answered 410 Gone; it is disabled until "
					 "bouncewatch restarts", gone->conf->name);
		char ts[32];
		bw_format_time(now, ts, sizeof(ts));
		json_t *p = json_pack("{s:s, s:s, s:s, s:s, s:n, s:s, s:s, s:s, s:s}",
				      "event", "alert", "reason", "hook_gone", "scope", "account",
				      "account", "", "recipient", "detail", detail,
				      "hook", gone->conf->name, "time", ts,
				      "webhook_id", r.webhook_id);
		free(detail);
		r.payload = p ? json_dumps(p, JSON_COMPACT) : NULL;
		json_decref(p);
		r.created = now;
		if (!r.payload || tx_open(d) < 0 || store_outbox_add(d->st, &r) < 0)
			log_error("hook %s: cannot queue the alert: %s", h->conf->name,
				  store_error(d->st));
		outbox_row_clear(&r);
	}
}

static void hook_gone(struct bw_dispatcher *d, struct hook_rt *h, int64_t row_id)
{
	if (h->gone)
		return;
	h->gone = true;
	log_error("hook %s: the receiver answered 410 Gone: hook disabled until bouncewatch "
		  "restarts; its deliveries become dead letters (fix the hook, then "
		  "`bouncewatch outbox retry --all-dead`)", h->conf->name);
	raise_gone_alert(d, h, row_id);
}

/* ------------------------------------------------------------ results */

static void unlink_transfer(struct bw_dispatcher *d, struct transfer *t)
{
	for (struct transfer **pp = &d->active; *pp; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	if (t->added)
		curl_multi_remove_handle(d->multi, t->easy);
	d->n_active--;
	d->rows_active -= t->n;
	t->h->active--;
}

/* mask - overwrite every copy of secret in buf with '*': a receiver that
 * echoes the request must not put our token into last_error. */
static void mask(char *buf, const char *secret)
{
	size_t n = secret ? strlen(secret) : 0;
	char *p = buf;
	while (n && (p = strstr(p, secret))) {
		memset(p, '*', n);
		p += n;
	}
}

/* finish - record the answer of a completed transfer on its rows. */
static int finish(struct bw_dispatcher *d, struct transfer *t, CURLcode res)
{
	long code = 0;
	char err[256];
	enum outbox_verdict v;
	unlink_transfer(d, t);
	mask(t->resp, t->h->token);
	mask(t->resp, t->h->basic_b64);
	if (res == CURLE_OK) {
		curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
		v = outbox_classify_status(code);
		snprintf(err, sizeof(err), "HTTP %ld%s%s", code, t->resp_len ? ": " : "", t->resp);
	} else {
		v = res == CURLE_UNSUPPORTED_PROTOCOL || res == CURLE_URL_MALFORMAT ?
			OUTBOX_V_DEAD : OUTBOX_V_RETRY;
		bw_strlcpy(err, *t->errbuf ? t->errbuf : curl_easy_strerror(res), sizeof(err));
	}
	/* one draw per failed request: a batch stays together */
	uint32_t rnd = v == OUTBOX_V_DONE ? 0 : rnd32();
	int rc = 0;
	if (v == OUTBOX_V_DONE)
		log_info("hook %s: delivered %zu event(s) (HTTP %ld)", t->h->conf->name, t->n, code);
	for (size_t i = 0; i < t->n && rc == 0; i++) {
		if (v == OUTBOX_V_DONE) {
			outbox_done(&t->rows[i], time(NULL), err);
			d->stats.delivered++;
			metrics_inc(BW_M_HOOK_DELIVERIES, t->rows[i].hook, NULL);
			rc = save(d, &t->rows[i]);
		} else {
			rc = row_fail(d, t->h, &t->rows[i], v, t->retry_after, rnd, err);
		}
	}
	if (v == OUTBOX_V_GONE)
		hook_gone(d, t->h, t->rows[0].id);
	transfer_free(t);
	return rc;
}

static int collect(struct bw_dispatcher *d)
{
	CURLMsg *m;
	int left, rc = 0;
	while ((m = curl_multi_info_read(d->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		struct transfer *t = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&t);
		if (finish(d, t, m->data.result) < 0)
			rc = -1;
		d->q.progress = true;   /* a slot is free: an empty queue is read again */
	}
	return rc;
}

/* ------------------------------------------------------------ scheduling */

/* settle_unsendable - a row that cannot be sent now: its hook is not
 * configured (dead), answered 410 (dead), or lacks its secrets (a failed
 * attempt: retried with backoff, dead after the retry window). */
static int settle_unsendable(struct bw_dispatcher *d, struct bw_outbox_row *r, struct hook_rt *h)
{
	if (!h)
		return row_fail(d, NULL, r, OUTBOX_V_DEAD, -1, 0,
				"no hook of this name in the configuration");
	if (h->gone)
		return row_fail(d, h, r, OUTBOX_V_DEAD, -1, 0, "hook disabled: its receiver answered 410 Gone");
	return row_fail(d, h, r, OUTBOX_V_RETRY, -1, rnd32(), h->setup_error);
}

/* q_take - row j leaves the local queue (started, settled or dropped). */
static void q_take(struct due_queue *q, size_t j)
{
	if (q->used[j])
		return;
	q->used[j] = true;
	q->left--;
	q->progress = true;
	while (q->first < q->n && q->used[q->first])
		q->first++;
}

static void q_clear(struct due_queue *q)
{
	for (size_t j = 0; q->rr && j < q->n; j++)
		rendered_free(&q->rr[j]);
	free(q->rr);
	store_outbox_rows_free(q->rows, q->n);
	free(q->used);
	memset(q, 0, sizeof(*q));
}

/* q_waiting - rows known to wait: unused ones, and one more when the read
 * was full (there is more behind). */
static size_t q_waiting(const struct due_queue *q)
{
	return q->left + (q->more ? 1 : 0);
}

/* q_refill - read the due rows again into the local queue when it is empty
 * or runs low after progress, when it is older than QUERY_EVERY (rows due
 * since, a claim another instance let expire), when nothing is in flight
 * (idle: every look settles or starts what it finds), or when forced.  Rows
 * in flight are claimed, so the read does not return them.  0 or -1. */
static int q_refill(struct bw_dispatcher *d, time_t now, bool force)
{
	struct due_queue *q = &d->q;
	bool low = q->left < QUEUE_LOW && q->more && q->progress;
	bool empty = q->left == 0 && (q->more || q->progress);
	if (!force && d->n_active > 0 && now < d->next_query && !low && !empty)
		return 0;
	if (!force && d->n_active >= MAX_INFLIGHT && now < d->next_query)
		return 0;
	q_clear(q);
	d->next_query = now + QUERY_EVERY;
	if (store_outbox_due(d->st, now, DUE_QUERY_MAX, &q->rows, &q->n) < 0) {
		log_error("outbox: %s", store_error(d->st));
		q->rows = NULL;
		q->n = 0;
		return -1;
	}
	q->used = xcalloc(q->n ? q->n : 1, sizeof(*q->used));
	q->rr = xcalloc(q->n ? q->n : 1, sizeof(*q->rr));
	q->left = q->n;
	q->more = q->n == DUE_QUERY_MAX;
	return 0;
}

/* group - queued rows of h from i on, with the lead row's URL, at most the
 * hook's batch size; each is moved into *out (and taken from the queue).
 * Rows that do not render become dead letters; rows whose recipient is in
 * flight wait in the queue. */
static int group(struct bw_dispatcher *d, struct hook_rt *h, size_t i,
		 struct bw_outbox_row **out, struct rendered **rout, size_t *k)
{
	struct due_queue *q = &d->q;
	size_t max = batching(h) ? h->conf->batch : 1;
	char err[256];
	*out = xcalloc(max, sizeof(**out));
	*rout = xcalloc(max, sizeof(**rout));
	*k = 0;
	for (size_t j = i; j < q->n && *k < max; j++) {
		if (q->used[j] || strcmp(q->rows[j].hook, h->conf->name) != 0)
			continue;
		struct rendered *r = &q->rr[j];
		if (!r->ok && render_row(h, &q->rows[j], r, err, sizeof(err)) < 0) {
			rendered_free(r);
			q_take(q, j);
			if (row_fail(d, h, &q->rows[j], OUTBOX_V_DEAD, -1, 0, err) < 0)
				return -1;
			continue;
		}
		if ((*k > 0 && strcmp(r->url, (*rout)[0].url) != 0) ||
		    busy(d, h, r->rcpt))
			continue;   /* another URL: another request; or wait */
		q_take(q, j);
		(*out)[*k] = q->rows[j];
		q->rows[j].payload = NULL;   /* moved */
		(*rout)[(*k)++] = *r;
		memset(r, 0, sizeof(*r));    /* moved */
	}
	return 0;
}

/* hooks_full - has every usable hook all its slots taken?  (Rows of a
 * broken hook are settled when the scan reaches them.) */
static bool hooks_full(const struct bw_dispatcher *d)
{
	for (size_t i = 0; i < d->n_hooks; i++) {
		const struct hook_rt *h = &d->hooks[i];
		if (!h->gone && !*h->setup_error && h->active < MAX_PER_HOOK)
			return false;
	}
	return true;
}

/* start_queued - start transfers from the local queue, oldest first, while
 * there are free slots; settle rows that cannot be sent.  0 or -1. */
static int start_queued(struct bw_dispatcher *d)
{
	struct due_queue *q = &d->q;
	int rc = 0;
	for (size_t i = q->first; i < q->n && rc == 0 && d->n_active < MAX_INFLIGHT; i++) {
		if (q->used[i])
			continue;
		struct hook_rt *h = find_hook(d, q->rows[i].hook);
		if (!h || h->gone || *h->setup_error) {
			q_take(q, i);
			rc = settle_unsendable(d, &q->rows[i], h);
			continue;
		}
		if (h->active >= MAX_PER_HOOK) {
			if (hooks_full(d))
				break;   /* nothing more can start in this pass */
			continue;
		}
		struct bw_outbox_row *g;
		struct rendered *rr;
		size_t k;
		rc = group(d, h, i, &g, &rr, &k);
		if (rc == 0 && k > 0)
			rc = launch(d, h, g, k, rr);
		else
			store_outbox_rows_free(g, k);
		for (size_t j = 0; j < k; j++)
			rendered_free(&rr[j]);
		free(rr);
	}
	return rc;
}

/* tx_close - end the pass's transaction: commit, then hand the transfers it
 * claimed to libcurl; on any failure roll back and drop them (their rows
 * are as they were in the store, and read again).  rc is the pass's result
 * so far; returns it, or -1 when the commit failed. */
static int tx_close(struct bw_dispatcher *d, int rc)
{
	if (d->in_tx) {
		d->in_tx = false;
		if (rc == 0 && store_commit(d->st) < 0) {
			log_error("outbox: cannot commit: %s", store_error(d->st));
			rc = -1;
		}
		if (rc < 0)
			store_rollback(d->st);
	}
	for (struct transfer **pp = &d->active; *pp;) {
		struct transfer *t = *pp;
		if (t->added) {
			pp = &t->next;
			continue;
		}
		if (rc < 0) {
			unlink_transfer(d, t);   /* *pp is now t->next */
			transfer_free(t);
			continue;
		}
		if (curl_multi_add_handle(d->multi, t->easy) != CURLM_OK)
			fatal("curl_multi_add_handle failed");
		t->added = true;
		pp = &t->next;
	}
	if (rc < 0) {
		q_clear(&d->q);   /* its rows' claims may be gone with the rollback */
		d->next_query = 0;
	}
	return rc;
}

/* pass - read the outbox again if the queue needs it (before the write
 * transaction: rows in flight are claimed, so the read cannot return them),
 * then one transaction: record the finished transfers, claim and start what
 * the free slots take. */
static int pass(struct bw_dispatcher *d, bool force)
{
	int read = q_refill(d, time(NULL), force);
	int rc = collect(d);    /* also after a failed read: record what finished */
	if (rc == 0 && read == 0)
		rc = start_queued(d);
	rc = tx_close(d, rc);
	return read < 0 ? -1 : rc;
}

/* ------------------------------------------------------------ public */

static int step(struct bw_dispatcher *d, int timeout_ms, bool force)
{
	int running = 0, rc = 0;
	if (pass(d, force) < 0)
		rc = -1;
	if (d->n_active == 0)
		return rc < 0 ? -1 : (int)q_waiting(&d->q);
	curl_multi_perform(d->multi, &running);
	if ((unsigned)running >= d->n_active && timeout_ms > 0) {
		/* nothing finished yet: wait for the network */
		curl_multi_poll(d->multi, NULL, 0, timeout_ms, NULL);
		curl_multi_perform(d->multi, &running);
	}
	if (pass(d, false) < 0)
		rc = -1;
	return rc < 0 ? -1 : (int)(d->rows_active + q_waiting(&d->q));
}

int dispatcher_step(struct bw_dispatcher *d, int timeout_ms)
{
	return step(d, timeout_ms, false);
}

/* abandon - stop every transfer; rows stay pending and due now (one
 * transaction for them all). */
static void abandon(struct bw_dispatcher *d)
{
	time_t now = time(NULL);
	while (d->active) {
		struct transfer *t = d->active;
		unlink_transfer(d, t);
		for (size_t i = 0; i < t->n; i++) {
			t->rows[i].next_attempt = now;
			save(d, &t->rows[i]);
		}
		transfer_free(t);
	}
	tx_close(d, 0);
	q_clear(&d->q);
}

/* due_before - is a pending row due at or before t? 1, 0 or -1. */
static int due_before(struct bw_dispatcher *d, time_t t)
{
	struct bw_outbox_row *rows;
	size_t n;
	if (store_outbox_due(d->st, t, 1, &rows, &n) < 0)
		return -1;
	store_outbox_rows_free(rows, n);
	return n > 0;
}

int dispatcher_flush(struct bw_dispatcher *d, int timeout_s)
{
	time_t deadline = time(NULL) + (timeout_s > 0 ? timeout_s : 0);
	bool force = true;
	for (;;) {
		int n = step(d, 200, force);
		force = false;
		if (n < 0)
			return -1;
		if (time(NULL) >= deadline)
			break;
		if (n > 0)
			continue;
		int later = due_before(d, deadline);
		if (later <= 0)
			return later;
		usleep(250 * 1000);   /* a retry comes due before the deadline: wait for it */
		force = true;
	}
	size_t left = d->rows_active + q_waiting(&d->q);
	abandon(d);
	return (int)left;
}

void dispatcher_stats(const struct bw_dispatcher *d, struct dispatcher_stats *out)
{
	*out = d->stats;
}

void dispatcher_free(struct bw_dispatcher *d)
{
	if (!d)
		return;
	abandon(d);
	for (size_t i = 0; i < d->n_hooks; i++) {
		conf_secret_free(d->hooks[i].token);
		conf_secret_free(d->hooks[i].basic_b64);
		if (d->hooks[i].key) {
			explicit_bzero(d->hooks[i].key, d->hooks[i].keylen);
			free(d->hooks[i].key);
		}
	}
	free(d->hooks);
	while (d->n_pool)
		curl_easy_cleanup(d->pool[--d->n_pool]);
	curl_multi_cleanup(d->multi);
	curl_global_cleanup();
	free(d);
}
