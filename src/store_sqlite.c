/*
 * store_sqlite.c - the state store on SQLite (WAL), behind store.h.
 *
 * One connection per struct bw_store.  Prepared statements are cached by the
 * address of their (static) SQL text.  Every value goes through a bound
 * parameter: no SQL is ever built from input.  Schema changes are versioned
 * migrations (table schema_version), applied in one transaction at open, so
 * two processes opening the same file at once migrate it once.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store.h"
#include "store_p.h"
#include "util.h"

#define STMT_CACHE 96
#define SQ_CHECKPOINT_PAGES "4096"     /* wal_autocheckpoint */

struct sq_store {
	struct bw_store base;        /* first: err, fail_after, ops */
	sqlite3 *db;                 /* owned */
	struct {
		const char *sql;     /* borrowed: a string literal */
		sqlite3_stmt *stmt;  /* owned */
	} cache[STMT_CACHE];
};

#define SQ(st) ((struct sq_store *)(st))

static void sq_close(struct bw_store *st);

/* ---------------------------------------------------------------- schema */

/* migrations[i] takes the schema from version i to version i + 1. */
static const char *const migrations[] = {
	/* 1: the base schema */
	"CREATE TABLE folders ("
	"  account TEXT NOT NULL, folder TEXT NOT NULL,"
	"  uidvalidity INTEGER NOT NULL, last_uid INTEGER NOT NULL,"
	"  PRIMARY KEY (account, folder));"
	"CREATE TABLE processed ("
	"  id INTEGER PRIMARY KEY, account TEXT NOT NULL, folder TEXT NOT NULL,"
	"  uidvalidity INTEGER NOT NULL, uid INTEGER NOT NULL,"
	"  content_key TEXT NOT NULL, verdict TEXT NOT NULL, processed_at INTEGER NOT NULL);"
	"CREATE UNIQUE INDEX processed_uid ON processed (account, folder, uidvalidity, uid)"
	"  WHERE uid <> 0;"
	"CREATE UNIQUE INDEX processed_key ON processed (account, content_key);"
	"CREATE TABLE events ("
	"  id INTEGER PRIMARY KEY, msg_id INTEGER, account TEXT NOT NULL,"
	"  recipient TEXT NOT NULL, kind TEXT NOT NULL, reason TEXT NOT NULL,"
	"  hard INTEGER NOT NULL, status TEXT NOT NULL, reply_code TEXT NOT NULL,"
	"  action TEXT NOT NULL, diagnostic TEXT NOT NULL, remote_mta TEXT NOT NULL,"
	"  reporting_mta TEXT NOT NULL, feedback_type TEXT NOT NULL, detector TEXT NOT NULL,"
	"  matched TEXT NOT NULL, orig_message_id TEXT NOT NULL, orig_subject TEXT NOT NULL,"
	"  orig_from TEXT NOT NULL, orig_to TEXT NOT NULL, campaign TEXT NOT NULL,"
	"  time INTEGER NOT NULL, unverified INTEGER NOT NULL);"
	"CREATE INDEX events_recipient ON events (recipient);"
	"CREATE INDEX events_time ON events (time);"
	"CREATE TABLE addresses ("
	"  account TEXT NOT NULL, address TEXT NOT NULL, status INTEGER NOT NULL,"
	"  soft_total INTEGER NOT NULL, hard_total INTEGER NOT NULL,"
	"  nocamp_streak INTEGER NOT NULL, campaign_streak INTEGER NOT NULL,"
	"  last_campaign_seq INTEGER NOT NULL, first_soft INTEGER NOT NULL,"
	"  last_soft INTEGER NOT NULL, first_mailboxfull INTEGER NOT NULL,"
	"  last_success INTEGER NOT NULL, last_event INTEGER NOT NULL, events INTEGER NOT NULL,"
	"  PRIMARY KEY (account, address));"
	"CREATE INDEX addresses_address ON addresses (address);"
	"CREATE TABLE suppressions ("
	"  address TEXT NOT NULL, scope TEXT NOT NULL, account TEXT NOT NULL,"
	"  reason TEXT NOT NULL, detail TEXT NOT NULL, created INTEGER NOT NULL,"
	"  event_id INTEGER NOT NULL, PRIMARY KEY (address, account));"
	"CREATE TABLE deferrals ("
	"  address TEXT NOT NULL, scope TEXT NOT NULL, account TEXT NOT NULL,"
	"  reason TEXT NOT NULL, detail TEXT NOT NULL, created INTEGER NOT NULL,"
	"  event_id INTEGER NOT NULL, PRIMARY KEY (address, account));"
	"CREATE TABLE campaigns ("
	"  account TEXT NOT NULL, campaign TEXT NOT NULL, seq INTEGER NOT NULL,"
	"  first_seen INTEGER NOT NULL, hard INTEGER NOT NULL, soft INTEGER NOT NULL,"
	"  block INTEGER NOT NULL, complaint INTEGER NOT NULL, total INTEGER NOT NULL,"
	"  hard_alerted INTEGER NOT NULL, soft_alerted INTEGER NOT NULL,"
	"  PRIMARY KEY (account, campaign));"
	"CREATE TABLE decisions ("
	"  id INTEGER PRIMARY KEY, event_id INTEGER NOT NULL, type TEXT NOT NULL,"
	"  address TEXT NOT NULL, reason TEXT NOT NULL, scope TEXT NOT NULL,"
	"  account TEXT NOT NULL, campaign TEXT NOT NULL, detail TEXT NOT NULL,"
	"  time INTEGER NOT NULL);"
	"CREATE INDEX decisions_address ON decisions (address);"
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY, webhook_id TEXT NOT NULL UNIQUE, hook TEXT NOT NULL,"
	"  event TEXT NOT NULL, payload TEXT NOT NULL, state INTEGER NOT NULL,"
	"  attempts INTEGER NOT NULL, created INTEGER NOT NULL,"
	"  next_attempt INTEGER NOT NULL, last_error TEXT NOT NULL);",

	/* 2: sent counts per campaign (for the rate alerts), a due-rows index */
	"CREATE TABLE campaign_sent ("
	"  campaign TEXT NOT NULL, account TEXT NOT NULL, sent INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL, PRIMARY KEY (campaign, account));"
	"CREATE INDEX outbox_due ON outbox (state, next_attempt);",

	/* 3: instances and their leases on (account, folder) */
	"CREATE TABLE instances ("
	"  id TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL,"
	"  started INTEGER NOT NULL, heartbeat INTEGER NOT NULL);"
	"CREATE TABLE leases ("
	"  account TEXT NOT NULL, folder TEXT NOT NULL, holder TEXT NOT NULL,"
	"  expires INTEGER NOT NULL, PRIMARY KEY (account, folder));",

	/* 4: the content key is unique through its 16-byte digest (store_key16),
	 * not its text: the text index took a page write per message */
	"ALTER TABLE processed ADD COLUMN key16 BLOB;"
	"UPDATE processed SET key16 = bw_key16(content_key) WHERE content_key <> '';"
	"DROP INDEX processed_key;"
	"CREATE UNIQUE INDEX processed_key16 ON processed (account, key16);",
};

/* ---------------------------------------------------------------- helpers */

static int fail(struct bw_store *st, const char *what)
{
	snprintf(st->err, sizeof st->err, "%s: %s", what, sqlite3_errmsg(SQ(st)->db));
	return -1;
}

/* A cached prepared statement for sql (a literal), reset and unbound; NULL
 * with st->err set on failure. */
