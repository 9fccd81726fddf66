/*
 * store_pg.c - the state store on PostgreSQL (libpq), behind store.h, for
 * several instances sharing one database (SPEC §2).
 *
 * One connection per struct bw_store.  Every value is a bound parameter
 * (PQexecPrepared, statements prepared once per connection and cached by
 * the address of their static SQL text): no SQL is ever built from input.
 * Text that is not valid UTF-8 (bounces are written by strangers) is stored
 * read as Latin-1, as the JSON output does.
 *
 * Concurrency, in READ COMMITTED transactions:
 *  - migrations run under a session advisory lock, so instances starting
 *    together migrate once;
 *  - the processed marker is INSERT ... ON CONFLICT DO NOTHING: a message a
 *    second instance already committed reports 1 and the caller rolls the
 *    whole message back;
 *  - store_lock_address() takes a transaction advisory lock on the address,
 *    store_campaign_touch() one on the account: read-modify-write of address
 *    state and campaign counters is serialised, and a second decider reads
 *    what the first committed;
 *  - leases and outbox claims are conditional updates: one winner.
 *
 * The connection URL is never put in a message with its password.
 */
#include "config.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "store.h"
#include "store_p.h"
#include "util.h"

#define STMT_CACHE  96
#define MAX_PARAMS  24
/* Advisory lock namespaces (the first key, in the SQL text): 1650 migration,
 * 1651 an address (hashtext), 1652 an account's campaigns. */

struct pg_store {
	struct bw_store base;        /* first: err, fail_after, ops */
	PGconn *conn;                /* owned */
	bool in_tx;                  /* between store_begin() and its end */
	struct {
		const char *sql;     /* borrowed: a string literal */
		char name[8];
	} cache[STMT_CACHE];
};

#define PG(st) ((struct pg_store *)(st))

static const struct bw_store_ops pg_ops;

/* ---------------------------------------------------------------- parameters */

/* The parameters of one statement.  Text that needed converting is owned. */
struct args {
	int n;
	const char *v[MAX_PARAMS];
	char num[MAX_PARAMS][24];
	char *own[MAX_PARAMS];
};

static bool utf8_valid(const unsigned char *p)
{
	while (*p) {
		unsigned n = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2 :
			(*p & 0xf8) == 0xf0 ? 3 : 9;
		if (n == 9 || (n == 1 && *p < 0xc2))
			return false;
		p++;
		for (unsigned i = 0; i < n; i++, p++)
			if ((*p & 0xc0) != 0x80)
				return false;
	}
	return true;
}

/* A copy of s with every byte >= 0x80 read as Latin-1. */
static char *latin1_to_utf8(const char *s)
{
	char *u = xmalloc(strlen(s) * 2 + 1), *w = u;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x80) {
			*w++ = (char)*p;
		} else {
			*w++ = (char)(0xc0 | (*p >> 6));
			*w++ = (char)(0x80 | (*p & 0x3f));
		}
	}
	*w = '\0';
	return u;
}

static void a_text(struct args *a, const char *s)
{
	assert(a->n < MAX_PARAMS);
	s = s ? s : "";
	if (!utf8_valid((const unsigned char *)s))
		s = a->own[a->n] = latin1_to_utf8(s);
	a->v[a->n++] = s;
}

static void a_int(struct args *a, int64_t x)
{
	assert(a->n < MAX_PARAMS);
	snprintf(a->num[a->n], sizeof a->num[0], "%" PRId64, x);
	a->v[a->n] = a->num[a->n];
	a->n++;
}

/* LIMIT max, where 0 means none (NULL). */
static void a_limit(struct args *a, unsigned max)
{
	if (max) {
		a_int(a, (int64_t)max);
	} else {
		assert(a->n < MAX_PARAMS);
		a->v[a->n++] = NULL;
	}
}

static void a_free(struct args *a)
{
	for (int i = 0; i < a->n; i++)
		free(a->own[i]);
}

/* ---------------------------------------------------------------- execution */

static int pgfail(struct bw_store *st, const char *what, const PGresult *r)
{
	const char *m = r ? PQresultErrorMessage(r) : "";
	if (!m || !*m)
		m = PQerrorMessage(PG(st)->conn);
	size_t len = strlen(m);
	while (len && (m[len - 1] == '\n' || m[len - 1] == ' '))
		len--;
	snprintf(st->err, sizeof st->err, "%s: %.*s", what, (int)len, m);
	return -1;
}

/* A connection lost outside a transaction (server restart, network, idle
 * timeout) is opened again, its prepared statements forgotten; inside one it
 * stays lost until the rollback, so a transaction is never split in two.
 * 0, or -1 with st->err set. */
static int ensure(struct bw_store *st)
{
	struct pg_store *p = PG(st);
	if (PQstatus(p->conn) == CONNECTION_OK)
		return 0;
	if (p->in_tx) {
		snprintf(st->err, sizeof st->err, "the database connection was lost mid-transaction");
		return -1;
	}
	PQreset(p->conn);
	memset(p->cache, 0, sizeof p->cache);
	if (PQstatus(p->conn) != CONNECTION_OK)
		return pgfail(st, "reconnect", NULL);
	return 0;
}

/* The name of sql's prepared statement on this connection, preparing it the
 * first time; NULL with st->err set. */
static const char *prepared(struct bw_store *st, const char *sql, int nparams)
{
	struct pg_store *p = PG(st);
	size_t i;
	if (ensure(st) < 0)
		return NULL;
	for (i = 0; i < STMT_CACHE && p->cache[i].sql; i++)
		if (p->cache[i].sql == sql)
			return p->cache[i].name;
	if (i >= STMT_CACHE) {
		snprintf(st->err, sizeof st->err, "statement cache full");
		return NULL;
	}
	char name[8];
	snprintf(name, sizeof name, "s%zu", i);
	PGresult *r = PQprepare(p->conn, name, sql, nparams, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		pgfail(st, "prepare", r);
		PQclear(r);
		return NULL;
	}
	PQclear(r);
	p->cache[i].sql = sql;
	memcpy(p->cache[i].name, name, sizeof name);
	return p->cache[i].name;
}

/* Run the static statement sql with a's parameters (released here).  The
 * result, or NULL with st->err set. */
static PGresult *q(struct bw_store *st, const char *sql, struct args *a, const char *what)
{
	PGresult *r = NULL;
	const char *name = prepared(st, sql, a->n);
	if (name) {
		r = PQexecPrepared(PG(st)->conn, name, a->n, a->v, NULL, NULL, 0);
		ExecStatusType s = PQresultStatus(r);
		if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
			pgfail(st, what, r);
			PQclear(r);
			r = NULL;
		}
	}
	a_free(a);
	a->n = 0;
	return r;
}

/* A write: the number of rows it changed (or returned), or -1.  Counts
 * writes for fault injection. */
static long w(struct bw_store *st, const char *sql, struct args *a, const char *what)
{
	if (st->fail_after > 0 && --st->fail_after == 0) {
		a_free(a);
		a->n = 0;
		snprintf(st->err, sizeof st->err, "%s: injected failure", what);
		return -1;
	}
	PGresult *r = q(st, sql, a, what);
	if (!r)
		return -1;
	long n = PQresultStatus(r) == PGRES_TUPLES_OK ? PQntuples(r) : strtol(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return n;
}

/* A write that returns one id (RETURNING id): 0 with *id set, 1 when it
 * returned no row (ON CONFLICT DO NOTHING), -1. */
static int w_id(struct bw_store *st, const char *sql, struct args *a, const char *what,
		int64_t *id)
{
	if (st->fail_after > 0 && --st->fail_after == 0) {
		a_free(a);
		a->n = 0;
		snprintf(st->err, sizeof st->err, "%s: injected failure", what);
		return -1;
	}
	PGresult *r = q(st, sql, a, what);
	if (!r)
		return -1;
	int rc = PQntuples(r) > 0 ? 0 : 1;
	if (rc == 0 && id)
		*id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return rc;
}

/* A statement without parameters (transaction control, migrations). */
static int x(struct bw_store *st, const char *sql, const char *what)
{
	if (ensure(st) < 0)
		return -1;
	PGresult *r = PQexec(PG(st)->conn, sql);
	ExecStatusType s = PQresultStatus(r);
	int rc = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ? 0 : pgfail(st, what, r);
	PQclear(r);
	return rc;
}

static void c_text(const PGresult *r, int row, int col, char *dst, size_t dstsz)
{
	const char *v = PQgetvalue(r, row, col);
	size_t n = (size_t)PQgetlength(r, row, col);
	if (n >= dstsz)
		n = dstsz - 1;
	if (n)
		memcpy(dst, v, n);
	dst[n] = '\0';
}

static int64_t c_int(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return 0;
	return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

/* One bigint from the first row of a query; -1 on error. */
static int one_int(struct bw_store *st, const char *sql, struct args *a, const char *what,
		   int64_t *v)
{
	PGresult *r = q(st, sql, a, what);
	if (!r)
		return -1;
	*v = PQntuples(r) > 0 ? c_int(r, 0, 0) : 0;
	PQclear(r);
	return 0;
}

/* Grow *v (of elements of size sz) to hold one more; the new slot, zeroed. */
static void *push(void **v, size_t *n, size_t *cap, size_t sz)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*v = xrealloc(*v, *cap * sz);
	}
	void *slot = (char *)*v + (*n)++ * sz;
	memset(slot, 0, sz);
	return slot;
}

