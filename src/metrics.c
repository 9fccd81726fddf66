/*
 * metrics.c - counter/gauge registry, Prometheus text exposition, and the
 * libmicrohttpd listener.  See metrics.h.
 *
 * A registry is a flat array of series under one mutex: the number of series
 * is small (verdicts, kinds x reasons seen, accounts, hooks) and counting
 * happens once per message or delivery, so a lock is cheaper than cleverness.
 */
#include "config.h"

#include <arpa/inet.h>
#include <math.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "log.h"
#include "metrics.h"
#include "util.h"

enum mtype { M_COUNTER, M_GAUGE };

struct family {
	const char *name;
	const char *help;
	enum mtype type;
	unsigned n_labels;
	const char *labels[2];
};

/* The table: names and label sets are the interface dashboards rely on. */
static const struct family families[BW_M__COUNT] = {
	[BW_M_MESSAGES] = { "bouncewatch_messages_total",
		"Messages run through the pipeline and committed, by verdict.",
		M_COUNTER, 1, { "verdict" } },
	[BW_M_MESSAGES_DUPLICATE] = { "bouncewatch_messages_duplicate_total",
		"Messages already processed before (nothing was changed).", M_COUNTER, 0, { NULL } },
	[BW_M_MESSAGES_FAILED] = { "bouncewatch_messages_failed_total",
		"Messages not kept because of a state store error (retried later).",
		M_COUNTER, 0, { NULL } },
	[BW_M_EVENTS] = { "bouncewatch_events_total",
		"Bounce events recorded, by kind and reason.", M_COUNTER, 2, { "kind", "reason" } },
	[BW_M_DECISIONS] = { "bouncewatch_decisions_total",
		"Policy decisions recorded (hook events), by decision.",
		M_COUNTER, 1, { "decision" } },
	[BW_M_SUPPRESSIONS] = { "bouncewatch_suppressions_total",
		"Addresses put on the suppression list, by scope.", M_COUNTER, 1, { "scope" } },
	[BW_M_HOOK_DELIVERIES] = { "bouncewatch_hook_deliveries_total",
		"Hook events delivered (HTTP 2xx), by hook.", M_COUNTER, 1, { "hook" } },
	[BW_M_HOOK_FAILURES] = { "bouncewatch_hook_failures_total",
		"Failed hook delivery attempts, by hook.", M_COUNTER, 1, { "hook" } },
	[BW_M_HOOK_DEAD] = { "bouncewatch_hook_dead_letters_total",
		"Hook events given up on (dead letters), by hook.", M_COUNTER, 1, { "hook" } },
	[BW_M_HOOK_QUEUE] = { "bouncewatch_hook_queue_depth",
		"Outbox rows in flight or due for delivery.", M_GAUGE, 0, { NULL } },
	[BW_M_IMAP_CONNECTS] = { "bouncewatch_imap_connects_total",
		"Successful IMAP logins, by account.", M_COUNTER, 1, { "account" } },
	[BW_M_IMAP_RECONNECTS] = { "bouncewatch_imap_reconnects_total",
		"IMAP logins after a lost or refused connection, by account.",
		M_COUNTER, 1, { "account" } },
	[BW_M_IMAP_LAST_POLL] = { "bouncewatch_imap_last_poll_timestamp_seconds",
		"Unix time of the last successful sync of a folder, by account.",
		M_GAUGE, 1, { "account" } },
	[BW_M_START_TIME] = { "bouncewatch_start_time_seconds",
		"Unix time when the process started.", M_GAUGE, 0, { NULL } },
	[BW_M_BUILD_INFO] = { "bouncewatch_build_info",
		"Always 1; the version is a label.", M_GAUGE, 1, { "version" } },
};

struct series {
	enum bw_metric id;
	char *lv[2];         /* owned label values, "" when the family has fewer labels */
	double value;
};

struct metrics {
	pthread_mutex_t mu;
	struct series *s;    /* owned */
	size_t n, cap;
	bool dropped_warned;
};

/* ------------------------------------------------------------ registry */

struct metrics *metrics_new(void)
{
	struct metrics *m = xcalloc(1, sizeof *m);
	pthread_mutex_init(&m->mu, NULL);
	return m;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		free(m->s[i].lv[0]);
		free(m->s[i].lv[1]);
	}
	free(m->s);
	pthread_mutex_destroy(&m->mu);
	free(m);
}