static sqlite3_stmt *prep(struct bw_store *st, const char *sql)
{
	size_t i;
	for (i = 0; i < STMT_CACHE && SQ(st)->cache[i].sql; i++) {
		if (SQ(st)->cache[i].sql == sql) {
			sqlite3_reset(SQ(st)->cache[i].stmt);
			sqlite3_clear_bindings(SQ(st)->cache[i].stmt);
			return SQ(st)->cache[i].stmt;
		}
	}
	sqlite3_stmt *stmt = NULL;
	if (sqlite3_prepare_v2(SQ(st)->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		fail(st, "prepare");
		return NULL;
	}
	if (i >= STMT_CACHE) {
		/* STMT_CACHE is sized above the number of statements here */
		sqlite3_finalize(stmt);
		snprintf(st->err, sizeof st->err, "statement cache full");
		return NULL;
	}
	SQ(st)->cache[i].sql = sql;
	SQ(st)->cache[i].stmt = stmt;
	return stmt;
}

/* v is not copied (SQLITE_STATIC): every statement is stepped and reset
 * within the call that binds it, while its arguments live. */
static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	sqlite3_bind_text(s, i, v ? v : "", -1, SQLITE_STATIC);
}

static void bind_int(sqlite3_stmt *s, int i, int64_t v)
{
	sqlite3_bind_int64(s, i, v);
}

/* The index key of content_key (store_key16), NULL for "" (no key); k is
 * the caller's buffer, not copied (see bind_text). */
static void bind_key16(sqlite3_stmt *s, int i, const char *content_key, uint8_t k[BW_KEY16_LEN])
{
	if (!content_key || !*content_key) {
		sqlite3_bind_null(s, i);
		return;
	}
	store_key16(content_key, k);
	sqlite3_bind_blob(s, i, k, BW_KEY16_LEN, SQLITE_STATIC);
}

/* Step a statement that returns no rows.  Counts writes for fault injection. */
static int run(struct bw_store *st, sqlite3_stmt *s, const char *what)
{
	if (st->fail_after > 0 && --st->fail_after == 0) {
		sqlite3_reset(s);
		snprintf(st->err, sizeof st->err, "%s: injected failure", what);
		return -1;
	}
	int rc = sqlite3_step(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		fail(st, what);
		sqlite3_reset(s);
		return -1;
	}
	sqlite3_reset(s);
	return 0;
}

/* Step a query: 1 = a row is ready, 0 = done, -1 = error. */
static int row(struct bw_store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE) {
		sqlite3_reset(s);
		return 0;
	}
	fail(st, what);
	sqlite3_reset(s);
	return -1;
}

static void col_text(sqlite3_stmt *s, int i, char *dst, size_t dstsz)
{
	const unsigned char *v = sqlite3_column_text(s, i);
	size_t n = v ? (size_t)sqlite3_column_bytes(s, i) : 0;
	if (n >= dstsz)
		n = dstsz - 1;
	if (n)
		memcpy(dst, v, n);
	dst[n] = '\0';
}

static int64_t col_int(sqlite3_stmt *s, int i)
{
	return sqlite3_column_int64(s, i);
}

static int exec(struct bw_store *st, const char *sql, const char *what)
{
	char *msg = NULL;
	if (sqlite3_exec(SQ(st)->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(st->err, sizeof st->err, "%s: %s", what, msg ? msg : "?");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* Grow *v (of elements of size sz) to hold one more; returns the new slot,
 * zeroed. */
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

/* ---------------------------------------------------------------- open */

static int schema_version(struct bw_store *st, int *version)
{
	*version = 0;
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(SQ(st)->db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
			       " AND name = 'schema_version'", -1, &s, NULL) != SQLITE_OK)
		return fail(st, "schema");
	int exists = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) > 0;
	sqlite3_finalize(s);
	if (!exists)
		return 0;
	if (sqlite3_prepare_v2(SQ(st)->db, "SELECT max(version) FROM schema_version", -1, &s,
			       NULL) != SQLITE_OK)
		return fail(st, "schema version");
	if (sqlite3_step(s) == SQLITE_ROW)
		*version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return 0;
}

/* Apply migrations up to max_version in one IMMEDIATE transaction. */
static int migrate(struct bw_store *st, int max_version)
{
	int version;
	if (exec(st, "BEGIN IMMEDIATE", "migrate") < 0)
		return -1;
	if (schema_version(st, &version) < 0)
		goto bad;
	if (version > (int)ARRAY_LEN(migrations)) {
		snprintf(st->err, sizeof st->err,
			 "state schema version %d is newer than this program (%d)", version,
			 (int)ARRAY_LEN(migrations));
		goto bad;
	}
	if (version == 0 && exec(st, "CREATE TABLE schema_version (version INTEGER NOT NULL,"
				 " applied INTEGER NOT NULL)", "migrate") < 0)
		goto bad;
	for (int v = version; v < max_version && v < (int)ARRAY_LEN(migrations); v++) {
		char what[32];
		snprintf(what, sizeof what, "migration %d", v + 1);
		if (exec(st, migrations[v], what) < 0)
			goto bad;
		sqlite3_stmt *s = NULL;
		if (sqlite3_prepare_v2(SQ(st)->db, "INSERT INTO schema_version VALUES (?, strftime('%s','now'))",
				       -1, &s, NULL) != SQLITE_OK) {
			fail(st, what);
			goto bad;
		}
		sqlite3_bind_int(s, 1, v + 1);
		int rc = sqlite3_step(s);
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE) {
			fail(st, what);
			goto bad;
		}
	}
	return exec(st, "COMMIT", "migrate");
bad:
	sqlite3_exec(SQ(st)->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static const struct bw_store_ops sq_ops;

/* SQL function bw_key16(text): store_key16() of its argument (migration 4). */
static void sq_key16_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	uint8_t k[BW_KEY16_LEN];
	const unsigned char *t = argc == 1 ? sqlite3_value_text(argv[0]) : NULL;
	if (!t) {
		sqlite3_result_null(ctx);
		return;
	}
	store_key16((const char *)t, k);
	sqlite3_result_blob(ctx, k, BW_KEY16_LEN, SQLITE_TRANSIENT);
}

/* Before SQLite's first use in the process: no memory statistics (they
 * take a global mutex on every allocation; nothing here reads them). */
static void sq_configure(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

struct bw_store *store_sqlite_open(const char *spec, int max_version, char *err, size_t errsz)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, sq_configure);
	struct sq_store *q = xcalloc(1, sizeof *q);
	struct bw_store *st = &q->base;
	st->ops = &sq_ops;
	int rc = sqlite3_open_v2(spec, &SQ(st)->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				 SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errsz, "%s: %s", spec, SQ(st)->db ? sqlite3_errmsg(SQ(st)->db) : "cannot open");
		sq_close(st);
		return NULL;
	}
	sqlite3_busy_timeout(SQ(st)->db, 10000);
	if (sqlite3_create_function(SQ(st)->db, "bw_key16", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
				    NULL, sq_key16_fn, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errsz, "%s: %s", spec, sqlite3_errmsg(SQ(st)->db));
		sq_close(st);
		return NULL;
	}
	/* WAL: readers (the CLI) never block the daemon; FULL: a commit is on
	 * disk before the IMAP post-action deletes or moves the message.  A
	 * checkpoint every 4,096 pages (16 MB of WAL), not 1,000: a page
	 * written by several commits in between is copied once (the content
	 * key index is written all over) */
	if (exec(st, "PRAGMA journal_mode = WAL", "wal") < 0 ||
	    exec(st, "PRAGMA synchronous = FULL", "synchronous") < 0 ||
	    exec(st, "PRAGMA wal_autocheckpoint = " SQ_CHECKPOINT_PAGES, "checkpoint") < 0 ||
	    migrate(st, max_version) < 0) {
		snprintf(err, errsz, "%s: %s", spec, st->err);
		sq_close(st);
		return NULL;
	}
	return st;
}