/* ---------------------------------------------------------------- schema */

/* store_key16() of the text expression e, in SQL: NULL for "" (no key). */
#define PG_KEY16(e) "CASE WHEN " e " = '' THEN NULL ELSE decode(md5(" e "), 'hex') END"

/* migrations[i] takes the schema from version i to i + 1 (the same versions
 * and meaning as the SQLite schema). */
static const char *const migrations[] = {
	/* 1: the base schema */
	"CREATE TABLE folders ("
	"  account TEXT NOT NULL, folder TEXT NOT NULL,"
	"  uidvalidity BIGINT NOT NULL, last_uid BIGINT NOT NULL,"
	"  PRIMARY KEY (account, folder));"
	"CREATE TABLE processed ("
	"  id BIGSERIAL PRIMARY KEY, account TEXT NOT NULL, folder TEXT NOT NULL,"
	"  uidvalidity BIGINT NOT NULL, uid BIGINT NOT NULL,"
	"  content_key TEXT NOT NULL, verdict TEXT NOT NULL, processed_at BIGINT NOT NULL);"
	"CREATE UNIQUE INDEX processed_uid ON processed (account, folder, uidvalidity, uid)"
	"  WHERE uid <> 0;"
	"CREATE UNIQUE INDEX processed_key ON processed (account, content_key);"
	"CREATE TABLE events ("
	"  id BIGSERIAL PRIMARY KEY, msg_id BIGINT, account TEXT NOT NULL,"
	"  recipient TEXT NOT NULL, kind TEXT NOT NULL, reason TEXT NOT NULL,"
	"  hard INTEGER NOT NULL, status TEXT NOT NULL, reply_code TEXT NOT NULL,"
	"  action TEXT NOT NULL, diagnostic TEXT NOT NULL, remote_mta TEXT NOT NULL,"
	"  reporting_mta TEXT NOT NULL, feedback_type TEXT NOT NULL, detector TEXT NOT NULL,"
	"  matched TEXT NOT NULL, orig_message_id TEXT NOT NULL, orig_subject TEXT NOT NULL,"
	"  orig_from TEXT NOT NULL, orig_to TEXT NOT NULL, campaign TEXT NOT NULL,"
	"  time BIGINT NOT NULL, unverified INTEGER NOT NULL);"
	"CREATE INDEX events_recipient ON events (recipient);"
	"CREATE INDEX events_time ON events (time);"
	"CREATE TABLE addresses ("
	"  account TEXT NOT NULL, address TEXT NOT NULL, status INTEGER NOT NULL,"
	"  soft_total BIGINT NOT NULL, hard_total BIGINT NOT NULL,"
	"  nocamp_streak BIGINT NOT NULL, campaign_streak BIGINT NOT NULL,"
	"  last_campaign_seq BIGINT NOT NULL, first_soft BIGINT NOT NULL,"
	"  last_soft BIGINT NOT NULL, first_mailboxfull BIGINT NOT NULL,"
	"  last_success BIGINT NOT NULL, last_event BIGINT NOT NULL, events BIGINT NOT NULL,"
	"  PRIMARY KEY (account, address));"
	"CREATE INDEX addresses_address ON addresses (address);"
	"CREATE TABLE suppressions ("
	"  address TEXT NOT NULL, scope TEXT NOT NULL, account TEXT NOT NULL,"
	"  reason TEXT NOT NULL, detail TEXT NOT NULL, created BIGINT NOT NULL,"
	"  event_id BIGINT NOT NULL, PRIMARY KEY (address, account));"
	"CREATE TABLE deferrals ("
	"  address TEXT NOT NULL, scope TEXT NOT NULL, account TEXT NOT NULL,"
	"  reason TEXT NOT NULL, detail TEXT NOT NULL, created BIGINT NOT NULL,"
	"  event_id BIGINT NOT NULL, PRIMARY KEY (address, account));"
	"CREATE TABLE campaigns ("
	"  account TEXT NOT NULL, campaign TEXT NOT NULL, seq BIGINT NOT NULL,"
	"  first_seen BIGINT NOT NULL, hard BIGINT NOT NULL, soft BIGINT NOT NULL,"
	"  block BIGINT NOT NULL, complaint BIGINT NOT NULL, total BIGINT NOT NULL,"
	"  hard_alerted INTEGER NOT NULL, soft_alerted INTEGER NOT NULL,"
	"  PRIMARY KEY (account, campaign));"
	"CREATE TABLE decisions ("
	"  id BIGSERIAL PRIMARY KEY, event_id BIGINT NOT NULL, type TEXT NOT NULL,"
	"  address TEXT NOT NULL, reason TEXT NOT NULL, scope TEXT NOT NULL,"
	"  account TEXT NOT NULL, campaign TEXT NOT NULL, detail TEXT NOT NULL,"
	"  time BIGINT NOT NULL);"
	"CREATE INDEX decisions_address ON decisions (address);"
	"CREATE TABLE outbox ("
	"  id BIGSERIAL PRIMARY KEY, webhook_id TEXT NOT NULL UNIQUE, hook TEXT NOT NULL,"
	"  event TEXT NOT NULL, payload TEXT NOT NULL, state INTEGER NOT NULL,"
	"  attempts INTEGER NOT NULL, created BIGINT NOT NULL,"
	"  next_attempt BIGINT NOT NULL, last_error TEXT NOT NULL);",

	/* 2: sent counts per campaign (for the rate alerts), a due-rows index */
	"CREATE TABLE campaign_sent ("
	"  campaign TEXT NOT NULL, account TEXT NOT NULL, sent BIGINT NOT NULL,"
	"  updated BIGINT NOT NULL, PRIMARY KEY (campaign, account));"
	"CREATE INDEX outbox_due ON outbox (state, next_attempt);",

	/* 3: instances and their leases on (account, folder) */
	"CREATE TABLE instances ("
	"  id TEXT PRIMARY KEY, host TEXT NOT NULL, pid BIGINT NOT NULL,"
	"  started BIGINT NOT NULL, heartbeat BIGINT NOT NULL);"
	"CREATE TABLE leases ("
	"  account TEXT NOT NULL, folder TEXT NOT NULL, holder TEXT NOT NULL,"
	"  expires BIGINT NOT NULL, PRIMARY KEY (account, folder));",

	/* 4: the content key is unique through its 16-byte digest (store_key16) */
	"ALTER TABLE processed ADD COLUMN key16 BYTEA;"
	"UPDATE processed SET key16 = " PG_KEY16("content_key") " WHERE content_key <> '';"
	"DROP INDEX processed_key;"
	"CREATE UNIQUE INDEX processed_key16 ON processed (account, key16);",
};

static int schema_version(struct bw_store *st, int *version)
{
	static const char sql[] = "SELECT coalesce(max(version), 0) FROM schema_version";
	struct args a = { 0 };
	int64_t v = 0;
	*version = 0;
	if (one_int(st, sql, &a, "schema version", &v) < 0)
		return -1;
	*version = (int)v;
	return 0;
}

/* Apply migrations up to max_version in one transaction, holding the
 * migration advisory lock (other instances wait, then find nothing to do). */