const char *metrics_name(enum bw_metric id)
{
	return (unsigned)id < BW_M__COUNT ? families[id].name : "";
}

/* The label value l for label i of family id: "" when absent, cut at the cap. */
static void label_value(const char *l, char out[METRICS_LABEL_MAX + 1])
{
	size_t n = l ? strnlen(l, METRICS_LABEL_MAX) : 0;
	memcpy(out, l ? l : "", n);
	out[n] = '\0';
}

/* find - the series of (id, a, b), created when create; NULL past the cap.
 * Called with the lock held. */
static struct series *find(struct metrics *m, enum bw_metric id, const char *a, const char *b,
			   bool create)
{
	for (size_t i = 0; i < m->n; i++) {
		struct series *s = &m->s[i];
		if (s->id == id && strcmp(s->lv[0], a) == 0 && strcmp(s->lv[1], b) == 0)
			return s;
	}
	if (!create)
		return NULL;
	if (m->n >= METRICS_SERIES_MAX) {
		if (!m->dropped_warned)
			log_warn("metrics: more than %u series, new ones are dropped",
				 METRICS_SERIES_MAX);
		m->dropped_warned = true;
		return NULL;
	}
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 32;
		m->s = xrealloc(m->s, m->cap * sizeof *m->s);
	}
	struct series *s = &m->s[m->n++];
	s->id = id;
	s->lv[0] = xstrdup(a);
	s->lv[1] = xstrdup(b);
	s->value = 0;
	return s;
}

/* update - add v (set false) or set v (set true) under the lock. */
static void update(struct metrics *m, enum bw_metric id, double v, const char *l1,
		   const char *l2, bool set)
{
	if (!m || (unsigned)id >= BW_M__COUNT)
		return;
	char a[METRICS_LABEL_MAX + 1], b[METRICS_LABEL_MAX + 1];
	unsigned nl = families[id].n_labels;
	label_value(nl >= 1 ? l1 : NULL, a);
	label_value(nl >= 2 ? l2 : NULL, b);
	pthread_mutex_lock(&m->mu);
	struct series *s = find(m, id, a, b, true);
	if (s)
		s->value = set ? v : s->value + v;
	pthread_mutex_unlock(&m->mu);
}

void metrics_reg_add(struct metrics *m, enum bw_metric id, double v, const char *l1,
		     const char *l2)
{
	update(m, id, v, l1, l2, false);
}

void metrics_reg_set(struct metrics *m, enum bw_metric id, double v, const char *l1,
		     const char *l2)
{
	update(m, id, v, l1, l2, true);
}

double metrics_reg_get(struct metrics *m, enum bw_metric id, const char *l1, const char *l2)
{
	if (!m || (unsigned)id >= BW_M__COUNT)
		return 0;
	char a[METRICS_LABEL_MAX + 1], b[METRICS_LABEL_MAX + 1];
	unsigned nl = families[id].n_labels;
	label_value(nl >= 1 ? l1 : NULL, a);
	label_value(nl >= 2 ? l2 : NULL, b);
	pthread_mutex_lock(&m->mu);
	struct series *s = find(m, id, a, b, false);
	double v = s ? s->value : 0;
	pthread_mutex_unlock(&m->mu);
	return v;
}

/* ------------------------------------------------------------ exposition */

/* A label value, escaped as format 0.0.4 asks: backslash, quote, newline. */
static void put_label_value(struct bw_buf *b, const char *v)
{
	for (const char *p = v; *p; p++) {
		if (*p == '\\')
			bw_buf_append(b, "\\\\", 2);
		else if (*p == '"')
			bw_buf_append(b, "\\\"", 2);
		else if (*p == '\n')
			bw_buf_append(b, "\\n", 2);
		else
			bw_buf_append(b, p, 1);
	}
}

/* A sample value: integers without exponent or decimals, the rest %.17g. */
static void put_value(struct bw_buf *b, double v)
{
	if (isnan(v))
		bw_buf_printf(b, "NaN");
	else if (isinf(v))
		bw_buf_printf(b, v > 0 ? "+Inf" : "-Inf");
	else if (v == (double)(long long)v && v < 9.0e15 && v > -9.0e15)
		bw_buf_printf(b, "%lld", (long long)v);
	else
		bw_buf_printf(b, "%.17g", v);
}

