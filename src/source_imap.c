/*
 * source_imap.c - an IMAP account as a source (SPEC §5).  See source_imap.h
 * for the contract.  libetpan does the protocol; we do TLS verification
 * (tls_verify.c), the UID bookkeeping, batches, post-actions and IDLE.
 *
 * Order of work for one folder (what makes "processed once" hold):
 *   SELECT -> UIDVALIDITY vs the store -> UID SEARCH above last_uid (in
 *   windows of UIDs) -> per batch: UID FETCH BODY.PEEK[]<0.cap> and
 *   classify (pipeline_prepare, in a thread) -> pipeline_record each (in
 *   the batch's transaction: group commit; on a shared store, PostgreSQL,
 *   each in its own, so instances never hold address locks across a batch,
 *   where they could deadlock) -> commit -> every `batch` messages: their
 *   post-actions -> store_folder_set.
 * While a batch is recorded, the next one is classified and the one after
 * it fetched, each in a thread; the post-actions wait for that fetch (one
 * user of the connection at a time).
 * A crash anywhere repeats at most the post-actions of `batch` messages, or
 * the whole uncommitted batch: the pipeline recognises committed messages
 * as duplicates (by UID or content key).
 */
#include "config.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libetpan/libetpan.h>

#include "imap_fetch.h"
#include "log.h"
#include "source_imap.h"
#include "tls_verify.h"
#include "util.h"

#define IMAP_TIMEOUT_S      60            /* one command's read inactivity */
#define IMAP_IDLE_MAX_S     (25 * 60)     /* RFC 2177: servers may drop after 29 min */
#define IMAP_BATCH_BYTES    (64u << 20)   /* a fetch batch holds at most this much */
#define IMAP_SEARCH_TARGET  8192          /* UIDs in one SEARCH answer, about */
#define IMAP_FIRST_BATCH    32            /* messages in a sync's first batch */
#define IMAP_BATCH_MAX      128           /* messages in any batch (memory) */
#define IMAP_SLICE_MS       250           /* how often waits look at should_stop */
#define IMAP_ERR_MAX        512

/* Post-action of one message: which of the account's two settings applies. */
enum act_which { ACT_BOUNCE = 0, ACT_OTHER = 1 };

struct imap_session {
	const struct imap_env *env;     /* borrowed */
	const struct bw_account *acct;  /* borrowed (env->acct) */
	struct imap_url url;
	mailimap *im;                   /* owned; NULL when not connected */
	bool broken;                    /* the stream failed: no LOGOUT */
	char *selected;                 /* owned: the selected folder, or NULL */
	uint32_t uidvalidity;           /* of the selected folder */
	char **created;                 /* owned: folders known to exist (move:) */
	size_t n_created;
	unsigned tag;                   /* our own commands' tags: "bw<n>" */
	char err[IMAP_ERR_MAX];
};

/* ------------------------------------------------------------ small helpers */

static bool stop_now(const struct imap_session *s)
{
	return s->env->should_stop && s->env->should_stop(s->env->stop_arg);
}

/* The server's last response text, for messages ("" when none). */
static const char *server_text(const struct imap_session *s)
{
	const char *t = s->im && s->im->imap_response ? s->im->imap_response : "";
	return t;
}

/* libetpan's error numbers in words, for the log. */
static const char *rc_text(int rc)
{
	switch (rc) {
	case MAILIMAP_ERROR_STREAM: return "connection closed or timed out";
	case MAILIMAP_ERROR_CONNECTION_REFUSED: return "connection refused or host unreachable";
	case MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION: return "the server does not accept connections";
	case MAILIMAP_ERROR_SSL: return "TLS handshake failed";
	case MAILIMAP_ERROR_PARSE: return "unparsable server response";
	case MAILIMAP_ERROR_FATAL: return "fatal protocol error";
	case MAILIMAP_ERROR_BAD_STATE: return "unexpected protocol state";
	case MAILIMAP_ERROR_STARTTLS: return "STARTTLS refused";
	default: return "protocol error";
	}
}

/* Is rc a broken connection (as opposed to a NO/BAD for one command)? */
static bool rc_is_stream(int rc)
{
	return rc == MAILIMAP_ERROR_STREAM || rc == MAILIMAP_ERROR_CONNECTION_REFUSED ||
	       rc == MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION || rc == MAILIMAP_ERROR_SSL ||
	       rc == MAILIMAP_ERROR_PARSE || rc == MAILIMAP_ERROR_FATAL ||
	       rc == MAILIMAP_ERROR_BAD_STATE;
}