static int migrate(struct bw_store *st, int max_version)
{
	int version = 0, rc = -1;
	if (x(st, "SELECT pg_advisory_lock(1650, 1)", "migrate: lock") < 0)
		return -1;
	if (x(st, "BEGIN", "migrate") < 0 ||
	    x(st, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL,"
	      " applied BIGINT NOT NULL)", "migrate") < 0 ||
	    schema_version(st, &version) < 0)
		goto out;
	if (version > (int)ARRAY_LEN(migrations)) {
		snprintf(st->err, sizeof st->err,
			 "state schema version %d is newer than this program (%d)", version,
			 (int)ARRAY_LEN(migrations));
		goto out;
	}
	for (int v = version; v < max_version && v < (int)ARRAY_LEN(migrations); v++) {
		static const char ins[] = "INSERT INTO schema_version"
			" VALUES ($1, extract(epoch FROM now())::bigint)";
		char what[32];
		struct args a = { 0 };
		snprintf(what, sizeof what, "migration %d", v + 1);
		if (x(st, migrations[v], what) < 0)
			goto out;
		a_int(&a, v + 1);
		if (w(st, ins, &a, what) < 0)
			goto out;
	}
	rc = x(st, "COMMIT", "migrate");
out:
	if (rc < 0)
		PQclear(PQexec(PG(st)->conn, "ROLLBACK"));
	PQclear(PQexec(PG(st)->conn, "SELECT pg_advisory_unlock(1650, 1)"));
	return rc;
}

/* url without a password (userinfo or a password= parameter), for messages. */
static void redact_url(const char *url, char *out, size_t outsz)
{
	char buf[512];
	bw_strlcpy(buf, url, sizeof buf);
	char *scheme = strstr(buf, "://");
	char *at = scheme ? strchr(scheme + 3, '@') : NULL;
	char *slash = scheme ? strchr(scheme + 3, '/') : NULL;
	if (at && (!slash || at < slash)) {
		char *colon = memchr(scheme + 3, ':', (size_t)(at - (scheme + 3)));
		if (colon)
			memmove(colon, at, strlen(at) + 1);
	}
	char *pw = strstr(buf, "password=");
	if (pw) {
		char *end = strchr(pw, '&');
		snprintf(pw, sizeof buf - (size_t)(pw - buf), "password=***%s", end ? end : "");
	}
	bw_strlcpy(out, buf, outsz);
}

static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;      /* NOTICEs (IF NOT EXISTS...) are no news */
}

struct bw_store *store_pg_open(const char *url, int max_version, char *err, size_t errsz)
{
	char shown[512];
	redact_url(url, shown, sizeof shown);
	struct pg_store *p = xcalloc(1, sizeof *p);
	struct bw_store *st = &p->base;
	st->ops = &pg_ops;
	/* defaults first: what the URL says overrides them.  A dead server or
	 * network is noticed in about a minute, not in TCP's hours. */
	static const char *const keys[] = { "connect_timeout", "keepalives_idle",
		"keepalives_interval", "keepalives_count", "application_name", "dbname", NULL };
	const char *vals[] = { "10", "30", "10", "3", "bouncewatch", url, NULL };
	p->conn = PQconnectdbParams(keys, vals, 1);
	if (!p->conn || PQstatus(p->conn) != CONNECTION_OK) {
		const char *m = p->conn ? PQerrorMessage(p->conn) : "out of memory";
		size_t len = strlen(m);
		while (len && (m[len - 1] == '\n' || m[len - 1] == ' '))
			len--;
		snprintf(err, errsz, "%s: %.*s", shown, (int)len, m);
		PQfinish(p->conn);
		free(p);
		return NULL;
	}
	PQsetNoticeProcessor(p->conn, quiet, NULL);
	if (migrate(st, max_version) < 0) {
		snprintf(err, errsz, "%s: %s", shown, st->err);
		PQfinish(p->conn);
		free(p);
		return NULL;
	}
	return st;
}

static void pg_close(struct bw_store *st)
{
	if (!st)
		return;
	PQfinish(PG(st)->conn);
	free(PG(st));
}

static int pg_schema_version(struct bw_store *st)
{
	int v;
	return schema_version(st, &v) < 0 ? -1 : v;
}

static int pg_test_exec(struct bw_store *st, const char *sql)
{
	return x(st, sql, "exec");
}

static long pg_test_count(struct bw_store *st, const char *sql)
{
	if (ensure(st) < 0)
		return -1;
	PGresult *r = PQexec(PG(st)->conn, sql);
	long n = -1;
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0)
		n = (long)c_int(r, 0, 0);
	else
		pgfail(st, "count", r);
	PQclear(r);
	return n;
}

/* ---------------------------------------------------------------- transactions */

static int pg_begin(struct bw_store *st)
{
	if (x(st, "BEGIN", "begin") < 0)
		return -1;
	PG(st)->in_tx = true;
	return 0;
}

static int pg_commit(struct bw_store *st)
{
	PGresult *r = PQexec(PG(st)->conn, "COMMIT");
	int rc = 0;
	PG(st)->in_tx = false;
	/* COMMIT of a failed transaction "succeeds" as a ROLLBACK */
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = pgfail(st, "commit", r);
	else if (strcmp(PQcmdStatus(r), "COMMIT") != 0)
		rc = -1, snprintf(st->err, sizeof st->err, "commit: the transaction was rolled back");
	PQclear(r);
	return rc;
}

static int pg_rollback(struct bw_store *st)
{
	struct pg_store *p = PG(st);
	p->in_tx = false;
	/* nothing open, or the connection is gone (the server rolled back) */
	if (PQstatus(p->conn) != CONNECTION_OK || PQtransactionStatus(p->conn) == PQTRANS_IDLE)
		return 0;
	return x(st, "ROLLBACK", "rollback");
}

/* ---------------------------------------------------------------- folders */

static int pg_folder_get(struct bw_store *st, const char *account, const char *folder,
			 struct bw_folder_state *fs)
{
	static const char sql[] =
		"SELECT uidvalidity, last_uid FROM folders WHERE account = $1 AND folder = $2";
	struct args a = { 0 };
	memset(fs, 0, sizeof *fs);
	a_text(&a, account);
	a_text(&a, folder);
	PGresult *r = q(st, sql, &a, "folder get");
	if (!r)
		return -1;
	int rc = 1;
	if (PQntuples(r) > 0) {
		fs->uidvalidity = (uint32_t)c_int(r, 0, 0);
		fs->last_uid = (uint32_t)c_int(r, 0, 1);
		rc = 0;
	}
	PQclear(r);
	return rc;
}

static int pg_folder_set(struct bw_store *st, const char *account, const char *folder,
			 const struct bw_folder_state *fs)
{
	static const char sql[] =
		"INSERT INTO folders (account, folder, uidvalidity, last_uid) VALUES ($1, $2, $3, $4)"
		" ON CONFLICT (account, folder) DO UPDATE SET uidvalidity = excluded.uidvalidity,"
		" last_uid = excluded.last_uid";
	struct args a = { 0 };
	a_text(&a, account);
	a_text(&a, folder);
	a_int(&a, fs->uidvalidity);
	a_int(&a, fs->last_uid);
	return w(st, sql, &a, "folder set") < 0 ? -1 : 0;
}

/* ---------------------------------------------------------------- processed */

static int pg_is_processed(struct bw_store *st, const char *account, const char *folder,
			   uint32_t uidvalidity, uint32_t uid, const char *content_key)
{
	static const char sql[] =
		"SELECT 1 FROM processed WHERE account = $1 AND ((uid <> 0 AND uid = $4"
		" AND folder = $2 AND uidvalidity = $3) OR key16 = " PG_KEY16("$5::text") ") LIMIT 1";
	struct args a = { 0 };
	a_text(&a, account);
	a_text(&a, folder);
	a_int(&a, uidvalidity);
	a_int(&a, uid);
	a_text(&a, content_key);
	PGresult *r = q(st, sql, &a, "processed");
	if (!r)
		return -1;
	int rc = PQntuples(r) > 0;
	PQclear(r);
	return rc;
}

static int pg_mark_processed(struct bw_store *st, const char *account, const char *folder,
			     uint32_t uidvalidity, uint32_t uid, const char *content_key,
			     const char *verdict, time_t now, int64_t *msg_id)
{
	/* a concurrent marker of the same message makes this wait for its
	 * transaction, then do nothing: 1 */
	static const char sql[] =
		"INSERT INTO processed (account, folder, uidvalidity, uid, content_key, verdict,"
		" processed_at, key16) VALUES ($1, $2, $3, $4, $5, $6, $7, " PG_KEY16("$5") ")"
		" ON CONFLICT DO NOTHING RETURNING id";
	struct args a = { 0 };
	a_text(&a, account);
	a_text(&a, folder);
	a_int(&a, uidvalidity);
	a_int(&a, uid);
	a_text(&a, content_key);
	a_text(&a, verdict);
	a_int(&a, now);
	return w_id(st, sql, &a, "mark processed", msg_id);
}