static void put_sample(struct bw_buf *b, const struct family *f, const struct series *s)
{
	bw_buf_printf(b, "%s", f->name);
	if (f->n_labels) {
		bw_buf_append(b, "{", 1);
		for (unsigned i = 0; i < f->n_labels; i++) {
			bw_buf_printf(b, "%s%s=\"", i ? "," : "", f->labels[i]);
			put_label_value(b, s->lv[i]);
			bw_buf_append(b, "\"", 1);
		}
		bw_buf_append(b, "}", 1);
	}
	bw_buf_append(b, " ", 1);
	put_value(b, s->value);
	bw_buf_append(b, "\n", 1);
}

static int cmp_series(const void *x, const void *y)
{
	const struct series *a = *(const struct series *const *)x;
	const struct series *b = *(const struct series *const *)y;
	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	int c = strcmp(a->lv[0], b->lv[0]);
	return c ? c : strcmp(a->lv[1], b->lv[1]);
}

char *metrics_render(struct metrics *m, size_t *len)
{
	struct bw_buf b = { 0 };
	bw_buf_append(&b, "", 0);
	pthread_mutex_lock(&m->mu);
	const struct series **sorted = xcalloc(m->n + 1, sizeof *sorted);
	for (size_t i = 0; i < m->n; i++)
		sorted[i] = &m->s[i];
	qsort(sorted, m->n, sizeof *sorted, cmp_series);
	size_t k = 0;
	for (unsigned id = 0; id < BW_M__COUNT; id++) {
		const struct family *f = &families[id];
		bw_buf_printf(&b, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name,
			      f->type == M_COUNTER ? "counter" : "gauge");
		bool any = false;
		for (; k < m->n && sorted[k]->id == id; k++) {
			put_sample(&b, f, sorted[k]);
			any = true;
		}
		if (!any && f->n_labels == 0) {
			struct series zero = { (enum bw_metric)id, { "", "" }, 0 };
			put_sample(&b, f, &zero);
		}
	}
	pthread_mutex_unlock(&m->mu);
	free(sorted);
	if (len)
		*len = b.len;
	return b.data;
}

/* ------------------------------------------------------------ the process registry */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static struct metrics *global;

static void global_init(void)
{
	global = metrics_new();
	metrics_reg_set(global, BW_M_START_TIME, (double)time(NULL), NULL, NULL);
	metrics_reg_set(global, BW_M_BUILD_INFO, 1, PACKAGE_VERSION, NULL);
}

struct metrics *metrics_global(void)
{
	pthread_once(&global_once, global_init);
	return global;
}

void metrics_inc(enum bw_metric id, const char *l1, const char *l2)
{
	metrics_reg_add(metrics_global(), id, 1, l1, l2);
}

void metrics_add(enum bw_metric id, double v, const char *l1, const char *l2)
{
	metrics_reg_add(metrics_global(), id, v, l1, l2);
}

void metrics_set(enum bw_metric id, double v, const char *l1, const char *l2)
{
	metrics_reg_set(metrics_global(), id, v, l1, l2);
}

void metrics_message(enum bw_outcome outcome, const struct bw_report *rep,
		     const struct bw_decision *dec, size_t n_dec)
{
	if (outcome == BW_DUPLICATE) {
		metrics_inc(BW_M_MESSAGES_DUPLICATE, NULL, NULL);
		return;
	}
	if (outcome != BW_PROCESSED) {
		metrics_inc(BW_M_MESSAGES_FAILED, NULL, NULL);
		return;
	}
	metrics_inc(BW_M_MESSAGES, bw_verdict_name(rep->verdict), NULL);
	for (unsigned i = 0; i < rep->n_events; i++)
		metrics_inc(BW_M_EVENTS, bw_kind_name(rep->events[i].kind),
			    bw_reason_name(rep->events[i].reason));
	for (size_t i = 0; i < n_dec; i++) {
		metrics_inc(BW_M_DECISIONS, bw_decision_name(dec[i].type), NULL);
		if (dec[i].type == BW_DEC_SUPPRESS)
			metrics_inc(BW_M_SUPPRESSIONS, dec[i].scope[0] ? dec[i].scope : "account",
				    NULL);
	}
}

/* ------------------------------------------------------------ HTTP listener */

static struct MHD_Daemon *httpd;
static unsigned httpd_port;