/* Record an error (and log it); returns cls so callers can `return fail(...)`. */
static enum imap_rc fail(struct imap_session *s, enum imap_rc cls, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static enum imap_rc fail(struct imap_session *s, enum imap_rc cls, const char *fmt, ...)
{
	char msg[IMAP_ERR_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	bw_strlcpy(s->err, msg, sizeof s->err);
	if (cls == IMAP_FAIL_WAIT)
		s->broken = true;
	log_error("account %s: %s", s->acct->name, msg);
	return cls;
}

/* A libetpan error rc of command what: WAIT when the connection broke. */
static enum imap_rc fail_rc(struct imap_session *s, int rc, const char *what)
{
	if (rc_is_stream(rc))
		return fail(s, IMAP_FAIL_WAIT, "%s: connection to %s:%u lost: %s", what,
			    s->url.host, s->url.port, rc_text(rc));
	return fail(s, IMAP_FAIL_TEMP, "%s failed: %s", what, server_text(s));
}

static bool has_cap(const struct imap_session *s, const char *name)
{
	if (!s->im || !s->im->imap_connection_info ||
	    !s->im->imap_connection_info->imap_capability)
		return false;
	clist *l = s->im->imap_connection_info->imap_capability->cap_list;
	for (clistiter *it = clist_begin(l); it; it = clist_next(it)) {
		struct mailimap_capability *c = clist_content(it);
		if (c->cap_type == MAILIMAP_CAPABILITY_NAME && c->cap_data.cap_name &&
		    strcasecmp(c->cap_data.cap_name, name) == 0)
			return true;
	}
	return false;
}

/* Ask for CAPABILITY (after connect, STARTTLS and LOGIN they change). */
static int refresh_caps(struct imap_session *s)
{
	struct mailimap_capability_data *cap = NULL;
	int rc = mailimap_capability(s->im, &cap);
	if (cap)
		mailimap_capability_data_free(cap);
	return rc;
}

unsigned imap_backoff(unsigned n, unsigned cap_s, uint32_t rnd)
{
	unsigned d = 1;
	while (n-- > 0 && d < cap_s)
		d *= 2;
	if (d > cap_s)
		d = cap_s;
	unsigned half = d / 2 ? d / 2 : 1;
	return half + rnd % (d - half + 1);
}

/* ------------------------------------------------------------ URL */

int imap_parse_url(const char *url, struct imap_url *u, char *err, size_t errsz)
{
	const char *p;
	memset(u, 0, sizeof *u);
	if (strncasecmp(url, "imaps://", 8) == 0) {
		u->tls = true;
		u->port = 993;
		p = url + 8;
	} else if (strncasecmp(url, "imap://", 7) == 0) {
		u->port = 143;
		p = url + 7;
	} else {
		snprintf(err, errsz, "url must start with imap:// or imaps:// (got '%s')", url);
		return -1;
	}
	const char *h = p, *he;
	if (*p == '[') {                    /* [IPv6] */
		he = strchr(p, ']');
		if (!he) {
			snprintf(err, errsz, "unbalanced '[' in url '%s'", url);
			return -1;
		}
		h = p + 1;
		p = he + 1;
	} else {
		he = p + strcspn(p, ":/");
		p = he;
	}
	size_t hl = (size_t)(he - h);
	if (hl == 0 || hl >= sizeof u->host) {
		snprintf(err, errsz, "no usable host name in url '%s'", url);
		return -1;
	}
	memcpy(u->host, h, hl);
	u->host[hl] = '\0';
	if (*p == ':') {
		unsigned long port = 0;
		const char *q = p + 1;
		while (bw_isdigit((unsigned char)*q) && port <= 65535)
			port = port * 10 + (unsigned long)(*q++ - '0');
		if (q == p + 1 || port == 0 || port > 65535 || (*q && *q != '/')) {
			snprintf(err, errsz, "bad port in url '%s'", url);
			return -1;
		}
		u->port = (uint16_t)port;
		p = q;
	}
	if (*p && strcmp(p, "/") != 0) {
		snprintf(err, errsz, "url '%s' has a path; name folders in `folders` instead", url);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ session */

struct imap_session *imap_new(const struct imap_env *env)
{
	struct imap_session *s = xcalloc(1, sizeof *s);
	s->env = env;
	s->acct = env->acct;
	return s;
}

static void forget_selection(struct imap_session *s)
{
	free(s->selected);
	s->selected = NULL;
	s->uidvalidity = 0;
}

void imap_disconnect(struct imap_session *s)
{
	if (!s || !s->im)
		return;
	if (!s->broken)
		mailimap_logout(s->im);
	mailimap_free(s->im);
	s->im = NULL;
	s->broken = false;
	forget_selection(s);
	for (size_t i = 0; i < s->n_created; i++)
		free(s->created[i]);
	free(s->created);
	s->created = NULL;
	s->n_created = 0;
}

void imap_free(struct imap_session *s)
{
	if (!s)
		return;
	imap_disconnect(s);
	free(s);
}

const char *imap_error(const struct imap_session *s)
{
	return s->err;
}

/* ------------------------------------------------------------ connect */

static bool is_ip_literal(const char *host)
{
	unsigned char buf[16];
	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

/* libetpan calls this with the TLS context before the handshake: SNI. */
static void tls_setup_cb(struct mailstream_ssl_context *ctx, void *arg)
{
	struct imap_session *s = arg;
	if (!is_ip_literal(s->url.host))
		mailstream_ssl_set_server_name(ctx, s->url.host);
}

/* The certificate check between the handshake and LOGIN. */
static enum imap_rc check_peer(struct imap_session *s)
{
	char why[400];
	if (!s->acct->tls_verify) {
		log_warn("account %s: TLS CERTIFICATE VERIFICATION IS DISABLED (tls_verify = false): "
			 "anyone between here and %s can read the password and the mail; "
			 "use this for tests only", s->acct->name, s->url.host);
		return IMAP_OK;
	}
	if (tls_verify_mailstream(s->im->imap_stream, s->url.host, s->acct->tls_ca_file,
				  why, sizeof why) == 0) {
		log_debug("account %s: TLS certificate of %s verified", s->acct->name, s->url.host);
		return IMAP_OK;
	}
	s->broken = true;   /* do not even say LOGOUT to an unverified peer */
	return fail(s, IMAP_FAIL_FINAL, "TLS certificate of %s:%u refused: %s%s", s->url.host,
		    s->url.port, why,
		    *s->acct->tls_ca_file ? "" : " (set tls_ca_file to trust a private CA)");
}

static enum imap_rc connect_tls(struct imap_session *s)
{
	int rc = mailimap_ssl_connect_with_callback(s->im, s->url.host, s->url.port,
						    tls_setup_cb, s);
	if (rc != MAILIMAP_NO_ERROR_NON_AUTHENTICATED && rc != MAILIMAP_NO_ERROR_AUTHENTICATED)
		return fail(s, IMAP_FAIL_WAIT, "cannot connect to %s:%u with TLS: %s",
			    s->url.host, s->url.port, rc_text(rc));
	enum imap_rc r = check_peer(s);
	if (r != IMAP_OK)
		return r;
	refresh_caps(s);
	return IMAP_OK;
}

static enum imap_rc connect_starttls(struct imap_session *s)
{
	int rc = mailimap_socket_connect(s->im, s->url.host, s->url.port);
	if (rc != MAILIMAP_NO_ERROR_NON_AUTHENTICATED && rc != MAILIMAP_NO_ERROR_AUTHENTICATED)
		return fail(s, IMAP_FAIL_WAIT, "cannot connect to %s:%u: %s",
			    s->url.host, s->url.port, rc_text(rc));
	rc = refresh_caps(s);
	if (rc != MAILIMAP_NO_ERROR)
		return fail_rc(s, rc, "CAPABILITY");
	if (!has_cap(s, "STARTTLS")) {
		if (s->acct->allow_plaintext) {
			log_warn("account %s: %s offers no STARTTLS: the password and the mail travel "
				 "in clear text (allow_plaintext = true)", s->acct->name, s->url.host);
			return IMAP_OK;
		}
		s->broken = true;
		return fail(s, IMAP_FAIL_FINAL, "%s:%u offers no STARTTLS; refusing to send the "
			    "password in clear text (use imaps:// or set allow_plaintext = true)",
			    s->url.host, s->url.port);
	}
	rc = mailimap_socket_starttls_with_callback(s->im, tls_setup_cb, s);
	if (rc != MAILIMAP_NO_ERROR)
		return fail(s, rc_is_stream(rc) ? IMAP_FAIL_WAIT : IMAP_FAIL_FINAL,
			    "STARTTLS with %s:%u failed: %s %s", s->url.host,
			    s->url.port, rc_text(rc), server_text(s));
	enum imap_rc r = check_peer(s);
	if (r != IMAP_OK)
		return r;
	refresh_caps(s);
	return IMAP_OK;
}

/* Read the password (file, env, else inline with a warning).  NULL: logged. */
static char *read_password(struct imap_session *s)
{
	const struct bw_account *a = s->acct;
	if (!*a->password_file && !*a->password_env && a->password_inline && *a->password_inline) {
		log_warn("account %s: the password is written in the configuration file; "
			 "prefer password_file or password_env", a->name);
		return xstrdup(a->password_inline);
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *err = open_memstream(&buf, &len);
	char what[300];
	snprintf(what, sizeof what, "password of account %s", a->name);
	char *pw = conf_read_secret(a->password_file, a->password_env, what, err ? err : stderr);
	if (err) {
		fclose(err);
		for (char *line = buf, *nl; line && *line; line = nl) {
			nl = strchr(line, '\n');
			if (nl)
				*nl++ = '\0';
			if (strncmp(line, "warning: ", 9) == 0)
				log_warn("account %s: %s", a->name, line + 9);
			else if (*line)
				log_error("account %s: %s", a->name, line);
		}
		free(buf);
	}
	return pw;
}

static enum imap_rc login(struct imap_session *s)
{
	char *pw = read_password(s);
	if (!pw) {
		s->broken = true;
		return fail(s, IMAP_FAIL_FINAL, "no password: cannot log in");
	}
	log_redact(pw);
	if (has_cap(s, "LOGINDISABLED")) {
		conf_secret_free(pw);
		s->broken = true;
		return fail(s, IMAP_FAIL_FINAL, "%s refuses LOGIN on this connection (LOGINDISABLED)",
			    s->url.host);
	}
	int rc = mailimap_login(s->im, s->acct->user, pw);
	conf_secret_free(pw);
	if (rc == MAILIMAP_NO_ERROR)
		return IMAP_OK;
	if (rc_is_stream(rc))
		return fail_rc(s, rc, "LOGIN");
	/* the server's words do not contain the password; log_redact is the net */
	return fail(s, IMAP_FAIL_FINAL, "login as '%s' on %s refused: %s", s->acct->user,
		    s->url.host, *server_text(s) ? server_text(s) : "authentication failed");
}

enum imap_rc imap_connect(struct imap_session *s)
{
	imap_disconnect(s);
	s->err[0] = '\0';
	if (imap_parse_url(s->acct->url, &s->url, s->err, sizeof s->err) < 0)
		return fail(s, IMAP_FAIL_FINAL, "%s", s->err);
	s->im = mailimap_new(0, NULL);
	if (!s->im)
		fatal("out of memory (mailimap_new)");
	mailimap_set_timeout(s->im, IMAP_TIMEOUT_S);
	enum imap_rc r = s->url.tls ? connect_tls(s) : connect_starttls(s);
	if (r == IMAP_OK)
		r = login(s);
	if (r != IMAP_OK) {
		imap_disconnect(s);
		return r;
	}
	refresh_caps(s);
	log_info("account %s: connected to %s:%u as %s%s", s->acct->name, s->url.host, s->url.port,
		 s->acct->user, has_cap(s, "IDLE") ? " (IDLE)" : "");
	return IMAP_OK;
}

/* ------------------------------------------------------------ post-actions */

static struct mailimap_set *uid_set(const uint32_t *uids, size_t n)
{
	struct mailimap_set *set = mailimap_set_new_empty();
	if (!set)
		fatal("out of memory (mailimap_set)");
	for (size_t i = 0; i < n; ) {
		size_t j = i;
		while (j + 1 < n && uids[j + 1] == uids[j] + 1)
			j++;
		if (j == i ? mailimap_set_add_single(set, uids[i]) != MAILIMAP_NO_ERROR
			   : mailimap_set_add_interval(set, uids[i], uids[j]) != MAILIMAP_NO_ERROR)
			fatal("out of memory (mailimap_set)");
		i = j + 1;
	}
	return set;
}

static int store_flag(struct imap_session *s, const uint32_t *uids, size_t n,
		      struct mailimap_flag *flag)
{
	struct mailimap_flag_list *fl = mailimap_flag_list_new_empty();
	if (!fl || !flag || mailimap_flag_list_add(fl, flag) != MAILIMAP_NO_ERROR)
		fatal("out of memory (mailimap_flag)");
	struct mailimap_store_att_flags *sf = mailimap_store_att_flags_new_add_flags_silent(fl);
	struct mailimap_set *set = uid_set(uids, n);
	int rc = mailimap_uid_store(s->im, set, sf);
	mailimap_set_free(set);
	mailimap_store_att_flags_free(sf);
	return rc;
}

/* \Deleted + expunge those UIDs (UID EXPUNGE when the server has UIDPLUS). */
static int delete_uids(struct imap_session *s, const uint32_t *uids, size_t n)
{
	int rc = store_flag(s, uids, n, mailimap_flag_new_deleted());
	if (rc != MAILIMAP_NO_ERROR)
		return rc;
	if (has_cap(s, "UIDPLUS")) {
		struct mailimap_set *set = uid_set(uids, n);
		rc = mailimap_uid_expunge(s->im, set);
		mailimap_set_free(set);
		return rc;
	}
	return mailimap_expunge(s->im);
}

/* Make sure folder exists (CREATE when LIST does not show it). */
static int ensure_folder(struct imap_session *s, const char *folder)
{
	for (size_t i = 0; i < s->n_created; i++)
		if (strcmp(s->created[i], folder) == 0)
			return MAILIMAP_NO_ERROR;
	clist *found = NULL;
	int rc = mailimap_list(s->im, "", folder, &found);
	if (rc != MAILIMAP_NO_ERROR)
		return rc;
	bool exists = found && clist_count(found) > 0;
	if (found)
		mailimap_list_result_free(found);
	if (!exists) {
		rc = mailimap_create(s->im, folder);
		if (rc != MAILIMAP_NO_ERROR)
			return rc;
		log_notice("account %s: created folder %s", s->acct->name, folder);
	}
	s->created = xrealloc(s->created, (s->n_created + 1) * sizeof *s->created);
	s->created[s->n_created++] = xstrdup(folder);
	return MAILIMAP_NO_ERROR;
}

static int move_uids(struct imap_session *s, const uint32_t *uids, size_t n, const char *to)
{
	int rc = ensure_folder(s, to);
	if (rc != MAILIMAP_NO_ERROR)
		return rc;
	struct mailimap_set *set = uid_set(uids, n);
	if (has_cap(s, "MOVE")) {
		rc = mailimap_uid_move(s->im, set, to);
	} else {
		rc = mailimap_uid_copy(s->im, set, to);
		if (rc == MAILIMAP_NO_ERROR)
			rc = delete_uids(s, uids, n);
	}
	mailimap_set_free(set);
	return rc;
}

/* Apply action ("seen", "move:F", "delete", "none") to uids.  IMAP_OK, or the
 * failure (a NO is logged and not retried: the state moves on). */
static enum imap_rc apply_action(struct imap_session *s, const char *action,
				 const uint32_t *uids, size_t n, struct imap_stats *st)
{
	int rc;
	bool move = strncmp(action, "move:", 5) == 0;
	if (n == 0 || strcmp(action, "none") == 0)
		return IMAP_OK;
	if (move && s->selected && strcmp(action + 5, s->selected) == 0) {
		/* moving into the folder itself would bring the messages back
		 * under new UIDs, forever */
		log_warn("account %s: %s: the folder is its own move target; messages stay",
			 s->acct->name, action);
		return IMAP_OK;
	}
	if (strcmp(action, "seen") == 0)
		rc = store_flag(s, uids, n, mailimap_flag_new_seen());
	else if (strcmp(action, "delete") == 0)
		rc = delete_uids(s, uids, n);
	else if (move)
		rc = move_uids(s, uids, n, action + 5);
	else
		return IMAP_OK;   /* conf.c refuses anything else */
	if (rc == MAILIMAP_NO_ERROR) {
		st->actions += n;
		return IMAP_OK;
	}
	if (rc_is_stream(rc))
		return fail_rc(s, rc, action);
	st->errors++;
	log_error("account %s: %s of %zu message%s in %s failed: %s", s->acct->name, action, n,
		  n == 1 ? "" : "s", s->selected, server_text(s));
	return IMAP_OK;
}

/* ------------------------------------------------------------ sync */

/* A fetched message, classified (by the fetch thread). */
struct fetched {
	uint32_t uid;
	struct bw_prepared pm;      /* owned: released by fetched_free() */
};

/* A fetched batch: the messages the server returned, by UID. */
struct fetched_batch {
	struct fetched *fx;         /* owned */
	size_t nf;
};

static int cmp_fetched(const void *a, const void *b)
{
	uint32_t x = ((const struct fetched *)a)->uid, y = ((const struct fetched *)b)->uid;
	return x < y ? -1 : x > y;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static uint32_t fetch_cap(const struct imap_session *s)
{
	size_t cap = s->acct->fetch_max_bytes;
	if (s->env->max_message_bytes && (cap == 0 || cap > s->env->max_message_bytes))
		cap = s->env->max_message_bytes;
	if (cap == 0 || cap > UINT32_MAX)
		cap = UINT32_MAX;
	return (uint32_t)cap;
}

/* Classify every message of a fetch reply, releasing each body once it is
 * classified (res stays the caller's). */
static void fetched_prepare(const struct imap_session *s, struct imap_fetch_reply *res,
			    struct fetched_batch *fb)
{
	const struct bw_classifier *cl = pipeline_classifier(s->env->pipeline);
	fb->nf = 0;
	fb->fx = xcalloc(res->n + 1, sizeof *fb->fx);
	for (size_t i = 0; i < res->n; i++) {
		struct fetched *f = &fb->fx[fb->nf++];
		f->uid = res->msg[i].uid;
		pipeline_prepare(cl, res->msg[i].data, res->msg[i].len, &f->pm);
		free(res->msg[i].data);
		res->msg[i].data = NULL;
	}
	qsort(fb->fx, fb->nf, sizeof *fb->fx, cmp_fetched);
}

static void fetched_free(struct fetched_batch *fb)
{
	for (size_t i = 0; i < fb->nf; i++)
		pipeline_prepared_free(&fb->fx[i].pm);
	free(fb->fx);
	fb->fx = NULL;
	fb->nf = 0;
}

/* imap_fetch's source: the connection, through libetpan's buffer.  What
 * the buffer holds, else one read of at most its size (mailstream_read
 * waits for the rest of a count its buffer cannot fill, or for all of a
 * count larger than the buffer). */
static ssize_t stream_read(void *arg, char *buf, size_t max)
{
	mailstream *st = arg;
	size_t lim = st->read_buffer_len ? st->read_buffer_len : st->buffer_max_size;
	return mailstream_read(st, buf, max < lim ? max : lim);
}

/* Give bytes read past our reply back to libetpan's buffer, in front of what
 * it still holds (they came from one read of its: they fit).  0, or -1. */
static int stream_unread(mailstream *st, const char *p, size_t n)
{
	if (n == 0)
		return 0;
	if (n + st->read_buffer_len > st->buffer_max_size)
		return -1;
	memmove(st->read_buffer + n, st->read_buffer, st->read_buffer_len);
	memcpy(st->read_buffer, p, n);
	st->read_buffer_len += n;
	return 0;
}

/*
 * UID FETCH uids (UID BODY.PEEK[]<0.cap>), the reply read by imap_fetch
 * (*res: the bodies and the server's words).  MAILIMAP_NO_ERROR,
 * MAILIMAP_ERROR_FETCH (NO or BAD), or MAILIMAP_ERROR_STREAM or _PARSE
 * (the connection is lost).
 */
static int fetch_batch(struct imap_session *s, const uint32_t *uids, size_t n,
		       struct imap_fetch_reply *res)
{
	mailstream *st = s->im->imap_stream;
	char tag[16];
	snprintf(tag, sizeof tag, "bw%u", ++s->tag);
	char *cmd = imap_fetch_command(tag, uids, n, fetch_cap(s));
	size_t len = strlen(cmd);
	bool sent = mailstream_write(st, cmd, len) == (ssize_t)len && mailstream_flush(st) == 0;
	free(cmd);
	memset(res, 0, sizeof *res);
	if (!sent) {
		bw_strlcpy(res->text, "the connection failed while sending the command", sizeof res->text);
		return MAILIMAP_ERROR_STREAM;
	}
	struct imap_fetch_src src = { stream_read, st };
	enum imap_fetch_rc rc = imap_fetch_read(&src, tag, n, fetch_cap(s), res);
	if (stream_unread(st, res->rest, res->rest_len) < 0 && rc == IMAP_FETCH_OK) {
		bw_strlcpy(res->text, "the reply does not fit back into the stream", sizeof res->text);
		rc = IMAP_FETCH_PARSE;
	}
	return rc == IMAP_FETCH_OK ? MAILIMAP_NO_ERROR : rc == IMAP_FETCH_NO ? MAILIMAP_ERROR_FETCH :
		rc == IMAP_FETCH_STREAM ? MAILIMAP_ERROR_STREAM : MAILIMAP_ERROR_PARSE;
}

/* Every UID in lo..hi (hi 0: no upper bound), ascending, in a malloc'd array. */
static int search_range(struct imap_session *s, uint32_t lo, uint32_t hi, uint32_t **out,
			size_t *n)
{
	*out = NULL;
	*n = 0;
	struct mailimap_search_key *key =
		mailimap_search_key_new_uid(mailimap_set_new_interval(lo, hi));
	if (!key)
		fatal("out of memory (mailimap_search_key)");
	clist *res = NULL;
	int rc = mailimap_uid_search(s->im, NULL, key, &res);
	mailimap_search_key_free(key);
	if (rc != MAILIMAP_NO_ERROR)
		return rc;
	size_t cnt = res ? (size_t)clist_count(res) : 0;
	uint32_t *u = xcalloc(cnt + 1, sizeof *u);
	size_t k = 0;
	for (clistiter *it = res ? clist_begin(res) : NULL; it; it = clist_next(it)) {
		uint32_t v = *(uint32_t *)clist_content(it);
		/* "n:*" includes the highest UID even below n */
		if (v >= lo && (hi == 0 || v <= hi))
			u[k++] = v;
	}
	if (res)
		mailimap_search_result_free(res);
	qsort(u, k, sizeof *u, cmp_u32);
	*out = u;
	*n = k;
	return MAILIMAP_NO_ERROR;
}

/*
 * The next UID window of a sync: lo..*hi (0: to the end, the last window).
 * A SEARCH answer holds every UID of its window (libetpan keeps it as a
 * list, ~56 bytes a UID), so the window is sized for about
 * IMAP_SEARCH_TARGET of them: memory stays flat however large the folder.
 * *window adapts to the density of UIDs seen.
 */
static void next_window(const struct imap_session *s, uint32_t lo, uint32_t window, uint32_t *hi)
{
	uint32_t uidnext = s->im && s->im->imap_selection_info ?
		s->im->imap_selection_info->sel_uidnext : 0;
	if (uidnext == 0 || (uint64_t)lo + window >= uidnext)
		*hi = 0;
	else
		*hi = lo + window - 1;
}

static uint32_t adapt_window(uint32_t window, size_t found)
{
	if (found < IMAP_SEARCH_TARGET / 4 && window < (1u << 30))
		return window * 4;          /* sparse: look further at once */
	if (found > IMAP_SEARCH_TARGET && window > 1024)
		return window / 2;
	return window;
}

/* SELECT (EXAMINE in dry-run) folder unless it is selected; NOOP if it is. */
static enum imap_rc select_folder(struct imap_session *s, const char *folder)
{
	int rc;
	if (s->selected && strcmp(s->selected, folder) == 0) {
		rc = mailimap_noop(s->im);
		if (rc != MAILIMAP_NO_ERROR)
			return fail_rc(s, rc, "NOOP");
		return IMAP_OK;
	}
	forget_selection(s);
	rc = s->env->dry_run ? mailimap_examine(s->im, folder) : mailimap_select(s->im, folder);
	if (rc != MAILIMAP_NO_ERROR) {
		if (rc_is_stream(rc))
			return fail_rc(s, rc, "SELECT");
		return fail(s, IMAP_FAIL_FOLDER, "cannot open folder '%s': %s", folder, server_text(s));
	}
	if (!s->im->imap_selection_info || !s->im->imap_selection_info->sel_uidvalidity)
		return fail(s, IMAP_FAIL_FOLDER, "folder '%s': the server sent no UIDVALIDITY", folder);
	s->uidvalidity = s->im->imap_selection_info->sel_uidvalidity;
	s->selected = xstrdup(folder);
	return IMAP_OK;
}

/* Where this folder stands; a changed UIDVALIDITY starts over at UID 0. */
static enum imap_rc folder_state(struct imap_session *s, const char *folder,
				 struct bw_folder_state *fs)
{
	int r = store_folder_get(s->env->store, s->acct->name, folder, fs);
	if (r < 0)
		return fail(s, IMAP_FAIL_TEMP, "state store: %s", store_error(s->env->store));
	if (fs->uidvalidity == s->uidvalidity)
		return IMAP_OK;
	if (fs->uidvalidity != 0)
		log_notice("account %s: folder %s: UIDVALIDITY changed from %u to %u; rescanning, "
			   "messages already processed are recognised by content and skipped",
			   s->acct->name, folder, fs->uidvalidity, s->uidvalidity);
	fs->uidvalidity = s->uidvalidity;
	fs->last_uid = 0;
	if (!s->env->dry_run && store_folder_set(s->env->store, s->acct->name, folder, fs) < 0)
		return fail(s, IMAP_FAIL_TEMP, "state store: %s", store_error(s->env->store));
	return IMAP_OK;
}

/* What one batch collects for its post-actions. */
struct batch_acts {
	uint32_t *uids[2];      /* [ACT_BOUNCE], [ACT_OTHER]; owned */
	size_t n[2];
};

static enum act_which which_action(enum bw_verdict v)
{
	return v == BW_VERDICT_BOUNCE || v == BW_VERDICT_COMPLAINT ? ACT_BOUNCE : ACT_OTHER;
}

static void add_stats(struct imap_stats *to, const struct imap_stats *from)
{
	to->messages += from->messages;
	to->processed += from->processed;
	to->duplicates += from->duplicates;
	for (int i = 0; i < BW_VERDICT__COUNT; i++)
		to->verdicts[i] += from->verdicts[i];
	to->events += from->events;
	to->decisions += from->decisions;
	for (int i = 0; i < BW_DEC__COUNT; i++)
		to->decisions_by[i] += from->decisions_by[i];
	to->actions += from->actions;
	to->errors += from->errors;
}

/* One message through the pipeline.  IMAP_OK or IMAP_FAIL_TEMP. */
static enum imap_rc process_one(struct imap_session *s, const char *folder,
				const struct fetched *f, struct batch_acts *acts,
				struct imap_stats *st)
{
	struct bw_origin o = { s->acct->name, folder, s->uidvalidity, f->uid };
	struct bw_pipeline_result res;
	st->messages++;
	if (pipeline_record(s->env->pipeline, &o, &f->pm, time(NULL), &res) < 0 ||
	    res.outcome == BW_FAILED) {
		st->errors++;
		return fail(s, IMAP_FAIL_TEMP, "folder %s UID %u: the state store failed; will retry",
			    folder, f->uid);
	}
	if (res.outcome == BW_DUPLICATE) {
		st->duplicates++;
		log_debug("account %s: %s UID %u already processed", s->acct->name, folder, f->uid);
	} else {
		st->processed++;
		if (res.verdict < BW_VERDICT__COUNT)
			st->verdicts[res.verdict]++;
		st->events += res.n_events;
		st->decisions += res.n_decisions;
		size_t nd = 0;
		const struct bw_decision *d = pipeline_decisions(s->env->pipeline, &nd);
		for (size_t i = 0; i < nd; i++)
			if (d[i].type < BW_DEC__COUNT)
				st->decisions_by[d[i].type]++;
		log_msg(s->env->quiet ? LOG_LVL_DEBUG : LOG_LVL_INFO,
			"account %s: %s UID %u: %s, %u event%s, %u decision%s", s->acct->name,
			 folder, f->uid, bw_verdict_name(res.verdict), res.n_events,
			 res.n_events == 1 ? "" : "s", res.n_decisions,
			 res.n_decisions == 1 ? "" : "s");
	}
	enum act_which w = which_action(res.verdict);
	acts->uids[w][acts->n[w]++] = f->uid;
	return IMAP_OK;
}

/* Post-actions of a batch, then the folder state (never in dry-run). */
static enum imap_rc finish_batch(struct imap_session *s, const char *folder,
				 struct batch_acts *acts, struct bw_folder_state *fs,
				 uint32_t done_uid, struct imap_stats *st)
{
	if (s->env->dry_run)
		return IMAP_OK;
	enum imap_rc r = apply_action(s, s->acct->on_bounce, acts->uids[ACT_BOUNCE],
				      acts->n[ACT_BOUNCE], st);
	if (r == IMAP_OK)
		r = apply_action(s, s->acct->on_other, acts->uids[ACT_OTHER], acts->n[ACT_OTHER], st);
	if (r != IMAP_OK)
		return r;
	if (done_uid <= fs->last_uid)
		return IMAP_OK;
	fs->last_uid = done_uid;
	if (store_folder_set(s->env->store, s->acct->name, folder, fs) < 0)
		return fail(s, IMAP_FAIL_TEMP, "state store: %s", store_error(s->env->store));
	return IMAP_OK;
}

/*
 * A sync's batches go through three stages at once: while the session's
 * thread records batch b (the store), a thread classifies batch b+1 and
 * another fetches batch b+2, so the server, the classifier and the store
 * work at the same time.  Each batch lives in a slot, worked on by at most
 * one thread at a time (first its fetch, then its classification).  The
 * connection is used by one thread at a time: a fetch thread from
 * slot_plan() until slot_join(), the session's thread otherwise (the
 * post-actions after batch b wait for the fetch of b+2).  At most four
 * batches are in memory: one recorded, one classified or being classified,
 * two fetched or being fetched (IMAP_BATCH_MAX bounds them).
 */
struct slot {
	struct imap_session *s;     /* borrowed */
	const uint32_t *uids;       /* borrowed: the batch's UIDs, uids[0..n) */
	size_t n, base;             /* base: index of uids[0] in the sync's list */
	int rc;                     /* of the fetch */
	struct imap_fetch_reply res; /* owned: the fetched bodies, until classified */
	struct fetched_batch fb;    /* owned: the classified messages */
	pthread_t th;
	bool running;               /* a thread works on the slot */
};

static void *slot_fetch_main(void *arg)
{
	struct slot *sl = arg;
	sl->rc = fetch_batch(sl->s, sl->uids, sl->n, &sl->res);
	return NULL;
}

static void *slot_classify_main(void *arg)
{
	struct slot *sl = arg;
	if (sl->rc == MAILIMAP_NO_ERROR)
		fetched_prepare(sl->s, &sl->res, &sl->fb);
	imap_fetch_reply_free(&sl->res);
	return NULL;
}

/* Run fn on sl in a thread (in this one if none can start).  The thread
 * blocks every signal: handlers run in the session's thread. */
static void slot_start(struct slot *sl, void *(*fn)(void *))
{
	sigset_t all, old;
	assert(!sl->running);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	sl->running = pthread_create(&sl->th, NULL, fn, sl) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!sl->running)
		fn(sl);
}

/* Wait for the slot's thread (NULL or idle: nothing to wait for). */
static void slot_join(struct slot *sl)
{
	if (!sl || !sl->running)
		return;
	pthread_join(sl->th, NULL);
	sl->running = false;
}

/* Give sl uids[0..n) and start its fetch: the connection is the thread's
 * until slot_join(sl). */
static void slot_plan(struct slot *sl, struct imap_session *s, const uint32_t *uids, size_t n,
		      size_t base)
{
	assert(!sl->running && !sl->res.msg && !sl->fb.fx);
	sl->s = s;
	sl->uids = uids;
	sl->n = n;
	sl->base = base;
	sl->rc = MAILIMAP_NO_ERROR;
	slot_start(sl, slot_fetch_main);
}

/* Join and forget the slot's batch. */
static void slot_drop(struct slot *sl)
{
	slot_join(sl);
	imap_fetch_reply_free(&sl->res);
	fetched_free(&sl->fb);
}

/* What processing (part of) a batch collects. */
struct batch_run {
	const struct fetched *fx;   /* the fetched messages, by UID */
	size_t nf;
	const uint32_t *uids;       /* the batch's UIDs */
	size_t base, total;         /* for the progress display */
	struct batch_acts acts;     /* post-actions to apply after the commit */
	struct imap_stats st;       /* counters to add after the commit */
	uint32_t done_uid;          /* the highest UID done in order */
};

/* Run uids[0..n) through the pipeline.  Returns how many were done (all, or
 * up to a stop or the first failure: *r). */
static size_t process_range(struct imap_session *s, const char *folder, struct batch_run *b,
			    size_t n, enum imap_rc *r, bool *stopped)
{
	size_t i;
	*r = IMAP_OK;
	for (i = 0; i < n; i++) {
		if (stop_now(s)) {
			*stopped = true;
			break;
		}
		struct fetched key;
		key.uid = b->uids[i];
		const struct fetched *f = bsearch(&key, b->fx, b->nf, sizeof *b->fx, cmp_fetched);
		if (f && (*r = process_one(s, folder, f, &b->acts, &b->st)) != IMAP_OK)
			break;
		/* no f: expunged meanwhile, nothing to do */
		b->done_uid = b->uids[i];
		if (s->env->progress)
			s->env->progress(s->env->progress_arg, folder, (uint32_t)(b->base + i + 1),
					 (uint32_t)b->total);
	}
	return i;
}

/* Forget what b collected (nothing of it was kept). */
static void batch_reset(struct batch_run *b, const struct bw_folder_state *fs)
{
	b->acts.n[ACT_BOUNCE] = b->acts.n[ACT_OTHER] = 0;
	memset(&b->st, 0, sizeof b->st);
	b->done_uid = fs->last_uid;
}

/*
 * The batch's messages in one transaction (group commit, pipeline.h).  A
 * message that fails loses the transaction: the ones before it run again in
 * a new one and commit, as each would have alone; the failed one counts as
 * an error and the batch ends there.  IMAP_OK or IMAP_FAIL_TEMP.
 */
static enum imap_rc process_batch(struct imap_session *s, const char *folder,
				  struct batch_run *b, size_t n, const struct bw_folder_state *fs,
				  bool *stopped)
{
	struct bw_pipeline *p = s->env->pipeline;
	bool group = !store_is_shared(s->env->store);
	enum imap_rc r, r2 = IMAP_OK;
	if (group && pipeline_batch_begin(p) < 0)
		return fail(s, IMAP_FAIL_TEMP, "folder %s: the state store failed; will retry", folder);
	size_t done = process_range(s, folder, b, n, &r, stopped);
	if (!group)
		return r;
	if (r != IMAP_OK) {
		/* again without the failed message */
		pipeline_batch_abort(p);
		batch_reset(b, fs);
		if (done > 0 && pipeline_batch_begin(p) < 0)
			r2 = IMAP_FAIL_TEMP;
		else if (done > 0)
			process_range(s, folder, b, done, &r2, stopped);
		b->st.messages++;
		b->st.errors++;
	}
	if (r2 == IMAP_OK && pipeline_batch_commit(p) == 0)
		return r;
	/* nothing of the batch was kept: no post-action, no state */
	pipeline_batch_abort(p);
	unsigned long messages = b->st.messages;
	batch_reset(b, fs);
	b->st.messages = messages;
	b->st.errors = 1;
	return r != IMAP_OK ? r : fail(s, IMAP_FAIL_TEMP, "folder %s: the state store failed to "
				      "commit; will retry", folder);
}

/*
 * Post-actions of committed messages, waiting for the connection.  They are
 * applied every `batch` messages (the account's setting), even when a fetch
 * brings fewer (IMAP_BATCH_BYTES / fetch_max_bytes): the server's cost of a
 * STORE or MOVE is mostly per command (Dovecot: ~30 ms each in a folder of
 * 100,000 messages).  A crash in between only repeats them (the messages
 * are duplicates by then).
 */
struct pending_acts {
	struct batch_acts acts;     /* capacity: cap each */
	size_t cap;
	size_t every;               /* apply when this many are pending */
	uint32_t done_uid;          /* the folder state to write after them */
};

static void pending_add(struct pending_acts *pa, const struct batch_acts *a, uint32_t done_uid)
{
	for (int w = 0; w < 2; w++) {
		assert(pa->acts.n[w] + a->n[w] <= pa->cap);
		memcpy(pa->acts.uids[w] + pa->acts.n[w], a->uids[w], a->n[w] * sizeof(uint32_t));
		pa->acts.n[w] += a->n[w];
	}
	if (done_uid > pa->done_uid)
		pa->done_uid = done_uid;
}

/*
 * Record the classified batch of cur (dropped here) and commit; its
 * post-actions join pa.  Then join the fetch of the batch after next
 * (next2, may be NULL): the connection is free again.  When the
 * post-actions are due (pa is full, last batch, a stop or a failure), apply
 * them and write the folder state.  *stopped when should_stop interrupted.
 */
static enum imap_rc run_batch(struct imap_session *s, const char *folder, struct slot *cur,
			      struct slot *next2, size_t total, struct bw_folder_state *fs,
			      struct imap_stats *st, struct pending_acts *pa, bool *stopped)
{
	size_t n = cur->n;
	struct batch_run b = {
		.fx = cur->fb.fx, .nf = cur->fb.nf, .uids = cur->uids, .base = cur->base,
		.total = total,
		.acts = { { xcalloc(n, sizeof(uint32_t)), xcalloc(n, sizeof(uint32_t)) }, { 0, 0 } },
	};
	batch_reset(&b, fs);
	enum imap_rc r = process_batch(s, folder, &b, n, fs, stopped);
	add_stats(st, &b.st);
	bool last = cur->base + n >= total;
	slot_drop(cur);
	pending_add(pa, &b.acts, b.done_uid);
	free(b.acts.uids[0]);
	free(b.acts.uids[1]);
	slot_join(next2);
	if (r == IMAP_OK && !*stopped && !last &&
	    pa->acts.n[ACT_BOUNCE] + pa->acts.n[ACT_OTHER] < pa->every)
		return IMAP_OK;
	enum imap_rc r2 = IMAP_OK;
	if (pa->done_uid > fs->last_uid || pa->acts.n[ACT_BOUNCE] || pa->acts.n[ACT_OTHER])
		r2 = finish_batch(s, folder, &pa->acts, fs, pa->done_uid, st);
	/* applied, or failed: then the folder state stays where it was and
	 * the next sync repeats them */
	pa->acts.n[ACT_BOUNCE] = pa->acts.n[ACT_OTHER] = 0;
	pa->done_uid = fs->last_uid;
	return r != IMAP_OK ? r : r2;
}

/* The batch sizes of a sync: acct->batch, fewer when fetch caps are large
 * and at most IMAP_BATCH_MAX. */
static size_t batch_size(const struct imap_session *s)
{
	size_t chunk = s->acct->batch ? s->acct->batch : 200;
	uint32_t cap = fetch_cap(s);
	if ((uint64_t)chunk * cap > IMAP_BATCH_BYTES)
		chunk = IMAP_BATCH_BYTES / cap ? IMAP_BATCH_BYTES / cap : 1;
	/* a classified message holds its report (~8 KB with its events) and
	 * four batches are in flight */
	return chunk < IMAP_BATCH_MAX ? chunk : IMAP_BATCH_MAX;
}

/* The size of batch k of a sync: small ones first, so that the stages fill
 * quickly, then chunk; at most left. */
static size_t batch_len(size_t k, size_t chunk, size_t left)
{
	size_t len = k < 3 ? (size_t)IMAP_FIRST_BATCH << k : chunk;
	if (len > chunk)
		len = chunk;
	return len < left ? len : left;
}

/* Plan the next batch of uids[0..n) into its slot (planned % 3). */
static void plan_next(struct imap_session *s, struct slot *sl, const uint32_t *uids, size_t n,
		      size_t chunk, size_t *next, size_t *planned)
{
	size_t len = batch_len(*planned, chunk, n - *next);
	slot_plan(&sl[*planned % 3], s, uids + *next, len, *next);
	*next += len;
	(*planned)++;
}

/* The fetch of sl failed: the server's words (NO, BAD) or what broke. */
static enum imap_rc fetch_failed(struct imap_session *s, const struct slot *sl)
{
	if (sl->rc == MAILIMAP_ERROR_FETCH)
		return fail(s, IMAP_FAIL_TEMP, "UID FETCH failed: %s", sl->res.text);
	return fail(s, IMAP_FAIL_WAIT, "UID FETCH: connection to %s:%u lost: %s", s->url.host,
		    s->url.port, sl->res.text);
}

/* Every batch of uids[0..n), through the three stages (struct slot). */
static enum imap_rc run_batches(struct imap_session *s, const char *folder, const uint32_t *uids,
				size_t n, struct bw_folder_state *fs, struct imap_stats *st,
				bool *stopped)
{
	size_t chunk = batch_size(s), next = 0, planned = 0;
	struct slot sl[3];
	struct pending_acts pa;
	memset(sl, 0, sizeof sl);
	memset(&pa, 0, sizeof pa);
	pa.every = s->acct->batch ? s->acct->batch : 200;
	pa.cap = pa.every + chunk;
	pa.acts.uids[ACT_BOUNCE] = xcalloc(pa.cap, sizeof(uint32_t));
	pa.acts.uids[ACT_OTHER] = xcalloc(pa.cap, sizeof(uint32_t));
	pa.done_uid = fs->last_uid;
	enum imap_rc r = IMAP_OK;

	/* fill: batch 0 fetched and classified, 1 being classified, 2 fetched */
	plan_next(s, sl, uids, n, chunk, &next, &planned);
	slot_join(&sl[0]);
	if (sl[0].rc == MAILIMAP_NO_ERROR) {
		slot_start(&sl[0], slot_classify_main);
		if (next < n)
			plan_next(s, sl, uids, n, chunk, &next, &planned);
	}
	slot_join(&sl[0]);
	slot_join(&sl[1]);
	if (planned > 1 && sl[1].rc == MAILIMAP_NO_ERROR) {
		slot_start(&sl[1], slot_classify_main);
		if (next < n)
			plan_next(s, sl, uids, n, chunk, &next, &planned);
	}
	for (size_t b = 0; b < planned && r == IMAP_OK && !*stopped; b++) {
		struct slot *cur = &sl[b % 3], *next1 = &sl[(b + 1) % 3], *next2 = &sl[(b + 2) % 3];
		if (cur->rc != MAILIMAP_NO_ERROR) {
			slot_join(next1);
			slot_join(next2);
			r = fetch_failed(s, cur);
			break;
		}
		bool more2 = b + 2 < planned;
		r = run_batch(s, folder, cur, more2 ? next2 : NULL, n, fs, st, &pa, stopped);
		/* the connection is free and cur's slot too: the fetch of b + 3 */
		bool go = r == IMAP_OK && !*stopped && !stop_now(s) && more2 &&
			  next2->rc == MAILIMAP_NO_ERROR;
		if (go && next < n)
			plan_next(s, sl, uids, n, chunk, &next, &planned);
		slot_join(next1);
		if (go)
			slot_start(next2, slot_classify_main);
	}
	for (size_t i = 0; i < 3; i++)
		slot_drop(&sl[i]);
	/* a fetch failed: the post-actions of what was committed before it,
	 * unless the connection is gone (the next sync repeats them) */
	if (!s->broken &&
	    (pa.acts.n[ACT_BOUNCE] || pa.acts.n[ACT_OTHER] || pa.done_uid > fs->last_uid)) {
		enum imap_rc r2 = finish_batch(s, folder, &pa.acts, fs, pa.done_uid, st);
		if (r == IMAP_OK)
			r = r2;
	}
	free(pa.acts.uids[ACT_BOUNCE]);
	free(pa.acts.uids[ACT_OTHER]);
	return r;
}

enum imap_rc imap_sync(struct imap_session *s, const char *folder, struct imap_stats *st)
{
	if (!s->im)
		return fail(s, IMAP_FAIL_WAIT, "not connected");
	enum imap_rc r = select_folder(s, folder);
	struct bw_folder_state fs;
	if (r == IMAP_OK)
		r = folder_state(s, folder, &fs);
	if (r != IMAP_OK)
		return r;
	/*
	 * Search again after the batches: mail that arrived while they ran was
	 * announced during them, so the IDLE that follows would not report it.
	 * Each round starts above the highest UID the previous one saw, so a
	 * message that fails and stays below last_uid cannot make it spin.
	 */
	uint32_t above = fs.last_uid, window = IMAP_SEARCH_TARGET;
	bool stopped = false;
	while (r == IMAP_OK && !stopped && above < UINT32_MAX) {
		uint32_t *uids = NULL, hi;
		size_t n = 0;
		next_window(s, above + 1, window, &hi);
		int rc = search_range(s, above + 1, hi, &uids, &n);
		if (rc != MAILIMAP_NO_ERROR)
			return fail_rc(s, rc, "UID SEARCH");
		if (n == 0 && hi == 0) {
			free(uids);
			break;
		}
		if (n > 0) {
			log_info("account %s: folder %s: %zu new message%s in UIDs %u:%s%.0u",
				 s->acct->name, folder, n, n == 1 ? "" : "s", above + 1,
				 hi ? "" : "*", hi);
			r = run_batches(s, folder, uids, n, &fs, st, &stopped);
		}
		/* a bounded window is done; the last one ends at the highest UID seen */
		if (hi)
			above = hi;
		for (size_t i = 0; i < n; i++)
			if (uids[i] > above)
				above = uids[i];
		free(uids);
		window = adapt_window(window, n);
	}
	if (r == IMAP_OK && stopped)
		return IMAP_STOPPED;
	return r;
}

/* ------------------------------------------------------------ waiting */

/* Sleep ms in slices, false when told to stop. */
static bool nap(struct imap_session *s, long ms)
{
	while (ms > 0) {
		if (stop_now(s))
			return false;
		long d = ms < IMAP_SLICE_MS ? ms : IMAP_SLICE_MS;
		struct timespec ts = { d / 1000, (d % 1000) * 1000000L };
		nanosleep(&ts, NULL);
		ms -= d;
	}
	return !stop_now(s);
}

static enum imap_rc wait_poll(struct imap_session *s, int max_s)
{
	long ms = (long)(max_s > 0 && (unsigned)max_s < s->acct->poll_interval ? (unsigned)max_s
									    : s->acct->poll_interval) * 1000L;
	if (!nap(s, ms))
		return IMAP_STOPPED;
	return IMAP_OK;
}

/* IDLE until the server says something, max_s passes, or we must stop. */
static enum imap_rc wait_idle(struct imap_session *s, int max_s)
{
	int limit = max_s > 0 && max_s < IMAP_IDLE_MAX_S ? max_s : IMAP_IDLE_MAX_S;
	int rc = mailimap_idle(s->im);
	if (rc != MAILIMAP_NO_ERROR)
		return fail_rc(s, rc, "IDLE");
	log_debug("account %s: folder %s: idling", s->acct->name, s->selected ? s->selected : "?");
	int fd = mailimap_idle_get_fd(s->im);
	time_t start = time(NULL);
	bool stop = false;
	for (;;) {
		/* a response may already sit in libetpan's buffer */
		if (s->im->imap_stream && s->im->imap_stream->read_buffer_len > 0)
			break;
		struct pollfd pfd = { fd, POLLIN, 0 };
		int pr = poll(&pfd, 1, IMAP_SLICE_MS);
		if (pr < 0 && errno != EINTR)
			return fail(s, IMAP_FAIL_WAIT, "poll: %s", strerror(errno));
		if (pr > 0)
			break;
		if (stop_now(s)) {
			stop = true;
			break;
		}
		if (time(NULL) - start >= limit)
			break;
	}
	rc = mailimap_idle_done(s->im);
	if (rc != MAILIMAP_NO_ERROR)
		return fail_rc(s, rc, "IDLE DONE");
	return stop ? IMAP_STOPPED : IMAP_OK;
}

enum imap_rc imap_wait(struct imap_session *s, int max_s)
{
	if (!s->im)
		return fail(s, IMAP_FAIL_WAIT, "not connected");
	if (s->acct->mode == BW_MODE_IDLE && has_cap(s, "IDLE"))
		return wait_idle(s, max_s);
	return wait_poll(s, max_s);
}