static int pg_lock_address(struct bw_store *st, const char *address)
{
	static const char sql[] = "SELECT pg_advisory_xact_lock(1651, hashtext($1))";
	struct args a = { 0 };
	a_text(&a, address);
	PGresult *r = q(st, sql, &a, "lock address");
	PQclear(r);
	return r ? 0 : -1;
}

/* ---------------------------------------------------------------- outbox */

#define OUTBOX_COLS "id, webhook_id, hook, event, payload, state, attempts, created," \
	" next_attempt, last_error"

static int outbox_rows(struct bw_store *st, const char *sql, struct args *a,
		       struct bw_outbox_row **rows, size_t *n)
{
	*rows = NULL;
	*n = 0;
	PGresult *r = q(st, sql, a, "outbox read");
	if (!r)
		return -1;
	int k = PQntuples(r);
	if (k > 0)
		*rows = xcalloc((size_t)k, sizeof **rows);
	for (int i = 0; i < k; i++) {
		struct bw_outbox_row *o = &(*rows)[i];
		o->id = c_int(r, i, 0);
		c_text(r, i, 1, o->webhook_id, sizeof o->webhook_id);
		c_text(r, i, 2, o->hook, sizeof o->hook);
		c_text(r, i, 3, o->event, sizeof o->event);
		o->payload = xstrndup(PQgetvalue(r, i, 4), (size_t)PQgetlength(r, i, 4));
		int64_t state = c_int(r, i, 5);
		o->state = state >= BW_OUTBOX_PENDING && state <= BW_OUTBOX_DEAD ?
			(enum bw_outbox_state)state : BW_OUTBOX_DEAD;
		o->attempts = (unsigned)c_int(r, i, 6);
		o->created = (time_t)c_int(r, i, 7);
		o->next_attempt = (time_t)c_int(r, i, 8);
		c_text(r, i, 9, o->last_error, sizeof o->last_error);
	}
	*n = (size_t)k;
	PQclear(r);
	return 0;
}

static int pg_outbox_add(struct bw_store *st, struct bw_outbox_row *row_)
{
	static const char ins[] =
		"INSERT INTO outbox (webhook_id, hook, event, payload, state, attempts, created,"
		" next_attempt, last_error) VALUES ($1, $2, $3, $4, 0, 0, $5, $5, '')"
		" ON CONFLICT (webhook_id) DO NOTHING RETURNING id";
	static const char find[] = "SELECT id FROM outbox WHERE webhook_id = $1";
	struct args a = { 0 };
	a_text(&a, row_->webhook_id);
	a_text(&a, row_->hook);
	a_text(&a, row_->event);
	a_text(&a, row_->payload ? row_->payload : "{}");
	a_int(&a, row_->created);
	int r = w_id(st, ins, &a, "outbox add", &row_->id);
	if (r < 0)
		return -1;
	if (r == 0) {
		row_->state = BW_OUTBOX_PENDING;
		row_->attempts = 0;
		row_->next_attempt = row_->created;
		return 0;
	}
	a_text(&a, row_->webhook_id);
	return one_int(st, find, &a, "outbox add", &row_->id);
}

static int pg_outbox_due(struct bw_store *st, time_t now, unsigned max,
			 struct bw_outbox_row **rows, size_t *n)
{
	static const char sql[] = "SELECT " OUTBOX_COLS " FROM outbox"
		" WHERE state = 0 AND next_attempt <= $1 ORDER BY id LIMIT $2";
	struct args a = { 0 };
	a_int(&a, now);
	a_limit(&a, max);
	return outbox_rows(st, sql, &a, rows, n);
}

static int pg_outbox_claim(struct bw_store *st, int64_t id, time_t now, time_t until)
{
	/* a racing claim waits on the row lock, then finds it no longer due */
	static const char sql[] = "UPDATE outbox SET next_attempt = $3"
		" WHERE id = $1 AND state = 0 AND next_attempt <= $2";
	struct args a = { 0 };
	a_int(&a, id);
	a_int(&a, now);
	a_int(&a, until);
	long n = w(st, sql, &a, "outbox claim");
	return n < 0 ? -1 : n == 1;
}

static int pg_outbox_update(struct bw_store *st, const struct bw_outbox_row *o)
{
	static const char sql[] = "UPDATE outbox SET state = $1, attempts = $2,"
		" next_attempt = $3, last_error = $4 WHERE id = $5";
	struct args a = { 0 };
	a_int(&a, o->state);
	a_int(&a, o->attempts);
	a_int(&a, o->next_attempt);
	a_text(&a, o->last_error);
	a_int(&a, o->id);
	return w(st, sql, &a, "outbox update") < 0 ? -1 : 0;
}

static int pg_outbox_list(struct bw_store *st, int state, unsigned max,
			  struct bw_outbox_row **rows, size_t *n)
{
	static const char sql[] = "SELECT " OUTBOX_COLS " FROM outbox"
		" WHERE $1::int < 0 OR state = $1::int ORDER BY id DESC LIMIT $2";
	struct args a = { 0 };
	a_int(&a, state);
	a_limit(&a, max);
	return outbox_rows(st, sql, &a, rows, n);
}

static int pg_outbox_retry(struct bw_store *st, int64_t id, time_t now)
{
	static const char sql[] = "UPDATE outbox SET state = 0, attempts = 0, next_attempt = $1,"
		" last_error = '' WHERE state = 2 AND ($2::bigint = 0 OR id = $2::bigint)";
	struct args a = { 0 };
	a_int(&a, now);
	a_int(&a, id);
	return (int)w(st, sql, &a, "outbox retry");
}

static int pg_outbox_purge(struct bw_store *st, bool with_dead)
{
	static const char sql[] = "DELETE FROM outbox WHERE state = 1 OR ($1::int = 1 AND state = 2)";
	struct args a = { 0 };
	a_int(&a, with_dead);
	return (int)w(st, sql, &a, "outbox purge");
}

static int pg_outbox_count(struct bw_store *st, unsigned counts[3])
{
	static const char sql[] = "SELECT state, count(*) FROM outbox GROUP BY state";
	struct args a = { 0 };
	counts[0] = counts[1] = counts[2] = 0;
	PGresult *r = q(st, sql, &a, "outbox count");
	if (!r)
		return -1;
	for (int i = 0; i < PQntuples(r); i++) {
		int64_t state = c_int(r, i, 0);
		if (state >= 0 && state <= 2)
			counts[state] = (unsigned)c_int(r, i, 1);
	}
	PQclear(r);
	return 0;
}

/* ---------------------------------------------------------------- events */

#define EVENT_COLS "id, msg_id, account, recipient, kind, reason, hard, status, reply_code," \
	" action, diagnostic, remote_mta, reporting_mta, feedback_type, detector, matched," \
	" orig_message_id, orig_subject, orig_from, orig_to, campaign, time, unverified"

static int pg_event_add(struct bw_store *st, int64_t msg_id, const char *account,
			const struct bw_event *ev, time_t t, int64_t *event_id)
{
	static const char sql[] = "INSERT INTO events (msg_id, account, recipient, kind, reason,"
		" hard, status, reply_code, action, diagnostic, remote_mta, reporting_mta,"
		" feedback_type, detector, matched, orig_message_id, orig_subject, orig_from,"
		" orig_to, campaign, time, unverified) VALUES ($1, $2, $3, $4, $5, $6, $7, $8,"
		" $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22) RETURNING id";
	struct args a = { 0 };
	a_int(&a, msg_id);
	a_text(&a, account);
	a_text(&a, ev->recipient);
	a_text(&a, bw_kind_name(ev->kind));
	a_text(&a, bw_reason_name(ev->reason));
	a_int(&a, ev->hard);
	a_text(&a, ev->status);
	a_text(&a, ev->reply_code);
	a_text(&a, ev->action);
	a_text(&a, ev->diagnostic);
	a_text(&a, ev->remote_mta);
	a_text(&a, ev->reporting_mta);
	a_text(&a, ev->feedback_type);
	a_text(&a, ev->detector);
	a_text(&a, ev->matched);
	a_text(&a, ev->original.message_id);
	a_text(&a, ev->original.subject);
	a_text(&a, ev->original.from);
	a_text(&a, ev->original.to);
	a_text(&a, ev->original.campaign);
	a_int(&a, t);
	a_int(&a, ev->unverified);
	return w_id(st, sql, &a, "event add", event_id) == 0 ? 0 : -1;
}