int metrics_parse_listen(const char *listen, void *out, size_t *outlen, char *err,
			 size_t errsz)
{
	char host[256];
	const char *colon, *hs = listen;
	size_t hl;
	if (listen[0] == '[') {
		const char *close = strchr(listen, ']');
		if (!close || close[1] != ':') {
			snprintf(err, errsz, "'%s': expected [ADDRESS]:PORT", listen);
			return -1;
		}
		hs = listen + 1;
		hl = (size_t)(close - hs);
		colon = close + 1;
	} else {
		colon = strrchr(listen, ':');
		if (!colon || strchr(listen, ':') != colon) {
			snprintf(err, errsz, "'%s': expected ADDRESS:PORT", listen);
			return -1;
		}
		hl = (size_t)(colon - listen);
	}
	if (hl == 0 || hl >= sizeof host) {
		snprintf(err, errsz, "'%s': missing or overlong address", listen);
		return -1;
	}
	memcpy(host, hs, hl);
	host[hl] = '\0';
	const char *port = colon + 1;
	size_t pl = strlen(port);
	if (pl == 0 || pl > 5 || strspn(port, "0123456789") != pl || strtoul(port, NULL, 10) > 65535) {
		snprintf(err, errsz, "'%s': the port must be a number from 0 to 65535", listen);
		return -1;
	}
	/* numeric addresses only (no DNS at start-up); "localhost" is 127.0.0.1 */
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof host, "127.0.0.1");
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	int rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0 || !res) {
		snprintf(err, errsz, "'%s': %s", listen, gai_strerror(rc));
		return -1;
	}
	memcpy(out, res->ai_addr, res->ai_addrlen);
	*outlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static bool is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
	return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
}

/* libmicrohttpd's own messages go to our log. */
static void mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char line[512];
	vsnprintf(line, sizeof line, fmt, ap);
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	log_warn("metrics: %s", line);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, char *body, size_t len,
			     const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	(void)cls; (void)version; (void)upload_data; (void)con_cls;
	if (*upload_data_size)
		return MHD_NO;   /* we take no request bodies */
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, xstrdup("method not allowed\n"), 19,
			     "text/plain; charset=utf-8");
	if (strcmp(url, "/metrics") == 0) {
		size_t len;
		char *text = metrics_render(metrics_global(), &len);
		return reply(c, MHD_HTTP_OK, text, len, "text/plain; version=0.0.4; charset=utf-8");
	}
	if (strcmp(url, "/") == 0) {
		static const char home[] = "bouncewatch: metrics at /metrics\n";
		return reply(c, MHD_HTTP_OK, xstrdup(home), sizeof home - 1,
			     "text/plain; charset=utf-8");
	}
	return reply(c, MHD_HTTP_NOT_FOUND, xstrdup("not found\n"), 10, "text/plain; charset=utf-8");
}

int metrics_start(const char *listen, char *err, size_t errsz)
{
	struct sockaddr_storage ss;
	size_t sslen = 0;
	if (!listen || !*listen)
		return 0;
	if (httpd) {
		snprintf(err, errsz, "metrics: already listening");
		return -1;
	}
	memset(&ss, 0, sizeof ss);
	if (metrics_parse_listen(listen, &ss, &sslen, err, errsz) < 0)
		return -1;
	if (!is_loopback(&ss))
		log_warn("metrics: %s is not a loopback address: anyone who can reach it can "
			 "read the metrics", listen);
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	metrics_global();
	/* The listener's thread inherits the signal mask: keep signals for the
	 * main thread, which is the one that acts on them. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	httpd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, NULL,
				 MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,   /* first, as MHD asks */
				 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				 MHD_OPTION_CONNECTION_LIMIT, 16u,
				 MHD_OPTION_CONNECTION_TIMEOUT, 10u,
				 MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!httpd) {
		snprintf(err, errsz, "metrics: cannot listen on %s (address in use?)", listen);
		return -1;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(httpd, MHD_DAEMON_INFO_BIND_PORT);
	httpd_port = info ? info->port : 0;
	log_info("metrics: serving http://%s/metrics", listen);
	return 0;
}

unsigned metrics_port(void)
{
	return httpd ? httpd_port : 0;
}

void metrics_stop(void)
{
	if (!httpd)
		return;
	MHD_stop_daemon(httpd);
	httpd = NULL;
	httpd_port = 0;
}