static void sq_close(struct bw_store *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < STMT_CACHE && SQ(st)->cache[i].sql; i++)
		sqlite3_finalize(SQ(st)->cache[i].stmt);
	sqlite3_close(SQ(st)->db);
	free(SQ(st));
}

static int sq_schema_version(struct bw_store *st)
{
	int v;
	return schema_version(st, &v) < 0 ? -1 : v;
}

static int sq_test_exec(struct bw_store *st, const char *sql)
{
	return exec(st, sql, "exec");
}

static long sq_test_count(struct bw_store *st, const char *sql)
{
	sqlite3_stmt *s = NULL;
	long n = -1;
	if (sqlite3_prepare_v2(SQ(st)->db, sql, -1, &s, NULL) != SQLITE_OK)
		return fail(st, "count");
	if (sqlite3_step(s) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

/* ---------------------------------------------------------------- transactions */

static int sq_begin(struct bw_store *st)
{
	/* IMMEDIATE: take the write lock now, so a second writer waits (busy
	 * timeout) instead of failing half-way through a message. */
	return exec(st, "BEGIN IMMEDIATE", "begin");
}

static int sq_commit(struct bw_store *st)
{
	return exec(st, "COMMIT", "commit");
}

static int sq_rollback(struct bw_store *st)
{
	if (sqlite3_get_autocommit(SQ(st)->db))
		return 0;    /* nothing open (SQLite may have rolled back itself) */
	return exec(st, "ROLLBACK", "rollback");
}

/* ---------------------------------------------------------------- folders */

static int sq_folder_get(struct bw_store *st, const char *account, const char *folder,
		     struct bw_folder_state *fs)
{
	static const char sql[] =
		"SELECT uidvalidity, last_uid FROM folders WHERE account = ? AND folder = ?";
	memset(fs, 0, sizeof *fs);
	sqlite3_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	bind_text(s, 1, account);
	bind_text(s, 2, folder);
	int r = row(st, s, "folder get");
	if (r <= 0)
		return r < 0 ? -1 : 1;
	fs->uidvalidity = (uint32_t)col_int(s, 0);
	fs->last_uid = (uint32_t)col_int(s, 1);
	sqlite3_reset(s);
	return 0;
}

static int sq_folder_set(struct bw_store *st, const char *account, const char *folder,
		     const struct bw_folder_state *fs)
{
	static const char sql[] =
		"INSERT INTO folders (account, folder, uidvalidity, last_uid) VALUES (?, ?, ?, ?)"
		" ON CONFLICT (account, folder) DO UPDATE SET uidvalidity = excluded.uidvalidity,"
		" last_uid = excluded.last_uid";
	sqlite3_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	bind_text(s, 1, account);
	bind_text(s, 2, folder);
	bind_int(s, 3, fs->uidvalidity);
	bind_int(s, 4, fs->last_uid);
	return run(st, s, "folder set");
}

/* ---------------------------------------------------------------- processed */

static int sq_is_processed(struct bw_store *st, const char *account, const char *folder,
		       uint32_t uidvalidity, uint32_t uid, const char *content_key)
{
	static const char sql[] =
		"SELECT 1 FROM processed WHERE account = ?1 AND ((uid <> 0 AND uid = ?4"
		" AND folder = ?2 AND uidvalidity = ?3) OR key16 = ?5) LIMIT 1";
	uint8_t k[BW_KEY16_LEN];
	sqlite3_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	bind_text(s, 1, account);
	bind_text(s, 2, folder);
	bind_int(s, 3, uidvalidity);
	bind_int(s, 4, uid);
	bind_key16(s, 5, content_key, k);
	int r = row(st, s, "processed");
	if (r == 1)
		sqlite3_reset(s);
	return r;
}

static int sq_mark_processed(struct bw_store *st, const char *account, const char *folder,
			 uint32_t uidvalidity, uint32_t uid, const char *content_key,
			 const char *verdict, time_t now, int64_t *msg_id)
{
	static const char sql[] =
		"INSERT INTO processed (account, folder, uidvalidity, uid, content_key, verdict,"
		" processed_at, key16) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";
	uint8_t k[BW_KEY16_LEN];
	sqlite3_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	bind_text(s, 1, account);
	bind_text(s, 2, folder);
	bind_int(s, 3, uidvalidity);
	bind_int(s, 4, uid);
	bind_text(s, 5, content_key);
	bind_text(s, 6, verdict);
	bind_int(s, 7, now);
	bind_key16(s, 8, content_key, k);
	if (run(st, s, "mark processed") < 0)
		return -1;
	if (sqlite3_changes(SQ(st)->db) == 0)
		return 1;     /* already there */
	if (msg_id)
		*msg_id = sqlite3_last_insert_rowid(SQ(st)->db);
	return 0;
}

/* ---------------------------------------------------------------- outbox */

#define OUTBOX_COLS "id, webhook_id, hook, event, payload, state, attempts, created," \
	" next_attempt, last_error"

static void outbox_from_row(sqlite3_stmt *s, struct bw_outbox_row *r)
{
	memset(r, 0, sizeof *r);
	r->id = col_int(s, 0);
	col_text(s, 1, r->webhook_id, sizeof r->webhook_id);
	col_text(s, 2, r->hook, sizeof r->hook);
	col_text(s, 3, r->event, sizeof r->event);
	const unsigned char *p = sqlite3_column_text(s, 4);
	r->payload = xstrndup(p ? (const char *)p : "", p ? (size_t)sqlite3_column_bytes(s, 4) : 0);
	int64_t state = col_int(s, 5);
	r->state = state >= BW_OUTBOX_PENDING && state <= BW_OUTBOX_DEAD ?
		(enum bw_outbox_state)state : BW_OUTBOX_DEAD;
	r->attempts = (unsigned)col_int(s, 6);
	r->created = (time_t)col_int(s, 7);
	r->next_attempt = (time_t)col_int(s, 8);
	col_text(s, 9, r->last_error, sizeof r->last_error);
}

/* Read every row of a prepared, bound query into a malloc'd array. */
static int outbox_rows(struct bw_store *st, sqlite3_stmt *s, struct bw_outbox_row **rows,
		       size_t *n)
{
	size_t cap = 0;
	int r;
	*rows = NULL;
	*n = 0;
	while ((r = row(st, s, "outbox read")) == 1)
		outbox_from_row(s, push((void **)rows, n, &cap, sizeof **rows));
	if (r < 0) {
		store_outbox_rows_free(*rows, *n);
		*rows = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

static int sq_outbox_add(struct bw_store *st, struct bw_outbox_row *row_)
{
	static const char ins[] =
		"INSERT INTO outbox (webhook_id, hook, event, payload, state, attempts, created,"
		" next_attempt, last_error) VALUES (?, ?, ?, ?, 0, 0, ?, ?, '')"
		" ON CONFLICT (webhook_id) DO NOTHING";
	static const char find[] = "SELECT id FROM outbox WHERE webhook_id = ?";
	sqlite3_stmt *s = prep(st, ins);
	if (!s)
		return -1;
	bind_text(s, 1, row_->webhook_id);
	bind_text(s, 2, row_->hook);
	bind_text(s, 3, row_->event);
	bind_text(s, 4, row_->payload ? row_->payload : "{}");
	bind_int(s, 5, row_->created);
	bind_int(s, 6, row_->created);
	if (run(st, s, "outbox add") < 0)
		return -1;
	if (sqlite3_changes(SQ(st)->db) == 1) {
		row_->id = sqlite3_last_insert_rowid(SQ(st)->db);
		row_->state = BW_OUTBOX_PENDING;
		row_->attempts = 0;
		row_->next_attempt = row_->created;
		return 0;
	}
	if (!(s = prep(st, find)))
		return -1;
	bind_text(s, 1, row_->webhook_id);
	if (row(st, s, "outbox add") == 1) {
		row_->id = col_int(s, 0);
		sqlite3_reset(s);
	}
	return 0;
}

static int sq_outbox_due(struct bw_store *st, time_t now, unsigned max,
		     struct bw_outbox_row **rows, size_t *n)
{
	static const char sql[] = "SELECT " OUTBOX_COLS " FROM outbox"
		" WHERE state = 0 AND next_attempt <= ? ORDER BY id LIMIT ?";
	sqlite3_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	bind_int(s, 1, now);
	bind_int(s, 2, max ? (int64_t)max : -1);
	return outbox_rows(st, s, rows, n);
}

static int sq_outbox_update(struct bw_store *st, const struct bw_outbox_row *r)
{
	static const char sql[] = "UPDATE outbox SET state = ?, attempts = ?, next_attempt = ?,"
		" last_error = ? WHERE id = ?";
	sqlite3_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	bind_int(s, 1, r->state);
	bind_int(s, 2, r->attempts);
	bind_int(s, 3, r->next_attempt);
	bind_text(s, 4, r->last_error);
	bind_int(s, 5, r->id);
	return run(st, s, "outbox update");
}

static int sq_outbox_list(struct bw_store *st, int state, unsigned max,
		      struct bw_outbox_row **rows, size_t *n)
{
	static const char sql[] = "SELECT " OUTBOX_COLS " FROM outbox"
		" WHERE ?1 < 0 OR state = ?1 ORDER BY id DESC LIMIT ?2";
	sqlite3_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	bind_int(s, 1, state);
	bind_int(s, 2, max ? (int64_t)max : -1);
	return outbox_rows(st, s, rows, n);
}

static int sq_outbox_retry(struct bw_store *st, int64_t id, time_t now)
{
	/* attempts restart at 0; created (the retry window's start, SPEC §6)
	 * is left as it was. */
	static const char sql[] = "UPDATE outbox SET state = 0, attempts = 0, next_attempt = ?1,"
		" last_error = '' WHERE state = 2 AND (?2 = 0 OR id = ?2)";
	sqlite3_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	bind_int(s, 1, now);
	bind_int(s, 2, id);
	if (run(st, s, "outbox retry") < 0)
		return -1;
	return sqlite3_changes(SQ(st)->db);
}

static int sq_outbox_purge(struct bw_store *st, bool with_dead)
{
	static const char sql[] = "DELETE FROM outbox WHERE state = 1 OR (?1 AND state = 2)";
	sqlite3_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	bind_int(s, 1, with_dead);
	if (run(st, s, "outbox purge") < 0)
		return -1;
	return sqlite3_changes(SQ(st)->db);
}

static int sq_outbox_count(struct bw_store *st, unsigned counts[3])
{
	static const char sql[] = "SELECT state, count(*) FROM outbox GROUP BY state";
	counts[0] = counts[1] = counts[2] = 0;
	sqlite3_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	int r;
	while ((r = row(st, s, "outbox count")) == 1) {
		int64_t state = col_int(s, 0);
		if (state >= 0 && state <= 2)
			counts[state] = (unsigned)col_int(s, 1);
	}
	return r;
}

/* ---------------------------------------------------------------- events */

#define EVENT_COLS "id, msg_id, account, recipient, kind, reason, hard, status, reply_code," \
	" action, diagnostic, remote_mta, reporting_mta, feedback_type, detector, matched," \
	" orig_message_id, orig_subject, orig_from, orig_to, campaign, time, unverified"

static int sq_event_add(struct bw_store *st, int64_t msg_id, const char *account,
		    const struct bw_event *ev, time_t t, int64_t *event_id)
{
	static const char sql[] = "INSERT INTO events (msg_id, account, recipient, kind, reason,"
		" hard, status, reply_code, action, diagnostic, remote_mta, reporting_mta,"
		" feedback_type, detector, matched, orig_message_id, orig_subject, orig_from,"
		" orig_to, campaign, time, unverified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
		" ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	int i = 1;
	bind_int(s, i++, msg_id);
	bind_text(s, i++, account);
	bind_text(s, i++, ev->recipient);
	bind_text(s, i++, bw_kind_name(ev->kind));
	bind_text(s, i++, bw_reason_name(ev->reason));
	bind_int(s, i++, ev->hard);
	bind_text(s, i++, ev->status);
	bind_text(s, i++, ev->reply_code);
	bind_text(s, i++, ev->action);
	bind_text(s, i++, ev->diagnostic);
	bind_text(s, i++, ev->remote_mta);
	bind_text(s, i++, ev->reporting_mta);
	bind_text(s, i++, ev->feedback_type);
	bind_text(s, i++, ev->detector);
	bind_text(s, i++, ev->matched);
	bind_text(s, i++, ev->original.message_id);
	bind_text(s, i++, ev->original.subject);
	bind_text(s, i++, ev->original.from);
	bind_text(s, i++, ev->original.to);
	bind_text(s, i++, ev->original.campaign);
	bind_int(s, i++, t);
	bind_int(s, i++, ev->unverified);
	if (run(st, s, "event add") < 0)
		return -1;
	if (event_id)
		*event_id = sqlite3_last_insert_rowid(SQ(st)->db);
	return 0;
}

static void event_from_row(sqlite3_stmt *s, struct bw_event_rec *r)
{
	struct bw_event *ev = &r->ev;
	char name[32];
	int i = 0, k;
	r->id = col_int(s, i++);
	r->msg_id = col_int(s, i++);
	col_text(s, i++, r->account, sizeof r->account);
	col_text(s, i++, ev->recipient, sizeof ev->recipient);
	col_text(s, i++, name, sizeof name);
	ev->kind = (k = bw_kind_from_name(name)) < 0 ? BW_KIND_UNKNOWN : (enum bw_kind)k;
	col_text(s, i++, name, sizeof name);
	ev->reason = (k = bw_reason_from_name(name)) < 0 ? BW_R_UNDEFINED : (enum bw_reason)k;
	ev->hard = col_int(s, i++) != 0;
	col_text(s, i++, ev->status, sizeof ev->status);
	col_text(s, i++, ev->reply_code, sizeof ev->reply_code);
	col_text(s, i++, ev->action, sizeof ev->action);
	col_text(s, i++, ev->diagnostic, sizeof ev->diagnostic);
	col_text(s, i++, ev->remote_mta, sizeof ev->remote_mta);
	col_text(s, i++, ev->reporting_mta, sizeof ev->reporting_mta);
	col_text(s, i++, ev->feedback_type, sizeof ev->feedback_type);
	col_text(s, i++, ev->detector, sizeof ev->detector);
	col_text(s, i++, ev->matched, sizeof ev->matched);
	col_text(s, i++, ev->original.message_id, sizeof ev->original.message_id);
	col_text(s, i++, ev->original.subject, sizeof ev->original.subject);
	col_text(s, i++, ev->original.from, sizeof ev->original.from);
	col_text(s, i++, ev->original.to, sizeof ev->original.to);
	col_text(s, i++, ev->original.campaign, sizeof ev->original.campaign);
	r->time = ev->time = (time_t)col_int(s, i++);
	ev->unverified = col_int(s, i++) != 0;
}

static int sq_events_for(struct bw_store *st, const char *address, unsigned max,
		     struct bw_event_rec **recs, size_t *n)
{
	static const char sql[] = "SELECT " EVENT_COLS " FROM events WHERE recipient = ?"
		" ORDER BY time, id LIMIT ?";
	size_t cap = 0;
	int r;
	*recs = NULL;
	*n = 0;
	sqlite3_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	bind_text(s, 1, address);
	bind_int(s, 2, max ? (int64_t)max : -1);
	while ((r = row(st, s, "events")) == 1)
		event_from_row(s, push((void **)recs, n, &cap, sizeof **recs));
	return r;
}

/* ---------------------------------------------------------------- addresses */

#define ADDR_COLS "account, address, status, soft_total, hard_total, nocamp_streak," \
	" campaign_streak, last_campaign_seq, first_soft, last_soft, first_mailboxfull," \
	" last_success, last_event, events"

#define ADDR_COLS_A "a.account, a.address, a.status, a.soft_total, a.hard_total," \
	" a.nocamp_streak, a.campaign_streak, a.last_campaign_seq, a.first_soft, a.last_soft," \
	" a.first_mailboxfull, a.last_success, a.last_event, a.events"

/* The ADDR_COLS of a row, from column i on. */
static void address_from_cols(sqlite3_stmt *s, int i, struct bw_address_state *as)
{
	col_text(s, i++, as->account, sizeof as->account);
	col_text(s, i++, as->address, sizeof as->address);
	int64_t status = col_int(s, i++);
	as->status = status >= 0 && status < BW_ADDR__COUNT ? (enum bw_addr_status)status : BW_ADDR_OK;
	as->soft_total = (unsigned)col_int(s, i++);
	as->hard_total = (unsigned)col_int(s, i++);
	as->nocamp_streak = (unsigned)col_int(s, i++);
	as->campaign_streak = (unsigned)col_int(s, i++);
	as->last_campaign_seq = col_int(s, i++);
	as->first_soft = (time_t)col_int(s, i++);
	as->last_soft = (time_t)col_int(s, i++);
	as->first_mailboxfull = (time_t)col_int(s, i++);
	as->last_success = (time_t)col_int(s, i++);
	as->last_event = (time_t)col_int(s, i++);
	as->events = (unsigned)col_int(s, i++);
}

static void address_from_row(sqlite3_stmt *s, struct bw_address_state *as)
{
	address_from_cols(s, 0, as);
}

/* Fill the list flags of as from the suppression and deferral lists. */
static int address_flags(struct bw_store *st, struct bw_address_state *as)
{
	static const char sql[] =
		"SELECT (SELECT count(*) FROM suppressions WHERE address = ?1 AND account = ?2"
		"        AND scope = 'account'),"
		"       (SELECT count(*) FROM suppressions WHERE address = ?1 AND scope = 'global'),"
		"       (SELECT count(*) FROM deferrals WHERE address = ?1 AND (account = ?2"
		"        OR scope = 'global'))";
	sqlite3_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	bind_text(s, 1, as->address);
	bind_text(s, 2, as->account);
	int r = row(st, s, "address flags");
	if (r <= 0)
		return r < 0 ? -1 : 0;
	as->suppressed = col_int(s, 0) > 0;
	as->suppressed_global = col_int(s, 1) > 0;
	as->deferred = col_int(s, 2) > 0;
	sqlite3_reset(s);
	return 0;
}

static int sq_address_get(struct bw_store *st, const char *account, const char *address,
		      struct bw_address_state *as)
{
	static const char sql[] = "SELECT " ADDR_COLS " FROM addresses"
		" WHERE account = ? AND address = ?";
	memset(as, 0, sizeof *as);
	bw_strlcpy(as->account, account, sizeof as->account);
	bw_strlcpy(as->address, address, sizeof as->address);
	sqlite3_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	bind_text(s, 1, account);
	bind_text(s, 2, address);
	int r = row(st, s, "address get");
	if (r < 0)
		return -1;
	if (r == 1) {
		address_from_row(s, as);
		sqlite3_reset(s);
	}
	if (address_flags(st, as) < 0)
		return -1;
	return r == 1 ? 0 : 1;
}

static int sq_address_load(struct bw_store *st, const char *account, const char *address,
			   struct bw_address_state *as, unsigned *hard_accounts)
{
	/* one row whether the address is known or not (a.account NULL) */
	static const char sql[] = "SELECT a.account IS NOT NULL, " ADDR_COLS_A ","
		" EXISTS (SELECT 1 FROM suppressions WHERE address = ?2 AND account = ?1"
		"  AND scope = 'account'),"
		" EXISTS (SELECT 1 FROM suppressions WHERE address = ?2 AND scope = 'global'),"
		" EXISTS (SELECT 1 FROM deferrals WHERE address = ?2 AND (account = ?1"
		"  OR scope = 'global')),"
		" (SELECT count(DISTINCT account) FROM addresses WHERE address = ?2"
		"  AND account <> ?1 AND hard_total > 0)"
		" FROM (SELECT 1) LEFT JOIN addresses a ON a.account = ?1 AND a.address = ?2";
	memset(as, 0, sizeof *as);
	*hard_accounts = 0;
	sqlite3_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	bind_text(s, 1, account);
	bind_text(s, 2, address);
	int r = row(st, s, "address load");
	if (r <= 0) {
		if (r == 0)
			snprintf(st->err, sizeof st->err, "address load: no row");
		return -1;
	}
	bool found = col_int(s, 0) != 0;
	if (found)
		address_from_cols(s, 1, as);
	bw_strlcpy(as->account, account, sizeof as->account);
	bw_strlcpy(as->address, address, sizeof as->address);
	as->suppressed = col_int(s, 15) != 0;
	as->suppressed_global = col_int(s, 16) != 0;
	as->deferred = col_int(s, 17) != 0;
	*hard_accounts = (unsigned)col_int(s, 18);
	sqlite3_reset(s);
	return found ? 0 : 1;
}

static int sq_address_put(struct bw_store *st, const struct bw_address_state *as)
{
	/* an upsert changes the row in place (REPLACE deletes it and inserts
	 * it again, index entries and all) */
	static const char sql[] = "INSERT INTO addresses (" ADDR_COLS ")"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
		" ON CONFLICT (account, address) DO UPDATE SET status = excluded.status,"
		" soft_total = excluded.soft_total, hard_total = excluded.hard_total,"
		" nocamp_streak = excluded.nocamp_streak, campaign_streak = excluded.campaign_streak,"
		" last_campaign_seq = excluded.last_campaign_seq, first_soft = excluded.first_soft,"
		" last_soft = excluded.last_soft, first_mailboxfull = excluded.first_mailboxfull,"
		" last_success = excluded.last_success, last_event = excluded.last_event,"
		" events = excluded.events";
	sqlite3_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	int i = 1;
	bind_text(s, i++, as->account);
	bind_text(s, i++, as->address);
	bind_int(s, i++, as->status);
	bind_int(s, i++, as->soft_total);
	bind_int(s, i++, as->hard_total);
	bind_int(s, i++, as->nocamp_streak);
	bind_int(s, i++, as->campaign_streak);
	bind_int(s, i++, as->last_campaign_seq);
	bind_int(s, i++, as->first_soft);
	bind_int(s, i++, as->last_soft);
	bind_int(s, i++, as->first_mailboxfull);
	bind_int(s, i++, as->last_success);
	bind_int(s, i++, as->last_event);
	bind_int(s, i++, as->events);
	return run(st, s, "address put");
}

static int sq_address_all(struct bw_store *st, const char *address,
		      struct bw_address_state **v, size_t *n)
{
	static const char sql[] = "SELECT " ADDR_COLS " FROM addresses WHERE address = ?"
		" ORDER BY account";
	size_t cap = 0;
	int r;
	*v = NULL;
	*n = 0;
	sqlite3_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	bind_text(s, 1, address);
	while ((r = row(st, s, "address all")) == 1)
		address_from_row(s, push((void **)v, n, &cap, sizeof **v));
	for (size_t i = 0; r == 0 && i < *n; i++)
		r = address_flags(st, &(*v)[i]);
	return r;
}

static int sq_hard_accounts(struct bw_store *st, const char *address, const char *except,
			unsigned *n)
{
	static const char sql[] = "SELECT count(DISTINCT account) FROM addresses"
		" WHERE address = ? AND account <> ? AND hard_total > 0";
	*n = 0;
	sqlite3_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	bind_text(s, 1, address);
	bind_text(s, 2, except);
	int r = row(st, s, "hard accounts");
	if (r == 1) {
		*n = (unsigned)col_int(s, 0);
		sqlite3_reset(s);
	}
	return r < 0 ? -1 : 0;
}

/* ---------------------------------------------------------------- lists */

static int listing_add(struct bw_store *st, const char *sql, const struct bw_listing *l)
{
	sqlite3_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	bind_text(s, 1, l->address);
	bind_text(s, 2, l->scope);
	bind_text(s, 3, strcmp(l->scope, "global") == 0 ? "" : l->account);
	bind_text(s, 4, l->reason);
	bind_text(s, 5, l->detail);
	bind_int(s, 6, l->created);
	bind_int(s, 7, l->event_id);
	if (run(st, s, "list add") < 0)
		return -1;
	return sqlite3_changes(SQ(st)->db) == 1 ? 0 : 1;
}

static int listing_remove(struct bw_store *st, const char *sql, const char *address,
			  const char *account, unsigned *removed)
{
	sqlite3_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	bind_text(s, 1, address);
	if (account)
		bind_text(s, 2, account);
	if (run(st, s, "list remove") < 0)
		return -1;
	if (removed)
		*removed = (unsigned)sqlite3_changes(SQ(st)->db);
	return 0;
}

static int listing_read(struct bw_store *st, const char *sql, const char *address,
			struct bw_listing **v, size_t *n)
{
	size_t cap = 0;
	int r;
	*v = NULL;
	*n = 0;
	sqlite3_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	if (address)
		bind_text(s, 1, address);
	while ((r = row(st, s, "list")) == 1) {
		struct bw_listing *l = push((void **)v, n, &cap, sizeof **v);
		col_text(s, 0, l->address, sizeof l->address);
		col_text(s, 1, l->scope, sizeof l->scope);
		col_text(s, 2, l->account, sizeof l->account);
		col_text(s, 3, l->reason, sizeof l->reason);
		col_text(s, 4, l->detail, sizeof l->detail);
		l->created = (time_t)col_int(s, 5);
		l->event_id = col_int(s, 6);
	}
	return r;
}

#define LIST_COLS "address, scope, account, reason, detail, created, event_id"

static int sq_suppress_add(struct bw_store *st, const struct bw_listing *l)
{
	static const char sql[] = "INSERT OR IGNORE INTO suppressions (" LIST_COLS ")"
		" VALUES (?, ?, ?, ?, ?, ?, ?)";
	return listing_add(st, sql, l);
}

static int sq_suppress_remove(struct bw_store *st, const char *address, const char *account,
			  unsigned *removed)
{
	static const char all[] = "DELETE FROM suppressions WHERE address = ?1";
	static const char one[] = "DELETE FROM suppressions WHERE address = ?1 AND account = ?2";
	return listing_remove(st, account ? one : all, address, account, removed);
}

static int sq_suppress_list(struct bw_store *st, const char *address,
			struct bw_listing **v, size_t *n)
{
	static const char all[] = "SELECT " LIST_COLS " FROM suppressions"
		" ORDER BY address, scope DESC, account";
	static const char one[] = "SELECT " LIST_COLS " FROM suppressions WHERE address = ?1"
		" ORDER BY address, scope DESC, account";
	return listing_read(st, address ? one : all, address, v, n);
}

static int sq_defer_add(struct bw_store *st, const struct bw_listing *l)
{
	static const char sql[] = "INSERT OR IGNORE INTO deferrals (" LIST_COLS ")"
		" VALUES (?, ?, ?, ?, ?, ?, ?)";
	return listing_add(st, sql, l);
}

static int sq_defer_remove(struct bw_store *st, const char *address, const char *account,
		       unsigned *removed)
{
	static const char all[] = "DELETE FROM deferrals WHERE address = ?1";
	static const char one[] = "DELETE FROM deferrals WHERE address = ?1 AND account = ?2";
	return listing_remove(st, account ? one : all, address, account, removed);
}

static int sq_defer_list(struct bw_store *st, const char *address,
		     struct bw_listing **v, size_t *n)
{
	static const char all[] = "SELECT " LIST_COLS " FROM deferrals"
		" ORDER BY address, scope DESC, account";
	static const char one[] = "SELECT " LIST_COLS " FROM deferrals WHERE address = ?1"
		" ORDER BY address, scope DESC, account";
	return listing_read(st, address ? one : all, address, v, n);
}

/* ---------------------------------------------------------------- campaigns */

/* The known sent count: the account's own, else the one for every account. */
#define SENT_EXPR(t) "coalesce((SELECT sent FROM campaign_sent s WHERE s.campaign = " t \
	".campaign AND s.account = " t ".account), (SELECT sent FROM campaign_sent s" \
	" WHERE s.campaign = " t ".campaign AND s.account = ''), -1)"
/* The columns campaign_from_row() reads, of table (or alias) t. */
#define CAMPAIGN_COLS_OF(t) t ".account, " t ".campaign, " t ".seq, " t ".first_seen, " \
	t ".hard, " t ".soft, " t ".block, " t ".complaint, " t ".total, " SENT_EXPR(t) ", " \
	t ".hard_alerted, " t ".soft_alerted"
#define CAMPAIGN_COLS CAMPAIGN_COLS_OF("c")

static void campaign_from_row(sqlite3_stmt *s, struct bw_campaign_stats *cs)
{
	int i = 0;
	col_text(s, i++, cs->account, sizeof cs->account);
	col_text(s, i++, cs->campaign, sizeof cs->campaign);
	cs->seq = col_int(s, i++);
	cs->first_seen = (time_t)col_int(s, i++);
	cs->hard = (unsigned)col_int(s, i++);
	cs->soft = (unsigned)col_int(s, i++);
	cs->block = (unsigned)col_int(s, i++);
	cs->complaint = (unsigned)col_int(s, i++);
	cs->total = (unsigned)col_int(s, i++);
	cs->sent = col_int(s, i++);
	cs->hard_alerted = col_int(s, i++) != 0;
	cs->soft_alerted = col_int(s, i++) != 0;
}

/* (account, campaign) into *cs: 0, 1 (not there) or -1. */
static int campaign_get(struct bw_store *st, const char *account, const char *campaign,
			struct bw_campaign_stats *cs)
{
	static const char get[] = "SELECT " CAMPAIGN_COLS " FROM campaigns c"
		" WHERE c.account = ? AND c.campaign = ?";
	sqlite3_stmt *s = prep(st, get);
	if (!s)
		return -1;
	bind_text(s, 1, account);
	bind_text(s, 2, campaign);
	int r = row(st, s, "campaign get");
	if (r != 1)
		return r < 0 ? -1 : 1;
	campaign_from_row(s, cs);
	sqlite3_reset(s);
	return 0;
}

static int sq_campaign_touch(struct bw_store *st, const char *account, const char *campaign,
			 time_t t, struct bw_campaign_stats *cs)
{
	static const char ins[] = "INSERT OR IGNORE INTO campaigns (account, campaign, seq,"
		" first_seen, hard, soft, block, complaint, total, hard_alerted, soft_alerted)"
		" VALUES (?1, ?2, (SELECT coalesce(max(seq), 0) + 1 FROM campaigns"
		" WHERE account = ?1), ?3, 0, 0, 0, 0, 0, 0, 0)";
	memset(cs, 0, sizeof *cs);
	/* known (the common case): one lookup; new: insert, then read back */
	int r = campaign_get(st, account, campaign, cs);
	if (r != 1)
		return r;
	sqlite3_stmt *s = prep(st, ins);
	if (!s)
		return -1;
	bind_text(s, 1, account);
	bind_text(s, 2, campaign);
	bind_int(s, 3, t);
	if (run(st, s, "campaign add") < 0 || (r = campaign_get(st, account, campaign, cs)) < 0)
		return -1;
	if (r == 1) {
		snprintf(st->err, sizeof st->err, "campaign get: row vanished");
		return -1;
	}
	return 0;
}

static int sq_campaign_put(struct bw_store *st, const struct bw_campaign_stats *cs);

static int sq_campaign_count(struct bw_store *st, const char *account, const char *campaign,
			     time_t t, const struct bw_campaign_stats *delta,
			     struct bw_campaign_stats *cs)
{
	/* a read and a write: SQLite's UPDATE ... RETURNING costs more than
	 * both (39K instructions against 19K) */
	if (sq_campaign_touch(st, account, campaign, t, cs) < 0)
		return -1;
	cs->hard += delta->hard;
	cs->soft += delta->soft;
	cs->block += delta->block;
	cs->complaint += delta->complaint;
	cs->total += delta->total;
	return sq_campaign_put(st, cs);
}

static int sq_campaign_put(struct bw_store *st, const struct bw_campaign_stats *cs)
{
	static const char sql[] = "UPDATE campaigns SET hard = ?, soft = ?, block = ?,"
		" complaint = ?, total = ?, hard_alerted = ?, soft_alerted = ?"
		" WHERE account = ? AND campaign = ?";
	sqlite3_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	int i = 1;
	bind_int(s, i++, cs->hard);
	bind_int(s, i++, cs->soft);
	bind_int(s, i++, cs->block);
	bind_int(s, i++, cs->complaint);
	bind_int(s, i++, cs->total);
	bind_int(s, i++, cs->hard_alerted);
	bind_int(s, i++, cs->soft_alerted);
	bind_text(s, i++, cs->account);
	bind_text(s, i++, cs->campaign);
	return run(st, s, "campaign put");
}

static int sq_campaign_set_sent(struct bw_store *st, const char *campaign, const char *account,
			    int64_t sent, time_t now)
{
	static const char sql[] = "INSERT INTO campaign_sent (campaign, account, sent, updated)"
		" VALUES (?, ?, ?, ?) ON CONFLICT (campaign, account) DO UPDATE SET"
		" sent = excluded.sent, updated = excluded.updated";
	sqlite3_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	bind_text(s, 1, campaign);
	bind_text(s, 2, account ? account : "");
	bind_int(s, 3, sent);
	bind_int(s, 4, now);
	return run(st, s, "campaign sent");
}

static int sq_campaign_list(struct bw_store *st, const char *campaign,
			struct bw_campaign_stats **v, size_t *n)
{
	static const char all[] = "SELECT " CAMPAIGN_COLS " FROM campaigns c"
		" ORDER BY c.account, c.seq";
	static const char one[] = "SELECT " CAMPAIGN_COLS " FROM campaigns c"
		" WHERE c.campaign = ?1 ORDER BY c.account, c.seq";
	size_t cap = 0;
	int r;
	*v = NULL;
	*n = 0;
	sqlite3_stmt *s = prep(st, campaign ? one : all);
	if (!s)
		return -1;
	if (campaign)
		bind_text(s, 1, campaign);
	while ((r = row(st, s, "campaigns")) == 1)
		campaign_from_row(s, push((void **)v, n, &cap, sizeof **v));
	return r;
}

/* ---------------------------------------------------------------- decisions */

static int sq_decision_add(struct bw_store *st, const struct bw_decision *d, int64_t event_id,
		       time_t t)
{
	static const char sql[] = "INSERT INTO decisions (event_id, type, address, reason, scope,"
		" account, campaign, detail, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	int i = 1;
	bind_int(s, i++, event_id);
	bind_text(s, i++, bw_decision_name(d->type));
	bind_text(s, i++, d->address);
	bind_text(s, i++, d->reason);
	bind_text(s, i++, d->scope);
	bind_text(s, i++, d->account);
	bind_text(s, i++, d->campaign);
	bind_text(s, i++, d->detail);
	bind_int(s, i++, t);
	return run(st, s, "decision add");
}

static int sq_decisions_for(struct bw_store *st, const char *address,
			struct bw_decision_rec **v, size_t *n)
{
	static const char sql[] = "SELECT id, event_id, type, address, reason, scope, account,"
		" campaign, detail, time FROM decisions WHERE address = ? ORDER BY time, id";
	size_t cap = 0;
	int r;
	*v = NULL;
	*n = 0;
	sqlite3_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	bind_text(s, 1, address);
	while ((r = row(st, s, "decisions")) == 1) {
		struct bw_decision_rec *d = push((void **)v, n, &cap, sizeof **v);
		char name[32];
		d->id = col_int(s, 0);
		d->event_id = col_int(s, 1);
		col_text(s, 2, name, sizeof name);
		int t = bw_decision_from_name(name);
		d->d.type = t < 0 ? BW_DEC_ALERT : (enum bw_decision_type)t;
		col_text(s, 3, d->d.address, sizeof d->d.address);
		col_text(s, 4, d->d.reason, sizeof d->d.reason);
		col_text(s, 5, d->d.scope, sizeof d->d.scope);
		col_text(s, 6, d->d.account, sizeof d->d.account);
		col_text(s, 7, d->d.campaign, sizeof d->d.campaign);
		col_text(s, 8, d->d.detail, sizeof d->d.detail);
		d->time = (time_t)col_int(s, 9);
	}
	return r;
}

/* ---------------------------------------------------------------- report */

#define REPORT_COUNTS "sum(kind = 'hard'), sum(kind = 'soft'), sum(kind = 'block')," \
	" sum(kind = 'complaint'), sum(kind = 'delayed')," \
	" sum(kind NOT IN ('hard', 'soft', 'block', 'complaint', 'delayed')), count(*)"

static int sq_report(struct bw_store *st, enum bw_report_by by, time_t since,
		 struct bw_report_row **v, size_t *n)
{
	/* One statement per grouping: the GROUP BY key is never built from input. */
	static const char by_campaign[] = "SELECT campaign, " REPORT_COUNTS ","
		" coalesce((SELECT sent FROM campaign_sent s WHERE s.campaign = e.campaign"
		"  AND s.account = ''), (SELECT sum(sent) FROM campaign_sent s"
		"  WHERE s.campaign = e.campaign), -1)"
		" FROM events e WHERE time >= ? GROUP BY campaign ORDER BY campaign";
	static const char by_domain[] = "SELECT lower(substr(recipient, instr(recipient, '@') + 1)) AS d, "
		REPORT_COUNTS ", -1 FROM events WHERE time >= ? GROUP BY d ORDER BY d";
	static const char by_reason[] = "SELECT reason, " REPORT_COUNTS ", -1"
		" FROM events WHERE time >= ? GROUP BY reason ORDER BY count(*) DESC, reason";
	static const char by_account[] = "SELECT account, " REPORT_COUNTS ", -1"
		" FROM events WHERE time >= ? GROUP BY account ORDER BY account";
	const char *sql = by == BW_BY_DOMAIN ? by_domain : by == BW_BY_REASON ? by_reason :
		by == BW_BY_ACCOUNT ? by_account : by_campaign;
	size_t cap = 0;
	int r;
	*v = NULL;
	*n = 0;
	sqlite3_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	bind_int(s, 1, since);
	while ((r = row(st, s, "report")) == 1) {
		struct bw_report_row *rr = push((void **)v, n, &cap, sizeof **v);
		col_text(s, 0, rr->key, sizeof rr->key);
		rr->hard = (unsigned)col_int(s, 1);
		rr->soft = (unsigned)col_int(s, 2);
		rr->block = (unsigned)col_int(s, 3);
		rr->complaint = (unsigned)col_int(s, 4);
		rr->delayed = (unsigned)col_int(s, 5);
		rr->other = (unsigned)col_int(s, 6);
		rr->total = (unsigned)col_int(s, 7);
		rr->sent = col_int(s, 8);
	}
	return r;
}

/* ---------------------------------------------------------------- address locks */

static int sq_lock_address(struct bw_store *st, const char *address)
{
	(void)st;
	(void)address;
	return 0;    /* BEGIN IMMEDIATE: one writer at a time already */
}

/* ---------------------------------------------------------------- outbox claims */

static int sq_outbox_claim(struct bw_store *st, int64_t id, time_t now, time_t until)
{
	static const char sql[] = "UPDATE outbox SET next_attempt = ?3"
		" WHERE id = ?1 AND state = 0 AND next_attempt <= ?2";
	sqlite3_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	bind_int(s, 1, id);
	bind_int(s, 2, now);
	bind_int(s, 3, until);
	if (run(st, s, "outbox claim") < 0)
		return -1;
	return sqlite3_changes(SQ(st)->db) == 1 ? 1 : 0;
}

/* ---------------------------------------------------------------- instances, leases */

static int sq_instance_beat(struct bw_store *st, const struct bw_instance *self, time_t now)
{
	static const char sql[] = "INSERT INTO instances (id, host, pid, started, heartbeat)"
		" VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (id) DO UPDATE SET heartbeat = ?5";
	static const char prune[] = "DELETE FROM instances WHERE heartbeat < ?";
	sqlite3_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	bind_text(s, 1, self->id);
	bind_text(s, 2, self->host);
	bind_int(s, 3, self->pid);
	bind_int(s, 4, self->started);
	bind_int(s, 5, now);
	if (run(st, s, "instance beat") < 0 || !(s = prep(st, prune)))
		return -1;
	bind_int(s, 1, now - 3600);
	return run(st, s, "instance prune");
}

static int sq_instance_leave(struct bw_store *st, const char *id)
{
	static const char rel[] = "UPDATE leases SET holder = '', expires = 0 WHERE holder = ?";
	static const char del[] = "DELETE FROM instances WHERE id = ?";
	sqlite3_stmt *s = prep(st, rel);
	if (!s)
		return -1;
	bind_text(s, 1, id);
	if (run(st, s, "instance leave") < 0 || !(s = prep(st, del)))
		return -1;
	bind_text(s, 1, id);
	return run(st, s, "instance leave");
}

static int sq_instance_list(struct bw_store *st, struct bw_instance **v, size_t *n)
{
	static const char sql[] = "SELECT i.id, i.host, i.pid, i.started, i.heartbeat,"
		" (SELECT count(*) FROM leases l WHERE l.holder = i.id AND l.expires > ?)"
		" FROM instances i ORDER BY i.id";
	size_t cap = 0;
	int r;
	*v = NULL;
	*n = 0;
	sqlite3_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	bind_int(s, 1, (int64_t)time(NULL));
	while ((r = row(st, s, "instances")) == 1) {
		struct bw_instance *in = push((void **)v, n, &cap, sizeof **v);
		col_text(s, 0, in->id, sizeof in->id);
		col_text(s, 1, in->host, sizeof in->host);
		in->pid = col_int(s, 2);
		in->started = (time_t)col_int(s, 3);
		in->heartbeat = (time_t)col_int(s, 4);
		in->leases = (unsigned)col_int(s, 5);
	}
	return r;
}

static int sq_lease_take(struct bw_store *st, const char *id, const char *account,
			 const char *folder, time_t now, time_t until)
{
	/* one instance per SQLite file: the lease is always ours */
	static const char sql[] = "INSERT INTO leases (account, folder, holder, expires)"
		" VALUES (?1, ?2, ?3, ?4) ON CONFLICT (account, folder) DO UPDATE SET"
		" holder = ?3, expires = ?4";
	(void)now;
	sqlite3_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	bind_text(s, 1, account);
	bind_text(s, 2, folder);
	bind_text(s, 3, id);
	bind_int(s, 4, until);
	return run(st, s, "lease take") < 0 ? -1 : 1;
}

static int sq_lease_release(struct bw_store *st, const char *id, const char *account,
			    const char *folder)
{
	static const char sql[] = "UPDATE leases SET holder = '', expires = 0"
		" WHERE account = ? AND folder = ? AND holder = ?";
	sqlite3_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	bind_text(s, 1, account);
	bind_text(s, 2, folder);
	bind_text(s, 3, id);
	return run(st, s, "lease release");
}

static int sq_lease_list(struct bw_store *st, struct bw_lease **v, size_t *n)
{
	static const char sql[] = "SELECT account, folder, holder, expires FROM leases"
		" ORDER BY account, folder";
	size_t cap = 0;
	int r;
	*v = NULL;
	*n = 0;
	sqlite3_stmt *s = prep(st, sql);
	if (!s)
		return -1;
	while ((r = row(st, s, "leases")) == 1) {
		struct bw_lease *l = push((void **)v, n, &cap, sizeof **v);
		col_text(s, 0, l->account, sizeof l->account);
		col_text(s, 1, l->folder, sizeof l->folder);
		col_text(s, 2, l->holder, sizeof l->holder);
		l->expires = (time_t)col_int(s, 3);
	}
	return r;
}

/* ---------------------------------------------------------------- the backend */

static const struct bw_store_ops sq_ops = {
	.backend = "sqlite",
	.shared = false,
	.close = sq_close,
#define SQ_OP(ret, fn, params, args) .fn = sq_##fn,
	BW_STORE_OPS(SQ_OP)
#undef SQ_OP
};