static void event_from_row(const PGresult *r, int row, struct bw_event_rec *rec)
{
	struct bw_event *ev = &rec->ev;
	char name[32];
	int i = 0, k;
	rec->id = c_int(r, row, i++);
	rec->msg_id = c_int(r, row, i++);
	c_text(r, row, i++, rec->account, sizeof rec->account);
	c_text(r, row, i++, ev->recipient, sizeof ev->recipient);
	c_text(r, row, i++, name, sizeof name);
	ev->kind = (k = bw_kind_from_name(name)) < 0 ? BW_KIND_UNKNOWN : (enum bw_kind)k;
	c_text(r, row, i++, name, sizeof name);
	ev->reason = (k = bw_reason_from_name(name)) < 0 ? BW_R_UNDEFINED : (enum bw_reason)k;
	ev->hard = c_int(r, row, i++) != 0;
	c_text(r, row, i++, ev->status, sizeof ev->status);
	c_text(r, row, i++, ev->reply_code, sizeof ev->reply_code);
	c_text(r, row, i++, ev->action, sizeof ev->action);
	c_text(r, row, i++, ev->diagnostic, sizeof ev->diagnostic);
	c_text(r, row, i++, ev->remote_mta, sizeof ev->remote_mta);
	c_text(r, row, i++, ev->reporting_mta, sizeof ev->reporting_mta);
	c_text(r, row, i++, ev->feedback_type, sizeof ev->feedback_type);
	c_text(r, row, i++, ev->detector, sizeof ev->detector);
	c_text(r, row, i++, ev->matched, sizeof ev->matched);
	c_text(r, row, i++, ev->original.message_id, sizeof ev->original.message_id);
	c_text(r, row, i++, ev->original.subject, sizeof ev->original.subject);
	c_text(r, row, i++, ev->original.from, sizeof ev->original.from);
	c_text(r, row, i++, ev->original.to, sizeof ev->original.to);
	c_text(r, row, i++, ev->original.campaign, sizeof ev->original.campaign);
	rec->time = ev->time = (time_t)c_int(r, row, i++);
	ev->unverified = c_int(r, row, i++) != 0;
}

static int pg_events_for(struct bw_store *st, const char *address, unsigned max,
			 struct bw_event_rec **recs, size_t *n)
{
	static const char sql[] = "SELECT " EVENT_COLS " FROM events WHERE recipient = $1"
		" ORDER BY time, id LIMIT $2";
	struct args a = { 0 };
	size_t cap = 0;
	*recs = NULL;
	*n = 0;
	a_text(&a, address);
	a_limit(&a, max);
	PGresult *r = q(st, sql, &a, "events");
	if (!r)
		return -1;
	for (int i = 0; i < PQntuples(r); i++)
		event_from_row(r, i, push((void **)recs, n, &cap, sizeof **recs));
	PQclear(r);
	return 0;
}

/* ---------------------------------------------------------------- addresses */

#define ADDR_COLS "account, address, status, soft_total, hard_total, nocamp_streak," \
	" campaign_streak, last_campaign_seq, first_soft, last_soft, first_mailboxfull," \
	" last_success, last_event, events"

#define ADDR_COLS_A "a.account, a.address, a.status, a.soft_total, a.hard_total," \
	" a.nocamp_streak, a.campaign_streak, a.last_campaign_seq, a.first_soft, a.last_soft," \
	" a.first_mailboxfull, a.last_success, a.last_event, a.events"

/* The ADDR_COLS of a row, from column i on. */
static void address_from_cols(const PGresult *r, int row, int i, struct bw_address_state *as)
{
	c_text(r, row, i++, as->account, sizeof as->account);
	c_text(r, row, i++, as->address, sizeof as->address);
	int64_t status = c_int(r, row, i++);
	as->status = status >= 0 && status < BW_ADDR__COUNT ? (enum bw_addr_status)status : BW_ADDR_OK;
	as->soft_total = (unsigned)c_int(r, row, i++);
	as->hard_total = (unsigned)c_int(r, row, i++);
	as->nocamp_streak = (unsigned)c_int(r, row, i++);
	as->campaign_streak = (unsigned)c_int(r, row, i++);
	as->last_campaign_seq = c_int(r, row, i++);
	as->first_soft = (time_t)c_int(r, row, i++);
	as->last_soft = (time_t)c_int(r, row, i++);
	as->first_mailboxfull = (time_t)c_int(r, row, i++);
	as->last_success = (time_t)c_int(r, row, i++);
	as->last_event = (time_t)c_int(r, row, i++);
	as->events = (unsigned)c_int(r, row, i++);
}

static void address_from_row(const PGresult *r, int row, struct bw_address_state *as)
{
	address_from_cols(r, row, 0, as);
}

static int address_flags(struct bw_store *st, struct bw_address_state *as)
{
	static const char sql[] =
		"SELECT (SELECT count(*) FROM suppressions WHERE address = $1 AND account = $2"
		"        AND scope = 'account'),"
		"       (SELECT count(*) FROM suppressions WHERE address = $1 AND scope = 'global'),"
		"       (SELECT count(*) FROM deferrals WHERE address = $1 AND (account = $2"
		"        OR scope = 'global'))";
	struct args a = { 0 };
	a_text(&a, as->address);
	a_text(&a, as->account);
	PGresult *r = q(st, sql, &a, "address flags");
	if (!r)
		return -1;
	if (PQntuples(r) > 0) {
		as->suppressed = c_int(r, 0, 0) > 0;
		as->suppressed_global = c_int(r, 0, 1) > 0;
		as->deferred = c_int(r, 0, 2) > 0;
	}
	PQclear(r);
	return 0;
}

static int pg_address_get(struct bw_store *st, const char *account, const char *address,
			  struct bw_address_state *as)
{
	static const char sql[] = "SELECT " ADDR_COLS " FROM addresses"
		" WHERE account = $1 AND address = $2";
	struct args a = { 0 };
	memset(as, 0, sizeof *as);
	bw_strlcpy(as->account, account, sizeof as->account);
	bw_strlcpy(as->address, address, sizeof as->address);
	a_text(&a, account);
	a_text(&a, address);
	PGresult *r = q(st, sql, &a, "address get");
	if (!r)
		return -1;
	int found = PQntuples(r) > 0;
	if (found)
		address_from_row(r, 0, as);
	PQclear(r);
	if (address_flags(st, as) < 0)
		return -1;
	return found ? 0 : 1;
}

static int pg_address_load(struct bw_store *st, const char *account, const char *address,
			   struct bw_address_state *as, unsigned *hard_accounts)
{
	/* one row whether the address is known or not (a.account NULL) */
	static const char sql[] = "SELECT a.account IS NOT NULL, " ADDR_COLS_A ","
		" EXISTS (SELECT 1 FROM suppressions WHERE address = $2 AND account = $1"
		"  AND scope = 'account'),"
		" EXISTS (SELECT 1 FROM suppressions WHERE address = $2 AND scope = 'global'),"
		" EXISTS (SELECT 1 FROM deferrals WHERE address = $2 AND (account = $1"
		"  OR scope = 'global')),"
		" (SELECT count(DISTINCT account) FROM addresses WHERE address = $2"
		"  AND account <> $1 AND hard_total > 0)"
		" FROM (SELECT 1) k LEFT JOIN addresses a ON a.account = $1 AND a.address = $2";
	struct args a = { 0 };
	memset(as, 0, sizeof *as);
	*hard_accounts = 0;
	a_text(&a, account);
	a_text(&a, address);
	PGresult *r = q(st, sql, &a, "address load");
	if (!r)
		return -1;
	if (PQntuples(r) != 1) {
		PQclear(r);
		snprintf(st->err, sizeof st->err, "address load: no row");
		return -1;
	}
	bool found = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	if (found)
		address_from_cols(r, 0, 1, as);
	bw_strlcpy(as->account, account, sizeof as->account);
	bw_strlcpy(as->address, address, sizeof as->address);
	as->suppressed = strcmp(PQgetvalue(r, 0, 15), "t") == 0;
	as->suppressed_global = strcmp(PQgetvalue(r, 0, 16), "t") == 0;
	as->deferred = strcmp(PQgetvalue(r, 0, 17), "t") == 0;
	*hard_accounts = (unsigned)c_int(r, 0, 18);
	PQclear(r);
	return found ? 0 : 1;
}

static int pg_address_put(struct bw_store *st, const struct bw_address_state *as)
{
	static const char sql[] = "INSERT INTO addresses (" ADDR_COLS ") VALUES ($1, $2, $3, $4,"
		" $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT (account, address) DO"
		" UPDATE SET status = excluded.status, soft_total = excluded.soft_total,"
		" hard_total = excluded.hard_total, nocamp_streak = excluded.nocamp_streak,"
		" campaign_streak = excluded.campaign_streak,"
		" last_campaign_seq = excluded.last_campaign_seq, first_soft = excluded.first_soft,"
		" last_soft = excluded.last_soft, first_mailboxfull = excluded.first_mailboxfull,"
		" last_success = excluded.last_success, last_event = excluded.last_event,"
		" events = excluded.events";
	struct args a = { 0 };
	a_text(&a, as->account);
	a_text(&a, as->address);
	a_int(&a, as->status);
	a_int(&a, as->soft_total);
	a_int(&a, as->hard_total);
	a_int(&a, as->nocamp_streak);
	a_int(&a, as->campaign_streak);
	a_int(&a, as->last_campaign_seq);
	a_int(&a, as->first_soft);
	a_int(&a, as->last_soft);
	a_int(&a, as->first_mailboxfull);
	a_int(&a, as->last_success);
	a_int(&a, as->last_event);
	a_int(&a, as->events);
	return w(st, sql, &a, "address put") < 0 ? -1 : 0;
}

static int pg_address_all(struct bw_store *st, const char *address,
			  struct bw_address_state **v, size_t *n)
{
	static const char sql[] = "SELECT " ADDR_COLS " FROM addresses WHERE address = $1"
		" ORDER BY account COLLATE \"C\"";
	struct args a = { 0 };
	size_t cap = 0;
	*v = NULL;
	*n = 0;
	a_text(&a, address);
	PGresult *r = q(st, sql, &a, "address all");
	if (!r)
		return -1;
	for (int i = 0; i < PQntuples(r); i++)
		address_from_row(r, i, push((void **)v, n, &cap, sizeof **v));
	PQclear(r);
	for (size_t i = 0; i < *n; i++)
		if (address_flags(st, &(*v)[i]) < 0)
			return -1;
	return 0;
}

static int pg_hard_accounts(struct bw_store *st, const char *address, const char *except,
			    unsigned *n)
{
	static const char sql[] = "SELECT count(DISTINCT account) FROM addresses"
		" WHERE address = $1 AND account <> $2 AND hard_total > 0";
	struct args a = { 0 };
	int64_t v = 0;
	a_text(&a, address);
	a_text(&a, except);
	int rc = one_int(st, sql, &a, "hard accounts", &v);
	*n = (unsigned)v;
	return rc;
}

/* ---------------------------------------------------------------- lists */

#define LIST_COLS "address, scope, account, reason, detail, created, event_id"
#define LIST_ORDER " ORDER BY address COLLATE \"C\", scope COLLATE \"C\" DESC, account COLLATE \"C\""

static int listing_add(struct bw_store *st, const char *sql, const struct bw_listing *l)
{
	struct args a = { 0 };
	a_text(&a, l->address);
	a_text(&a, l->scope);
	a_text(&a, strcmp(l->scope, "global") == 0 ? "" : l->account);
	a_text(&a, l->reason);
	a_text(&a, l->detail);
	a_int(&a, l->created);
	a_int(&a, l->event_id);
	long n = w(st, sql, &a, "list add");
	return n < 0 ? -1 : n == 1 ? 0 : 1;
}

static int listing_remove(struct bw_store *st, const char *sql, const char *address,
			  const char *account, unsigned *removed)
{
	struct args a = { 0 };
	a_text(&a, address);
	if (account)
		a_text(&a, account);
	long n = w(st, sql, &a, "list remove");
	if (n < 0)
		return -1;
	if (removed)
		*removed = (unsigned)n;
	return 0;
}

static int listing_read(struct bw_store *st, const char *sql, const char *address,
			struct bw_listing **v, size_t *n)
{
	struct args a = { 0 };
	size_t cap = 0;
	*v = NULL;
	*n = 0;
	if (address)
		a_text(&a, address);
	PGresult *r = q(st, sql, &a, "list");
	if (!r)
		return -1;
	for (int i = 0; i < PQntuples(r); i++) {
		struct bw_listing *l = push((void **)v, n, &cap, sizeof **v);
		c_text(r, i, 0, l->address, sizeof l->address);
		c_text(r, i, 1, l->scope, sizeof l->scope);
		c_text(r, i, 2, l->account, sizeof l->account);
		c_text(r, i, 3, l->reason, sizeof l->reason);
		c_text(r, i, 4, l->detail, sizeof l->detail);
		l->created = (time_t)c_int(r, i, 5);
		l->event_id = c_int(r, i, 6);
	}
	PQclear(r);
	return 0;
}

static int pg_suppress_add(struct bw_store *st, const struct bw_listing *l)
{
	static const char sql[] = "INSERT INTO suppressions (" LIST_COLS ")"
		" VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING";
	return listing_add(st, sql, l);
}

static int pg_suppress_remove(struct bw_store *st, const char *address, const char *account,
			      unsigned *removed)
{
	static const char all[] = "DELETE FROM suppressions WHERE address = $1";
	static const char one[] = "DELETE FROM suppressions WHERE address = $1 AND account = $2";
	return listing_remove(st, account ? one : all, address, account, removed);
}

static int pg_suppress_list(struct bw_store *st, const char *address,
			    struct bw_listing **v, size_t *n)
{
	static const char all[] = "SELECT " LIST_COLS " FROM suppressions" LIST_ORDER;
	static const char one[] = "SELECT " LIST_COLS " FROM suppressions WHERE address = $1"
		LIST_ORDER;
	return listing_read(st, address ? one : all, address, v, n);
}

static int pg_defer_add(struct bw_store *st, const struct bw_listing *l)
{
	static const char sql[] = "INSERT INTO deferrals (" LIST_COLS ")"
		" VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING";
	return listing_add(st, sql, l);
}

static int pg_defer_remove(struct bw_store *st, const char *address, const char *account,
			   unsigned *removed)
{
	static const char all[] = "DELETE FROM deferrals WHERE address = $1";
	static const char one[] = "DELETE FROM deferrals WHERE address = $1 AND account = $2";
	return listing_remove(st, account ? one : all, address, account, removed);
}

static int pg_defer_list(struct bw_store *st, const char *address,
			 struct bw_listing **v, size_t *n)
{
	static const char all[] = "SELECT " LIST_COLS " FROM deferrals" LIST_ORDER;
	static const char one[] = "SELECT " LIST_COLS " FROM deferrals WHERE address = $1"
		LIST_ORDER;
	return listing_read(st, address ? one : all, address, v, n);
}

/* ---------------------------------------------------------------- campaigns */

#define SENT_EXPR(t) "coalesce((SELECT sent FROM campaign_sent s WHERE s.campaign = " t \
	".campaign AND s.account = " t ".account), (SELECT sent FROM campaign_sent s" \
	" WHERE s.campaign = " t ".campaign AND s.account = ''), -1)"
/* The columns campaign_from_row() reads, of table (or alias) t. */
#define CAMPAIGN_COLS_OF(t) t ".account, " t ".campaign, " t ".seq, " t ".first_seen, " \
	t ".hard, " t ".soft, " t ".block, " t ".complaint, " t ".total, " SENT_EXPR(t) ", " \
	t ".hard_alerted, " t ".soft_alerted"
#define CAMPAIGN_COLS CAMPAIGN_COLS_OF("c")

static void campaign_from_row(const PGresult *r, int row, struct bw_campaign_stats *cs)
{
	int i = 0;
	c_text(r, row, i++, cs->account, sizeof cs->account);
	c_text(r, row, i++, cs->campaign, sizeof cs->campaign);
	cs->seq = c_int(r, row, i++);
	cs->first_seen = (time_t)c_int(r, row, i++);
	cs->hard = (unsigned)c_int(r, row, i++);
	cs->soft = (unsigned)c_int(r, row, i++);
	cs->block = (unsigned)c_int(r, row, i++);
	cs->complaint = (unsigned)c_int(r, row, i++);
	cs->total = (unsigned)c_int(r, row, i++);
	cs->sent = c_int(r, row, i++);
	cs->hard_alerted = c_int(r, row, i++) != 0;
	cs->soft_alerted = c_int(r, row, i++) != 0;
}

static int pg_campaign_touch(struct bw_store *st, const char *account, const char *campaign,
			     time_t t, struct bw_campaign_stats *cs)
{
	/* the account's campaigns are read, numbered and counted by one
	 * transaction at a time (two folders of an account may be on two
	 * instances); always taken after the address locks */
	static const char lock[] = "SELECT pg_advisory_xact_lock(1652, hashtext($1))";
	static const char ins[] = "INSERT INTO campaigns (account, campaign, seq,"
		" first_seen, hard, soft, block, complaint, total, hard_alerted, soft_alerted)"
		" VALUES ($1, $2, (SELECT coalesce(max(seq), 0) + 1 FROM campaigns"
		" WHERE account = $1), $3, 0, 0, 0, 0, 0, 0, 0) ON CONFLICT DO NOTHING";
	static const char get[] = "SELECT " CAMPAIGN_COLS " FROM campaigns c"
		" WHERE c.account = $1 AND c.campaign = $2";
	struct args a = { 0 };
	memset(cs, 0, sizeof *cs);
	a_text(&a, account);
	PGresult *r = q(st, lock, &a, "campaign lock");
	if (!r)
		return -1;
	PQclear(r);
	a_text(&a, account);
	a_text(&a, campaign);
	a_int(&a, t);
	if (w(st, ins, &a, "campaign add") < 0)
		return -1;
	a_text(&a, account);
	a_text(&a, campaign);
	if (!(r = q(st, get, &a, "campaign get")))
		return -1;
	int rc = 0;
	if (PQntuples(r) > 0)
		campaign_from_row(r, 0, cs);
	else
		rc = -1, snprintf(st->err, sizeof st->err, "campaign get: row vanished");
	PQclear(r);
	return rc;
}

static int pg_campaign_count(struct bw_store *st, const char *account, const char *campaign,
			     time_t t, const struct bw_campaign_stats *delta,
			     struct bw_campaign_stats *cs)
{
	static const char lock[] = "SELECT pg_advisory_xact_lock(1652, hashtext($1))";
	static const char ins[] = "INSERT INTO campaigns (account, campaign, seq,"
		" first_seen, hard, soft, block, complaint, total, hard_alerted, soft_alerted)"
		" VALUES ($1, $2, (SELECT coalesce(max(seq), 0) + 1 FROM campaigns"
		" WHERE account = $1), $3, 0, 0, 0, 0, 0, 0, 0) ON CONFLICT DO NOTHING";
	static const char upd[] = "UPDATE campaigns SET hard = hard + $3, soft = soft + $4,"
		" block = block + $5, complaint = complaint + $6, total = total + $7"
		" WHERE account = $1 AND campaign = $2 RETURNING " CAMPAIGN_COLS_OF("campaigns");
	struct args a = { 0 };
	memset(cs, 0, sizeof *cs);
	/* the same lock as store_campaign_touch(), after the address locks */
	a_text(&a, account);
	PGresult *r = q(st, lock, &a, "campaign lock");
	if (!r)
		return -1;
	PQclear(r);
	for (int pass = 0; pass < 2; pass++) {
		if (st->fail_after > 0 && --st->fail_after == 0) {
			snprintf(st->err, sizeof st->err, "campaign count: injected failure");
			return -1;
		}
		a_text(&a, account);
		a_text(&a, campaign);
		a_int(&a, delta->hard);
		a_int(&a, delta->soft);
		a_int(&a, delta->block);
		a_int(&a, delta->complaint);
		a_int(&a, delta->total);
		if (!(r = q(st, upd, &a, "campaign count")))
			return -1;
		if (PQntuples(r) > 0) {
			campaign_from_row(r, 0, cs);
			PQclear(r);
			return 0;
		}
		PQclear(r);
		/* new: create it (counters 0), then count */
		a_text(&a, account);
		a_text(&a, campaign);
		a_int(&a, t);
		if (pass == 0 && w(st, ins, &a, "campaign add") < 0)
			return -1;
		a_free(&a);
		a.n = 0;
	}
	snprintf(st->err, sizeof st->err, "campaign count: row vanished");
	return -1;
}

static int pg_campaign_put(struct bw_store *st, const struct bw_campaign_stats *cs)
{
	static const char sql[] = "UPDATE campaigns SET hard = $1, soft = $2, block = $3,"
		" complaint = $4, total = $5, hard_alerted = $6, soft_alerted = $7"
		" WHERE account = $8 AND campaign = $9";
	struct args a = { 0 };
	a_int(&a, cs->hard);
	a_int(&a, cs->soft);
	a_int(&a, cs->block);
	a_int(&a, cs->complaint);
	a_int(&a, cs->total);
	a_int(&a, cs->hard_alerted);
	a_int(&a, cs->soft_alerted);
	a_text(&a, cs->account);
	a_text(&a, cs->campaign);
	return w(st, sql, &a, "campaign put") < 0 ? -1 : 0;
}

static int pg_campaign_set_sent(struct bw_store *st, const char *campaign, const char *account,
				int64_t sent, time_t now)
{
	static const char sql[] = "INSERT INTO campaign_sent (campaign, account, sent, updated)"
		" VALUES ($1, $2, $3, $4) ON CONFLICT (campaign, account) DO UPDATE SET"
		" sent = excluded.sent, updated = excluded.updated";
	struct args a = { 0 };
	a_text(&a, campaign);
	a_text(&a, account ? account : "");
	a_int(&a, sent);
	a_int(&a, now);
	return w(st, sql, &a, "campaign sent") < 0 ? -1 : 0;
}

static int pg_campaign_list(struct bw_store *st, const char *campaign,
			    struct bw_campaign_stats **v, size_t *n)
{
	static const char all[] = "SELECT " CAMPAIGN_COLS " FROM campaigns c"
		" ORDER BY c.account COLLATE \"C\", c.seq";
	static const char one[] = "SELECT " CAMPAIGN_COLS " FROM campaigns c"
		" WHERE c.campaign = $1 ORDER BY c.account COLLATE \"C\", c.seq";
	struct args a = { 0 };
	size_t cap = 0;
	*v = NULL;
	*n = 0;
	if (campaign)
		a_text(&a, campaign);
	PGresult *r = q(st, campaign ? one : all, &a, "campaigns");
	if (!r)
		return -1;
	for (int i = 0; i < PQntuples(r); i++)
		campaign_from_row(r, i, push((void **)v, n, &cap, sizeof **v));
	PQclear(r);
	return 0;
}

/* ---------------------------------------------------------------- decisions */

static int pg_decision_add(struct bw_store *st, const struct bw_decision *d, int64_t event_id,
			   time_t t)
{
	static const char sql[] = "INSERT INTO decisions (event_id, type, address, reason, scope,"
		" account, campaign, detail, time) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
	struct args a = { 0 };
	a_int(&a, event_id);
	a_text(&a, bw_decision_name(d->type));
	a_text(&a, d->address);
	a_text(&a, d->reason);
	a_text(&a, d->scope);
	a_text(&a, d->account);
	a_text(&a, d->campaign);
	a_text(&a, d->detail);
	a_int(&a, t);
	return w(st, sql, &a, "decision add") < 0 ? -1 : 0;
}

static int pg_decisions_for(struct bw_store *st, const char *address,
			    struct bw_decision_rec **v, size_t *n)
{
	static const char sql[] = "SELECT id, event_id, type, address, reason, scope, account,"
		" campaign, detail, time FROM decisions WHERE address = $1 ORDER BY time, id";
	struct args a = { 0 };
	size_t cap = 0;
	*v = NULL;
	*n = 0;
	a_text(&a, address);
	PGresult *r = q(st, sql, &a, "decisions");
	if (!r)
		return -1;
	for (int i = 0; i < PQntuples(r); i++) {
		struct bw_decision_rec *d = push((void **)v, n, &cap, sizeof **v);
		char name[32];
		d->id = c_int(r, i, 0);
		d->event_id = c_int(r, i, 1);
		c_text(r, i, 2, name, sizeof name);
		int t = bw_decision_from_name(name);
		d->d.type = t < 0 ? BW_DEC_ALERT : (enum bw_decision_type)t;
		c_text(r, i, 3, d->d.address, sizeof d->d.address);
		c_text(r, i, 4, d->d.reason, sizeof d->d.reason);
		c_text(r, i, 5, d->d.scope, sizeof d->d.scope);
		c_text(r, i, 6, d->d.account, sizeof d->d.account);
		c_text(r, i, 7, d->d.campaign, sizeof d->d.campaign);
		c_text(r, i, 8, d->d.detail, sizeof d->d.detail);
		d->time = (time_t)c_int(r, i, 9);
	}
	PQclear(r);
	return 0;
}

/* ---------------------------------------------------------------- report */

#define REPORT_COUNTS "count(*) FILTER (WHERE kind = 'hard'), count(*) FILTER (WHERE kind = 'soft')," \
	" count(*) FILTER (WHERE kind = 'block'), count(*) FILTER (WHERE kind = 'complaint')," \
	" count(*) FILTER (WHERE kind = 'delayed')," \
	" count(*) FILTER (WHERE kind NOT IN ('hard', 'soft', 'block', 'complaint', 'delayed'))," \
	" count(*)"

static int pg_report(struct bw_store *st, enum bw_report_by by, time_t since,
		     struct bw_report_row **v, size_t *n)
{
	static const char by_campaign[] = "SELECT campaign, " REPORT_COUNTS ","
		" coalesce((SELECT sent FROM campaign_sent s WHERE s.campaign = e.campaign"
		"  AND s.account = ''), (SELECT sum(sent) FROM campaign_sent s"
		"  WHERE s.campaign = e.campaign), -1)"
		" FROM events e WHERE time >= $1 GROUP BY campaign ORDER BY campaign COLLATE \"C\"";
#define DOMAIN_EXPR "lower(substr(recipient, strpos(recipient, '@') + 1))"
	static const char by_domain[] = "SELECT " DOMAIN_EXPR ", " REPORT_COUNTS ", -1"
		" FROM events WHERE time >= $1 GROUP BY " DOMAIN_EXPR
		" ORDER BY " DOMAIN_EXPR " COLLATE \"C\"";
	static const char by_reason[] = "SELECT reason, " REPORT_COUNTS ", -1"
		" FROM events WHERE time >= $1 GROUP BY reason"
		" ORDER BY count(*) DESC, reason COLLATE \"C\"";
	static const char by_account[] = "SELECT account, " REPORT_COUNTS ", -1"
		" FROM events WHERE time >= $1 GROUP BY account ORDER BY account COLLATE \"C\"";
	const char *sql = by == BW_BY_DOMAIN ? by_domain : by == BW_BY_REASON ? by_reason :
		by == BW_BY_ACCOUNT ? by_account : by_campaign;
	struct args a = { 0 };
	size_t cap = 0;
	*v = NULL;
	*n = 0;
	a_int(&a, since);
	PGresult *r = q(st, sql, &a, "report");
	if (!r)
		return -1;
	for (int i = 0; i < PQntuples(r); i++) {
		struct bw_report_row *rr = push((void **)v, n, &cap, sizeof **v);
		c_text(r, i, 0, rr->key, sizeof rr->key);
		rr->hard = (unsigned)c_int(r, i, 1);
		rr->soft = (unsigned)c_int(r, i, 2);
		rr->block = (unsigned)c_int(r, i, 3);
		rr->complaint = (unsigned)c_int(r, i, 4);
		rr->delayed = (unsigned)c_int(r, i, 5);
		rr->other = (unsigned)c_int(r, i, 6);
		rr->total = (unsigned)c_int(r, i, 7);
		rr->sent = c_int(r, i, 8);
	}
	PQclear(r);
	return 0;
}

/* ---------------------------------------------------------------- instances, leases */

static int pg_instance_beat(struct bw_store *st, const struct bw_instance *self, time_t now)
{
	static const char sql[] = "INSERT INTO instances (id, host, pid, started, heartbeat)"
		" VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET heartbeat = $5";
	static const char prune[] = "DELETE FROM instances WHERE heartbeat < $1";
	struct args a = { 0 };
	a_text(&a, self->id);
	a_text(&a, self->host);
	a_int(&a, self->pid);
	a_int(&a, self->started);
	a_int(&a, now);
	if (w(st, sql, &a, "instance beat") < 0)
		return -1;
	a_int(&a, now - 3600);
	return w(st, prune, &a, "instance prune") < 0 ? -1 : 0;
}

static int pg_instance_leave(struct bw_store *st, const char *id)
{
	static const char rel[] = "UPDATE leases SET holder = '', expires = 0 WHERE holder = $1";
	static const char del[] = "DELETE FROM instances WHERE id = $1";
	struct args a = { 0 };
	a_text(&a, id);
	if (w(st, rel, &a, "instance leave") < 0)
		return -1;
	a_text(&a, id);
	return w(st, del, &a, "instance leave") < 0 ? -1 : 0;
}

static int pg_instance_list(struct bw_store *st, struct bw_instance **v, size_t *n)
{
	static const char sql[] = "SELECT i.id, i.host, i.pid, i.started, i.heartbeat,"
		" (SELECT count(*) FROM leases l WHERE l.holder = i.id AND l.expires > $1)"
		" FROM instances i ORDER BY i.id COLLATE \"C\"";
	struct args a = { 0 };
	size_t cap = 0;
	*v = NULL;
	*n = 0;
	a_int(&a, (int64_t)time(NULL));
	PGresult *r = q(st, sql, &a, "instances");
	if (!r)
		return -1;
	for (int i = 0; i < PQntuples(r); i++) {
		struct bw_instance *in = push((void **)v, n, &cap, sizeof **v);
		c_text(r, i, 0, in->id, sizeof in->id);
		c_text(r, i, 1, in->host, sizeof in->host);
		in->pid = c_int(r, i, 2);
		in->started = (time_t)c_int(r, i, 3);
		in->heartbeat = (time_t)c_int(r, i, 4);
		in->leases = (unsigned)c_int(r, i, 5);
	}
	PQclear(r);
	return 0;
}

static int pg_lease_take(struct bw_store *st, const char *id, const char *account,
			 const char *folder, time_t now, time_t until)
{
	/* the conditional update runs on the latest row version: of several
	 * instances taking a free lease at once, one wins */
	static const char sql[] = "INSERT INTO leases (account, folder, holder, expires)"
		" VALUES ($1, $2, $3, $5) ON CONFLICT (account, folder) DO UPDATE SET"
		" holder = excluded.holder, expires = excluded.expires"
		" WHERE leases.holder = excluded.holder OR leases.holder = ''"
		" OR leases.expires <= $4";
	struct args a = { 0 };
	a_text(&a, account);
	a_text(&a, folder);
	a_text(&a, id);
	a_int(&a, now);
	a_int(&a, until);
	long n = w(st, sql, &a, "lease take");
	return n < 0 ? -1 : n == 1;
}

static int pg_lease_release(struct bw_store *st, const char *id, const char *account,
			    const char *folder)
{
	static const char sql[] = "UPDATE leases SET holder = '', expires = 0"
		" WHERE account = $1 AND folder = $2 AND holder = $3";
	struct args a = { 0 };
	a_text(&a, account);
	a_text(&a, folder);
	a_text(&a, id);
	return w(st, sql, &a, "lease release") < 0 ? -1 : 0;
}

static int pg_lease_list(struct bw_store *st, struct bw_lease **v, size_t *n)
{
	static const char sql[] = "SELECT account, folder, holder, expires FROM leases"
		" ORDER BY account COLLATE \"C\", folder COLLATE \"C\"";
	struct args a = { 0 };
	size_t cap = 0;
	*v = NULL;
	*n = 0;
	PGresult *r = q(st, sql, &a, "leases");
	if (!r)
		return -1;
	for (int i = 0; i < PQntuples(r); i++) {
		struct bw_lease *l = push((void **)v, n, &cap, sizeof **v);
		c_text(r, i, 0, l->account, sizeof l->account);
		c_text(r, i, 1, l->folder, sizeof l->folder);
		c_text(r, i, 2, l->holder, sizeof l->holder);
		l->expires = (time_t)c_int(r, i, 3);
	}
	PQclear(r);
	return 0;
}

/* ---------------------------------------------------------------- the backend */

static const struct bw_store_ops pg_ops = {
	.backend = "postgresql",
	.shared = true,
	.close = pg_close,
#define PG_OP(ret, fn, params, args) .fn = pg_##fn,
	BW_STORE_OPS(PG_OP)
#undef PG_OP
};
