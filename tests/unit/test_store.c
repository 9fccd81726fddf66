/*
 * test_store.c - the store on a temporary database: migrations, folders,
 * processed markers, outbox and claims, lists, campaigns, rollback, leases.
 *
 * SQLite by default; with BW_TEST_STATE set to a postgresql:// URL (see
 * tests/store-pg.sh) the same tests run against PostgreSQL, each on an
 * emptied schema.
 */
#include "config.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "store.h"
#include "../../src/store_p.h"

struct fx {
	char dir[64];
	char path[512];             /* the state: a file, or the PostgreSQL URL */
	bool pg;
	struct bw_store *st;
};

/* PostgreSQL: drop everything, so each test starts from an empty database. */
static void pg_reset(const char *url)
{
	char err[512];
	struct bw_store *st = store_open_version(url, 0, err, sizeof err);
	if (!st)
		fail_msg("store_open: %s", err);
	if (store_test_exec(st, "DROP SCHEMA public CASCADE; CREATE SCHEMA public") < 0)
		fail_msg("reset: %s", store_error(st));
	store_close(st);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	const char *pg = getenv("BW_TEST_STATE");
	char err[512];
	snprintf(f->dir, sizeof f->dir, "/tmp/bw-store-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	if (pg && *pg) {
		f->pg = true;
		snprintf(f->path, sizeof f->path, "%s", pg);
		pg_reset(f->path);
	} else {
		snprintf(f->path, sizeof f->path, "%s/state.db", f->dir);
	}
	f->st = store_open(f->path, err, sizeof err);
	if (!f->st)
		fail_msg("store_open: %s", err);
	*state = f;
	return 0;
}

static void unlink_db(const char *path)
{
	char p[600];
	static const char *const suffix[] = { "", "-wal", "-shm" };
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof p, "%s%s", path, suffix[i]);
		unlink(p);
	}
}

static int teardown(void **state)
{
	struct fx *f = *state;
	store_close(f->st);
	if (!f->pg)
		unlink_db(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static long count(struct bw_store *st, const char *sql)
{
	long n = store_test_count(st, sql);
	if (n < 0)
		fail_msg("%s: %s", sql, store_error(st));
	return n;
}

/* Does table name exist (either backend)? */
static long has_table(struct bw_store *st, const char *name)
{
	char sql[200];
	if (strcmp(store_backend(st), "sqlite") == 0)
		snprintf(sql, sizeof sql, "SELECT count(*) FROM sqlite_master WHERE name = '%s'", name);
	else
		snprintf(sql, sizeof sql, "SELECT count(*) FROM information_schema.tables"
			 " WHERE table_schema = 'public' AND table_name = '%s'", name);
	return count(st, sql);
}

/* ---------------------------------------------------------------- migrations */

static void test_migrate_empty(void **state)
{
	struct fx *f = *state;
	assert_int_equal(store_schema_version(f->st), BW_STORE_SCHEMA_VERSION);
	assert_int_equal(has_table(f->st, "campaign_sent"), 1);
	assert_int_equal(has_table(f->st, "outbox"), 1);
	assert_int_equal(has_table(f->st, "leases"), 1);
	if (!f->pg) {   /* WAL mode, a checkpoint every 4,096 pages */
		assert_int_equal(count(f->st, "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'"), 1);
		assert_int_equal(count(f->st, "PRAGMA wal_autocheckpoint"), 4096);
	}
	assert_string_equal(store_backend(f->st), f->pg ? "postgresql" : "sqlite");
	assert_int_equal(store_is_shared(f->st), f->pg);
	/* reopening applies nothing more */
	store_close(f->st);
	char err[512];
	f->st = store_open(f->path, err, sizeof err);
	assert_non_null(f->st);
	assert_int_equal(count(f->st, "SELECT count(*) FROM schema_version"), BW_STORE_SCHEMA_VERSION);
}

static void test_migrate_from_v1(void **state)
{
	struct fx *f = *state;
	char path[600], err[512];
	if (f->pg) {
		store_close(f->st);
		f->st = NULL;
		pg_reset(f->path);
		snprintf(path, sizeof path, "%s", f->path);
	} else {
		snprintf(path, sizeof path, "%s/v1.db", f->dir);
	}
	struct bw_store *st = store_open_version(path, 1, err, sizeof err);
	assert_non_null(st);
	assert_int_equal(store_schema_version(st), 1);
	assert_int_equal(has_table(st, "campaign_sent"), 0);
	/* data written at version 1 survives the migration */
	struct bw_outbox_row r = { 0 };
	snprintf(r.webhook_id, sizeof r.webhook_id, "evt_v1");
	snprintf(r.hook, sizeof r.hook, "crm");
	snprintf(r.event, sizeof r.event, "suppress");
	r.payload = (char *)"{\"a\":1}";
	r.created = 1000;
	assert_int_equal(store_outbox_add(st, &r), 0);
	store_close(st);

	st = store_open(path, err, sizeof err);
	assert_non_null(st);
	assert_int_equal(store_schema_version(st), BW_STORE_SCHEMA_VERSION);
	assert_int_equal(has_table(st, "campaign_sent"), 1);
	assert_int_equal(has_table(st, "instances"), 1);
	assert_int_equal(count(st, "SELECT count(*) FROM outbox WHERE webhook_id = 'evt_v1'"), 1);
	assert_int_equal(store_campaign_set_sent(st, "c1", "", 100, 5), 0);
	if (f->pg) {
		f->st = st;
		return;
	}
	store_close(st);
	unlink_db(path);
}

/* Version 4: content keys written at version 3 get their 16-byte index key
 * (store_key16, computed in SQL by the migration) and still make a second
 * message with the same key a duplicate; "" is no key. */
static void test_migrate_content_key(void **state)
{
	struct fx *f = *state;
	char path[600], err[512];
	if (f->pg) {
		store_close(f->st);
		f->st = NULL;
		pg_reset(f->path);
		snprintf(path, sizeof path, "%s", f->path);
	} else {
		snprintf(path, sizeof path, "%s/v3.db", f->dir);
	}
	struct bw_store *st = store_open_version(path, 3, err, sizeof err);
	assert_non_null(st);
	static const char ins[] = "INSERT INTO processed (account, folder, uidvalidity, uid,"
		" content_key, verdict, processed_at) VALUES ('main', 'INBOX', 7, 1,"
		" '3f1c0de9a5 <old@example.org>', 'bounce', 1), ('main', 'INBOX', 7, 2, '',"
		" 'unparsed', 1)";
	assert_int_equal(store_test_exec(st, ins), 0);
	store_close(st);

	st = store_open(path, err, sizeof err);
	assert_non_null(st);
	assert_int_equal(store_schema_version(st), BW_STORE_SCHEMA_VERSION);
	assert_int_equal(count(st, "SELECT count(*) FROM processed WHERE key16 IS NULL"), 1);
	/* the SQL of the migration and store_key16() agree */
	assert_int_equal(store_is_processed(st, "main", "Archive", 9, 1, "3f1c0de9a5 <old@example.org>"), 1);
	assert_int_equal(store_mark_processed(st, "main", "Archive", 9, 1, "3f1c0de9a5 <old@example.org>",
					      "bounce", 2, NULL), 1);
	assert_int_equal(store_is_processed(st, "main", "Archive", 9, 1, "3f1c0de9a5 <new@example.org>"), 0);
	/* no key matches no key */
	assert_int_equal(store_is_processed(st, "main", "Archive", 9, 2, ""), 0);
	assert_int_equal(store_mark_processed(st, "main", "Archive", 9, 2, "", "unparsed", 2, NULL), 0);
	assert_int_equal(count(st, "SELECT count(*) FROM processed"), 3);
	if (f->pg) {
		f->st = st;
		return;
	}
	store_close(st);
	unlink_db(path);
}

/* store_key16 is MD5 (RFC 1321's test vectors). */
static void test_key16(void **state)
{
	(void)state;
	uint8_t k[BW_KEY16_LEN];
	static const uint8_t empty[] = { 0xd4, 0x1d, 0x8c, 0xd9, 0x8f, 0x00, 0xb2, 0x04,
					 0xe9, 0x80, 0x09, 0x98, 0xec, 0xf8, 0x42, 0x7e };
	static const uint8_t abc[] = { 0x90, 0x01, 0x50, 0x98, 0x3c, 0xd2, 0x4f, 0xb0,
				       0xd6, 0x96, 0x3f, 0x7d, 0x28, 0xe1, 0x7f, 0x72 };
	store_key16("", k);
	assert_memory_equal(k, empty, sizeof k);
	store_key16("abc", k);
	assert_memory_equal(k, abc, sizeof k);
}

static void test_newer_schema_refused(void **state)
{
	struct fx *f = *state;
	assert_int_equal(store_test_exec(f->st, "INSERT INTO schema_version VALUES (99, 0)"), 0);
	char err[512];
	struct bw_store *b = store_open(f->path, err, sizeof err);
	assert_null(b);
	assert_non_null(strstr(err, "newer"));
	/* PostgreSQL: the database outlives the test */
	assert_int_equal(store_test_exec(f->st, "DELETE FROM schema_version WHERE version = 99"), 0);
}

/* An unreachable server: an error naming it, never its password. */
static void test_postgres_unreachable(void **state)
{
	(void)state;
	char err[512];
	assert_null(store_open("postgresql://u:s3cret@127.0.0.1:1/db?connect_timeout=2", err, sizeof err));
	assert_non_null(strstr(err, "127.0.0.1"));
	assert_null(strstr(err, "s3cret"));
	assert_null(store_open("postgres://u@127.0.0.1:1/db?password=s3cret&connect_timeout=2", err,
			       sizeof err));
	assert_null(strstr(err, "s3cret"));
}

/* ---------------------------------------------------------------- folders, processed */

static void test_folders(void **state)
{
	struct fx *f = *state;
	struct bw_folder_state fs = { 7, 7 };
	assert_int_equal(store_folder_get(f->st, "main", "INBOX", &fs), 1);
	assert_int_equal(fs.uidvalidity, 0);
	fs.uidvalidity = 42;
	fs.last_uid = 10;
	assert_int_equal(store_folder_set(f->st, "main", "INBOX", &fs), 0);
	fs.last_uid = 11;
	assert_int_equal(store_folder_set(f->st, "main", "INBOX", &fs), 0);
	memset(&fs, 0, sizeof fs);
	assert_int_equal(store_folder_get(f->st, "main", "INBOX", &fs), 0);
	assert_int_equal(fs.uidvalidity, 42);
	assert_int_equal(fs.last_uid, 11);
	assert_int_equal(store_folder_get(f->st, "other", "INBOX", &fs), 1);
}

static void test_processed(void **state)
{
	struct fx *f = *state;
	int64_t id = 0;
	assert_int_equal(store_is_processed(f->st, "main", "INBOX", 42, 5, "k1"), 0);
	assert_int_equal(store_mark_processed(f->st, "main", "INBOX", 42, 5, "k1", "bounce", 1, &id), 0);
	assert_true(id > 0);
	/* same UID */
	assert_int_equal(store_is_processed(f->st, "main", "INBOX", 42, 5, "other"), 1);
	/* same content key after a UIDVALIDITY change */
	assert_int_equal(store_is_processed(f->st, "main", "INBOX", 43, 1, "k1"), 1);
	/* another account is another mailbox */
	assert_int_equal(store_is_processed(f->st, "second", "INBOX", 42, 5, "k1"), 0);
	/* files: uid 0 never matches by UID */
	assert_int_equal(store_mark_processed(f->st, "file", "a.eml", 0, 0, "k2", "bounce", 1, NULL), 0);
	assert_int_equal(store_is_processed(f->st, "file", "b.eml", 0, 0, "k3"), 0);
	assert_int_equal(store_is_processed(f->st, "file", "b.eml", 0, 0, "k2"), 1);
	/* a second marker for the same key is refused (unique): 1, nothing added */
	assert_int_equal(store_mark_processed(f->st, "file", "c.eml", 0, 0, "k2", "bounce", 1, NULL), 1);
	assert_int_equal(store_mark_processed(f->st, "main", "INBOX", 42, 5, "k9", "bounce", 1, NULL), 1);
	assert_int_equal(count(f->st, "SELECT count(*) FROM processed"), 2);
}

/* ---------------------------------------------------------------- outbox */

static void add_row(struct bw_store *st, const char *wid, const char *event, time_t created,
		    int64_t *id)
{
	struct bw_outbox_row r = { 0 };
	snprintf(r.webhook_id, sizeof r.webhook_id, "%s", wid);
	snprintf(r.hook, sizeof r.hook, "crm");
	snprintf(r.event, sizeof r.event, "%s", event);
	r.payload = (char *)"{\"recipient\":\"a@b.example\"}";
	r.created = created;
	assert_int_equal(store_outbox_add(st, &r), 0);
	assert_true(r.id > 0);
	if (id)
		*id = r.id;
}

static void test_outbox(void **state)
{
	struct fx *f = *state;
	int64_t id1, id2, id3, again;
	add_row(f->st, "evt_1", "suppress", 100, &id1);
	add_row(f->st, "evt_2", "defer", 200, &id2);
	add_row(f->st, "evt_3", "alert", 300, &id3);
	/* the same webhook id again: left as it is, same id */
	add_row(f->st, "evt_1", "suppress", 999, &again);
	assert_int_equal(again, id1);
	assert_int_equal(count(f->st, "SELECT count(*) FROM outbox"), 3);

	struct bw_outbox_row *rows;
	size_t n;
	assert_int_equal(store_outbox_due(f->st, 250, 10, &rows, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(rows[0].id, id1);
	assert_string_equal(rows[0].webhook_id, "evt_1");
	assert_string_equal(rows[0].hook, "crm");
	assert_string_equal(rows[0].event, "suppress");
	assert_string_equal(rows[0].payload, "{\"recipient\":\"a@b.example\"}");
	assert_int_equal(rows[0].state, BW_OUTBOX_PENDING);
	assert_int_equal(rows[0].created, 100);
	assert_int_equal(rows[0].next_attempt, 100);

	/* row 1 delivered, row 2 fails and waits */
	rows[0].state = BW_OUTBOX_DONE;
	rows[0].attempts = 1;
	assert_int_equal(store_outbox_update(f->st, &rows[0]), 0);
	rows[1].attempts = 1;
	rows[1].next_attempt = 1000;
	snprintf(rows[1].last_error, sizeof rows[1].last_error, "HTTP 503");
	assert_int_equal(store_outbox_update(f->st, &rows[1]), 0);
	store_outbox_rows_free(rows, n);

	assert_int_equal(store_outbox_due(f->st, 500, 0, &rows, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].id, id3);
	rows[0].state = BW_OUTBOX_DEAD;
	rows[0].attempts = 9;
	snprintf(rows[0].last_error, sizeof rows[0].last_error, "HTTP 400");
	assert_int_equal(store_outbox_update(f->st, &rows[0]), 0);
	store_outbox_rows_free(rows, n);

	/* max limits the batch */
	assert_int_equal(store_outbox_due(f->st, 5000, 1, &rows, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].id, id2);
	assert_string_equal(rows[0].last_error, "HTTP 503");
	assert_int_equal(rows[0].attempts, 1);
	store_outbox_rows_free(rows, n);

	unsigned c[3];
	assert_int_equal(store_outbox_count(f->st, c), 0);
	assert_int_equal(c[BW_OUTBOX_PENDING], 1);
	assert_int_equal(c[BW_OUTBOX_DONE], 1);
	assert_int_equal(c[BW_OUTBOX_DEAD], 1);

	/* list: newest first, by state */
	assert_int_equal(store_outbox_list(f->st, -1, 0, &rows, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(rows[0].id, id3);
	assert_int_equal(rows[2].id, id1);
	store_outbox_rows_free(rows, n);
	assert_int_equal(store_outbox_list(f->st, BW_OUTBOX_DEAD, 0, &rows, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].last_error, "HTTP 400");
	store_outbox_rows_free(rows, n);
	assert_int_equal(store_outbox_list(f->st, -1, 2, &rows, &n), 0);
	assert_int_equal(n, 2);
	store_outbox_rows_free(rows, n);

	/* retry: only dead rows; pending and due now */
	assert_int_equal(store_outbox_retry(f->st, id2, 600), 0);
	assert_int_equal(store_outbox_retry(f->st, id3, 600), 1);
	assert_int_equal(store_outbox_due(f->st, 600, 0, &rows, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].id, id3);
	assert_int_equal(rows[0].attempts, 0);
	assert_int_equal(rows[0].next_attempt, 600);
	rows[0].state = BW_OUTBOX_DEAD;
	assert_int_equal(store_outbox_update(f->st, &rows[0]), 0);
	store_outbox_rows_free(rows, n);
	assert_int_equal(store_outbox_retry(f->st, 0, 700), 1);
	assert_int_equal(store_outbox_retry(f->st, 0, 700), 0);

	/* purge: delivered only, then dead too */
	assert_int_equal(store_test_exec(f->st, "UPDATE outbox SET state = 2 WHERE id = 3"), 0);
	assert_int_equal(store_outbox_purge(f->st, false), 1);
	assert_int_equal(store_outbox_purge(f->st, true), 1);
	assert_int_equal(count(f->st, "SELECT count(*) FROM outbox"), 1);
	store_outbox_rows_free(NULL, 0);
}

static void test_outbox_rollback(void **state)
{
	struct fx *f = *state;
	assert_int_equal(store_begin(f->st), 0);
	add_row(f->st, "evt_rb", "suppress", 100, NULL);
	assert_int_equal(store_rollback(f->st), 0);
	assert_int_equal(count(f->st, "SELECT count(*) FROM outbox"), 0);
	assert_int_equal(store_begin(f->st), 0);
	add_row(f->st, "evt_rb", "suppress", 100, NULL);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(count(f->st, "SELECT count(*) FROM outbox"), 1);
	/* rollback with nothing open is harmless */
	assert_int_equal(store_rollback(f->st), 0);
}


/* ---------------------------------------------------------------- events, addresses */

static struct bw_event mk_event(const char *rcpt, enum bw_kind k, enum bw_reason r, const char *camp)
{
	struct bw_event ev;
	memset(&ev, 0, sizeof ev);
	snprintf(ev.recipient, sizeof ev.recipient, "%s", rcpt);
	ev.kind = k;
	ev.reason = r;
	ev.hard = k == BW_KIND_HARD;
	snprintf(ev.status, sizeof ev.status, "5.1.1");
	snprintf(ev.reply_code, sizeof ev.reply_code, "550");
	snprintf(ev.action, sizeof ev.action, "failed");
	snprintf(ev.diagnostic, sizeof ev.diagnostic, "550 'quoted'; DROP TABLE events; --");
	snprintf(ev.detector, sizeof ev.detector, "rfc3464");
	snprintf(ev.original.campaign, sizeof ev.original.campaign, "%s", camp ? camp : "");
	snprintf(ev.original.subject, sizeof ev.original.subject, "Hello \"you\"");
	return ev;
}

static void test_events(void **state)
{
	struct fx *f = *state;
	struct bw_event a = mk_event("a@example.org", BW_KIND_HARD, BW_R_USERUNKNOWN, "c1");
	struct bw_event b = mk_event("a@example.org", BW_KIND_SOFT, BW_R_MAILBOXFULL, NULL);
	int64_t id1, id2;
	assert_int_equal(store_event_add(f->st, 0, "main", &a, 2000, &id1), 0);
	assert_int_equal(store_event_add(f->st, 0, "second", &b, 1000, &id2), 0);
	assert_true(id2 > id1);
	struct bw_event_rec *v;
	size_t n;
	assert_int_equal(store_events_for(f->st, "a@example.org", 0, &v, &n), 0);
	assert_int_equal(n, 2);
	/* ordered by event time */
	assert_int_equal(v[0].id, id2);
	assert_string_equal(v[0].account, "second");
	assert_int_equal(v[0].ev.kind, BW_KIND_SOFT);
	assert_int_equal(v[0].ev.reason, BW_R_MAILBOXFULL);
	assert_int_equal(v[0].time, 1000);
	assert_int_equal(v[1].ev.kind, BW_KIND_HARD);
	assert_true(v[1].ev.hard);
	assert_string_equal(v[1].ev.diagnostic, a.diagnostic);
	assert_string_equal(v[1].ev.original.subject, "Hello \"you\"");
	assert_string_equal(v[1].ev.original.campaign, "c1");
	free(v);
	assert_int_equal(store_events_for(f->st, "a@example.org", 1, &v, &n), 0);
	assert_int_equal(n, 1);
	free(v);
	assert_int_equal(store_events_for(f->st, "nobody@example.org", 0, &v, &n), 0);
	assert_int_equal(n, 0);
	free(v);
	assert_int_equal(count(f->st, "SELECT count(*) FROM events"), 2);
}

static void test_addresses(void **state)
{
	struct fx *f = *state;
	struct bw_address_state as;
	assert_int_equal(store_address_get(f->st, "main", "a@example.org", &as), 1);
	assert_string_equal(as.account, "main");
	assert_string_equal(as.address, "a@example.org");
	assert_int_equal(as.soft_total, 0);
	assert_false(as.suppressed);
	as.status = BW_ADDR_SOFT;
	as.soft_total = 4;
	as.nocamp_streak = 3;
	as.campaign_streak = 2;
	as.last_campaign_seq = 9;
	as.first_soft = 100;
	as.last_soft = 200;
	as.first_mailboxfull = 150;
	as.last_success = 50;
	as.last_event = 200;
	as.events = 5;
	assert_int_equal(store_address_put(f->st, &as), 0);
	struct bw_address_state b;
	assert_int_equal(store_address_get(f->st, "main", "a@example.org", &b), 0);
	assert_int_equal(b.status, BW_ADDR_SOFT);
	assert_int_equal(b.soft_total, 4);
	assert_int_equal(b.nocamp_streak, 3);
	assert_int_equal(b.campaign_streak, 2);
	assert_int_equal(b.last_campaign_seq, 9);
	assert_int_equal(b.first_soft, 100);
	assert_int_equal(b.last_soft, 200);
	assert_int_equal(b.first_mailboxfull, 150);
	assert_int_equal(b.last_success, 50);
	assert_int_equal(b.events, 5);
	/* hard in two other accounts */
	unsigned n;
	assert_int_equal(store_hard_accounts(f->st, "a@example.org", "main", &n), 0);
	assert_int_equal(n, 0);
	static const char *const others[] = { "x", "y", "main" };
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(store_address_get(f->st, others[i], "a@example.org", &b), i == 2 ? 0 : 1);
		b.hard_total = 1;
		assert_int_equal(store_address_put(f->st, &b), 0);
	}
	assert_int_equal(store_hard_accounts(f->st, "a@example.org", "main", &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_hard_accounts(f->st, "a@example.org", "z", &n), 0);
	assert_int_equal(n, 3);
	struct bw_address_state *all;
	size_t k;
	assert_int_equal(store_address_all(f->st, "a@example.org", &all, &k), 0);
	assert_int_equal(k, 3);
	assert_string_equal(all[0].account, "main");
	assert_string_equal(all[2].account, "y");
	free(all);
}

/* ---------------------------------------------------------------- lists */

static struct bw_listing listing(const char *addr, const char *scope, const char *account,
				 const char *reason)
{
	struct bw_listing l;
	memset(&l, 0, sizeof l);
	snprintf(l.address, sizeof l.address, "%s", addr);
	snprintf(l.scope, sizeof l.scope, "%s", scope);
	snprintf(l.account, sizeof l.account, "%s", account);
	snprintf(l.reason, sizeof l.reason, "%s", reason);
	snprintf(l.detail, sizeof l.detail, "why");
	l.created = 1234;
	l.event_id = 7;
	return l;
}

/* store_address_load() reads what store_address_get() and
 * store_hard_accounts() read, in every combination of row, lists and other
 * accounts. */
static void check_load(struct bw_store *st, const char *account, const char *address)
{
	struct bw_address_state a, b;
	unsigned ha = 99, hb = 99;
	int ra = store_address_get(st, account, address, &a);
	assert_int_equal(store_hard_accounts(st, address, account, &ha), 0);
	int rb = store_address_load(st, account, address, &b, &hb);
	assert_int_equal(rb, ra);
	assert_memory_equal(&a, &b, sizeof a);
	assert_int_equal(hb, ha);
}

static void test_address_load(void **state)
{
	struct fx *f = *state;
	struct bw_address_state as;
	unsigned hard = 99;
	assert_int_equal(store_address_load(f->st, "main", "a@example.org", &as, &hard), 1);
	assert_string_equal(as.address, "a@example.org");
	assert_int_equal(hard, 0);
	check_load(f->st, "main", "a@example.org");
	memset(&as, 0, sizeof as);
	snprintf(as.account, sizeof as.account, "main");
	snprintf(as.address, sizeof as.address, "a@example.org");
	as.status = BW_ADDR_SOFT;
	as.soft_total = 3;
	as.last_campaign_seq = 4;
	as.first_soft = 100;
	as.events = 3;
	assert_int_equal(store_address_put(f->st, &as), 0);
	check_load(f->st, "main", "a@example.org");
	/* hard bounces in two other accounts (and a soft one in a third) */
	static const char *const others[] = { "b", "c", "d" };
	for (size_t i = 0; i < 3; i++) {
		memset(&as, 0, sizeof as);
		snprintf(as.account, sizeof as.account, "%s", others[i]);
		snprintf(as.address, sizeof as.address, "a@example.org");
		as.hard_total = i < 2;
		assert_int_equal(store_address_put(f->st, &as), 0);
	}
	assert_int_equal(store_address_load(f->st, "main", "a@example.org", &as, &hard), 0);
	assert_int_equal(hard, 2);
	assert_int_equal(store_address_load(f->st, "b", "a@example.org", &as, &hard), 0);
	assert_int_equal(hard, 1);
	assert_int_equal(as.hard_total, 1);
	check_load(f->st, "b", "a@example.org");
	check_load(f->st, "e", "a@example.org");       /* unknown there: the others count */
	/* the lists: this account, another account, global, deferred */
	struct bw_listing l = listing("a@example.org", "account", "main", "userunknown");
	assert_int_equal(store_suppress_add(f->st, &l), 0);
	check_load(f->st, "main", "a@example.org");
	assert_int_equal(store_address_load(f->st, "main", "a@example.org", &as, &hard), 0);
	assert_true(as.suppressed);
	assert_false(as.suppressed_global);
	assert_int_equal(store_address_load(f->st, "b", "a@example.org", &as, &hard), 0);
	assert_false(as.suppressed);
	l = listing("a@example.org", "global", "", "userunknown");
	assert_int_equal(store_suppress_add(f->st, &l), 0);
	l = listing("a@example.org", "account", "c", "blocked");
	assert_int_equal(store_defer_add(f->st, &l), 0);
	assert_int_equal(store_address_load(f->st, "c", "a@example.org", &as, &hard), 0);
	assert_true(as.suppressed_global);
	assert_true(as.deferred);
	assert_false(as.suppressed);
	for (size_t i = 0; i < 3; i++)
		check_load(f->st, others[i], "a@example.org");
	check_load(f->st, "main", "a@example.org");
	check_load(f->st, "e", "nobody@example.org");
}

static void test_suppressions(void **state)
{
	struct fx *f = *state;
	struct bw_listing a = listing("b@example.org", "account", "main", "userunknown");
	struct bw_listing g = listing("b@example.org", "global", "ignored", "userunknown");
	struct bw_listing c = listing("a@example.org", "account", "second", "feedback");
	assert_int_equal(store_suppress_add(f->st, &a), 0);
	assert_int_equal(store_suppress_add(f->st, &a), 1);     /* already */
	assert_int_equal(store_suppress_add(f->st, &g), 0);
	assert_int_equal(store_suppress_add(f->st, &c), 0);
	struct bw_listing *v;
	size_t n;
	assert_int_equal(store_suppress_list(f->st, NULL, &v, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].address, "a@example.org");
	assert_string_equal(v[1].scope, "global");            /* global first */
	assert_string_equal(v[1].account, "");                /* global rows have no account */
	assert_string_equal(v[2].account, "main");
	assert_int_equal(v[2].created, 1234);
	assert_int_equal(v[2].event_id, 7);
	assert_string_equal(v[2].detail, "why");
	free(v);
	/* the flags the policy reads */
	struct bw_address_state as;
	store_address_get(f->st, "main", "b@example.org", &as);
	assert_true(as.suppressed);
	assert_true(as.suppressed_global);
	store_address_get(f->st, "other", "a@example.org", &as);
	assert_false(as.suppressed);
	assert_false(as.suppressed_global);
	/* remove one account's row, then everything */
	unsigned removed;
	assert_int_equal(store_suppress_remove(f->st, "b@example.org", "main", &removed), 0);
	assert_int_equal(removed, 1);
	assert_int_equal(store_suppress_list(f->st, "b@example.org", &v, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].scope, "global");
	free(v);
	assert_int_equal(store_suppress_remove(f->st, "b@example.org", NULL, &removed), 0);
	assert_int_equal(removed, 1);
	assert_int_equal(store_suppress_remove(f->st, "b@example.org", NULL, &removed), 0);
	assert_int_equal(removed, 0);
	assert_int_equal(count(f->st, "SELECT count(*) FROM suppressions"), 1);
}

static void test_deferrals(void **state)
{
	struct fx *f = *state;
	struct bw_listing d = listing("d@example.org", "account", "main", "filtered");
	assert_int_equal(store_defer_add(f->st, &d), 0);
	assert_int_equal(store_defer_add(f->st, &d), 1);
	struct bw_address_state as;
	store_address_get(f->st, "main", "d@example.org", &as);
	assert_true(as.deferred);
	assert_false(as.suppressed);
	struct bw_listing *v;
	size_t n;
	assert_int_equal(store_defer_list(f->st, "d@example.org", &v, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].reason, "filtered");
	free(v);
	unsigned removed;
	assert_int_equal(store_defer_remove(f->st, "d@example.org", NULL, &removed), 0);
	assert_int_equal(removed, 1);
	assert_int_equal(store_defer_list(f->st, NULL, &v, &n), 0);
	assert_int_equal(n, 0);
	free(v);
}

/* ---------------------------------------------------------------- campaigns, decisions, report */

static void test_campaigns(void **state)
{
	struct fx *f = *state;
	struct bw_campaign_stats cs;
	assert_int_equal(store_campaign_touch(f->st, "main", "c-a", 100, &cs), 0);
	assert_int_equal(cs.seq, 1);
	assert_int_equal(cs.sent, -1);
	assert_int_equal(store_campaign_touch(f->st, "main", "c-b", 200, &cs), 0);
	assert_int_equal(cs.seq, 2);
	/* sequence numbers are per account, in order of first sight */
	assert_int_equal(store_campaign_touch(f->st, "second", "c-b", 300, &cs), 0);
	assert_int_equal(cs.seq, 1);
	assert_int_equal(store_campaign_touch(f->st, "main", "c-a", 400, &cs), 0);
	assert_int_equal(cs.seq, 1);
	assert_int_equal(cs.first_seen, 100);
	cs.hard = 3;
	cs.soft = 2;
	cs.block = 1;
	cs.complaint = 1;
	cs.total = 7;
	cs.hard_alerted = true;
	assert_int_equal(store_campaign_put(f->st, &cs), 0);
	/* sent: for every account, then one account's own wins */
	assert_int_equal(store_campaign_set_sent(f->st, "c-b", "", 1000, 1), 0);
	assert_int_equal(store_campaign_touch(f->st, "main", "c-b", 0, &cs), 0);
	assert_int_equal(cs.sent, 1000);
	assert_int_equal(store_campaign_set_sent(f->st, "c-b", "second", 50, 1), 0);
	assert_int_equal(store_campaign_set_sent(f->st, "c-b", "second", 60, 2), 0);
	assert_int_equal(store_campaign_touch(f->st, "second", "c-b", 0, &cs), 0);
	assert_int_equal(cs.sent, 60);
	struct bw_campaign_stats *v;
	size_t n;
	assert_int_equal(store_campaign_list(f->st, NULL, &v, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].campaign, "c-a");
	assert_int_equal(v[0].hard, 3);
	assert_int_equal(v[0].soft, 2);
	assert_int_equal(v[0].block, 1);
	assert_int_equal(v[0].complaint, 1);
	assert_int_equal(v[0].total, 7);
	assert_true(v[0].hard_alerted);
	assert_false(v[0].soft_alerted);
	free(v);
	assert_int_equal(store_campaign_list(f->st, "c-b", &v, &n), 0);
	assert_int_equal(n, 2);
	free(v);
}

/* store_campaign_count: touch and add in one write; what it returns is the
 * row as store_campaign_touch() reads it afterwards. */
static void test_campaign_count(void **state)
{
	struct fx *f = *state;
	struct bw_campaign_stats cs, after, hard = { .hard = 1, .total = 1 },
		soft = { .soft = 1, .total = 1 }, other = { .total = 1 };
	assert_int_equal(store_campaign_count(f->st, "main", "c-a", 100, &hard, &cs), 0);
	assert_int_equal(cs.seq, 1);
	assert_int_equal(cs.first_seen, 100);
	assert_int_equal(cs.hard, 1);
	assert_int_equal(cs.total, 1);
	assert_int_equal(cs.sent, -1);
	assert_string_equal(cs.account, "main");
	assert_string_equal(cs.campaign, "c-a");
	assert_int_equal(store_campaign_count(f->st, "main", "c-b", 200, &soft, &cs), 0);
	assert_int_equal(cs.seq, 2);
	assert_int_equal(store_campaign_count(f->st, "second", "c-a", 300, &other, &cs), 0);
	assert_int_equal(cs.seq, 1);
	assert_int_equal(cs.total, 1);
	assert_int_equal(cs.hard, 0);
	assert_int_equal(store_campaign_set_sent(f->st, "c-a", "", 500, 1), 0);
	assert_int_equal(store_campaign_count(f->st, "main", "c-a", 400, &soft, &cs), 0);
	assert_int_equal(cs.seq, 1);
	assert_int_equal(cs.first_seen, 100);          /* the first sight stays */
	assert_int_equal(cs.hard, 1);
	assert_int_equal(cs.soft, 1);
	assert_int_equal(cs.total, 2);
	assert_int_equal(cs.sent, 500);
	assert_int_equal(store_campaign_touch(f->st, "main", "c-a", 0, &after), 0);
	assert_memory_equal(&cs, &after, sizeof cs);
	/* the alert flags are store_campaign_put()'s, and survive counting */
	cs.soft_alerted = true;
	assert_int_equal(store_campaign_put(f->st, &cs), 0);
	assert_int_equal(store_campaign_count(f->st, "main", "c-a", 500, &hard, &cs), 0);
	assert_true(cs.soft_alerted);
	assert_false(cs.hard_alerted);
	assert_int_equal(cs.hard, 2);
	assert_int_equal(cs.total, 3);
	assert_int_equal(count(f->st, "SELECT count(*) FROM campaigns"), 3);
}

static void test_decisions(void **state)
{
	struct fx *f = *state;
	struct bw_decision d;
	memset(&d, 0, sizeof d);
	d.type = BW_DEC_SUPPRESS;
	snprintf(d.address, sizeof d.address, "a@example.org");
	snprintf(d.reason, sizeof d.reason, "userunknown");
	snprintf(d.scope, sizeof d.scope, "account");
	snprintf(d.account, sizeof d.account, "main");
	snprintf(d.detail, sizeof d.detail, "hard bounce");
	assert_int_equal(store_decision_add(f->st, &d, 5, 300), 0);
	d.type = BW_DEC_UNSUPPRESS;
	assert_int_equal(store_decision_add(f->st, &d, 0, 200), 0);
	struct bw_decision_rec *v;
	size_t n;
	assert_int_equal(store_decisions_for(f->st, "a@example.org", &v, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].d.type, BW_DEC_UNSUPPRESS);
	assert_int_equal(v[0].time, 200);
	assert_int_equal(v[1].d.type, BW_DEC_SUPPRESS);
	assert_int_equal(v[1].event_id, 5);
	assert_string_equal(v[1].d.detail, "hard bounce");
	free(v);
}

static void test_report(void **state)
{
	struct fx *f = *state;
	struct bw_event e[] = {
		mk_event("a@one.example", BW_KIND_HARD, BW_R_USERUNKNOWN, "c1"),
		mk_event("b@ONE.example", BW_KIND_SOFT, BW_R_MAILBOXFULL, "c1"),
		mk_event("c@two.example", BW_KIND_BLOCK, BW_R_FILTERED, "c2"),
		mk_event("d@two.example", BW_KIND_COMPLAINT, BW_R_FEEDBACK, ""),
		mk_event("e@two.example", BW_KIND_DELAYED, BW_R_EXPIRED, ""),
		mk_event("f@two.example", BW_KIND_AUTOREPLY, BW_R_VACATION, ""),
	};
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(store_event_add(f->st, 0, i < 3 ? "main" : "second", &e[i],
						 (time_t)(1000 + i * 100), NULL), 0);
	assert_int_equal(store_campaign_set_sent(f->st, "c1", "", 40, 1), 0);
	struct bw_report_row *v;
	size_t n;
	assert_int_equal(store_report(f->st, BW_BY_CAMPAIGN, 0, &v, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].key, "");
	assert_int_equal(v[0].total, 3);
	assert_int_equal(v[0].complaint, 1);
	assert_int_equal(v[0].delayed, 1);
	assert_int_equal(v[0].other, 1);
	assert_string_equal(v[1].key, "c1");
	assert_int_equal(v[1].hard, 1);
	assert_int_equal(v[1].soft, 1);
	assert_int_equal(v[1].sent, 40);
	assert_int_equal(v[2].block, 1);
	assert_int_equal(v[2].sent, -1);
	free(v);
	assert_int_equal(store_report(f->st, BW_BY_DOMAIN, 0, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].key, "one.example");
	assert_int_equal(v[0].total, 2);
	free(v);
	assert_int_equal(store_report(f->st, BW_BY_ACCOUNT, 0, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[1].key, "second");
	assert_int_equal(v[1].total, 3);
	free(v);
	assert_int_equal(store_report(f->st, BW_BY_REASON, 1250, &v, &n), 0);
	assert_int_equal(n, 3);     /* since: the last three events only */
	free(v);
}

/* ---------------------------------------------------------------- transactions */

/* A failure mid-message, rolled back, leaves nothing of the message. */
static void test_rollback_mid_message(void **state)
{
	struct fx *f = *state;
	struct bw_event ev = mk_event("r@example.org", BW_KIND_HARD, BW_R_USERUNKNOWN, "c1");
	struct bw_listing l = listing("r@example.org", "account", "main", "userunknown");
	struct bw_campaign_stats cs;
	struct bw_address_state as;
	int64_t msg;
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_mark_processed(f->st, "main", "INBOX", 1, 1, "key", "bounce", 1, &msg), 0);
	assert_int_equal(store_event_add(f->st, msg, "main", &ev, 1, NULL), 0);
	assert_int_equal(store_campaign_touch(f->st, "main", "c1", 1, &cs), 0);
	store_address_get(f->st, "main", "r@example.org", &as);
	assert_int_equal(store_address_put(f->st, &as), 0);
	store_test_fail_after(f->st, 1);
	assert_int_equal(store_suppress_add(f->st, &l), -1);
	assert_non_null(strstr(store_error(f->st), "injected"));
	assert_int_equal(store_rollback(f->st), 0);
	static const char *const tables[] = { "processed", "events", "addresses", "suppressions",
					      "campaigns" };
	char sql[64];
	for (size_t i = 0; i < 5; i++) {
		snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", tables[i]);
		assert_int_equal(count(f->st, sql), 0);
	}
	assert_int_equal(store_is_processed(f->st, "main", "INBOX", 1, 1, "key"), 0);
}

/* Hostile text goes through bound parameters unchanged. */
static void test_bound_parameters(void **state)
{
	struct fx *f = *state;
	struct bw_listing l = listing("x'); DELETE FROM suppressions; --@example.org", "account",
				      "ma'in", "r\"e");
	assert_int_equal(store_suppress_add(f->st, &l), 0);
	struct bw_listing *v;
	size_t n;
	assert_int_equal(store_suppress_list(f->st, l.address, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].account, "ma'in");
	assert_string_equal(v[0].reason, "r\"e");
	free(v);
}


/* ---------------------------------------------------------------- several instances */

/* A due row is claimed once; the claim expires; a settled row is not claimed. */
static void test_outbox_claim(void **state)
{
	struct fx *f = *state;
	int64_t id;
	add_row(f->st, "evt_c", "suppress", 100, &id);
	assert_int_equal(store_outbox_claim(f->st, id, 100, 200), 1);
	assert_int_equal(store_outbox_claim(f->st, id, 150, 250), 0);    /* taken */
	struct bw_outbox_row *rows;
	size_t n;
	assert_int_equal(store_outbox_due(f->st, 150, 0, &rows, &n), 0);
	assert_int_equal(n, 0);
	store_outbox_rows_free(rows, n);
	assert_int_equal(store_outbox_claim(f->st, id, 200, 300), 1);    /* expired: again */
	assert_int_equal(store_test_exec(f->st, "UPDATE outbox SET state = 1"), 0);
	assert_int_equal(store_outbox_claim(f->st, id, 999, 1999), 0);   /* delivered */
	assert_int_equal(store_outbox_claim(f->st, 424242, 999, 1999), 0);
}

/* A second handle marks a message the first committed meanwhile: 1, and
 * the whole message of the second rolls back. */
static void test_processed_race(void **state)
{
	struct fx *f = *state;
	char err[512];
	struct bw_store *b = store_open(f->path, err, sizeof err);
	assert_non_null(b);
	int64_t id;
	assert_int_equal(store_is_processed(b, "main", "INBOX", 7, 1, "kr"), 0);
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_mark_processed(f->st, "main", "INBOX", 7, 1, "kr", "bounce", 1, &id), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(store_begin(b), 0);
	assert_int_equal(store_mark_processed(b, "main", "INBOX", 7, 1, "kr", "bounce", 1, &id), 1);
	assert_int_equal(store_rollback(b), 0);
	assert_int_equal(count(f->st, "SELECT count(*) FROM processed"), 1);
	/* the address lock is taken and released with the transaction */
	assert_int_equal(store_begin(b), 0);
	assert_int_equal(store_lock_address(b, "a@example.org"), 0);
	assert_int_equal(store_lock_address(b, "b@example.org"), 0);
	if (f->pg)
		assert_int_equal(count(f->st, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
				       " AND classid = 1651"), 2);
	assert_int_equal(store_commit(b), 0);
	if (f->pg)
		assert_int_equal(count(f->st, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
				       " AND classid = 1651"), 0);
	store_close(b);
}

static void self_at(struct bw_instance *in, const char *id, time_t t)
{
	memset(in, 0, sizeof *in);
	snprintf(in->id, sizeof in->id, "%s", id);
	snprintf(in->host, sizeof in->host, "host-%s", id);
	in->pid = 100;
	in->started = t;
	in->heartbeat = t;
}

static unsigned held(const struct bw_lease_slot *s, size_t n)
{
	unsigned k = 0;
	for (size_t i = 0; i < n; i++)
		k += s[i].held;
	return k;
}

/* Fair share between two instances, release on shutdown, take-over after
 * a death.  SQLite: the one instance holds everything. */
static void test_leases(void **state)
{
	struct fx *f = *state;
	static const char *const folders[][2] = {
		{ "a", "INBOX" }, { "b", "INBOX" }, { "c", "INBOX" }, { "c", "Junk" },
	};
	struct bw_lease_slot s1[4], s2[4];
	struct bw_instance i1, i2;
	time_t t = 1000;
	memset(s1, 0, sizeof s1);
	memset(s2, 0, sizeof s2);
	for (size_t i = 0; i < 4; i++) {
		s1[i].account = s2[i].account = folders[i][0];
		s1[i].folder = s2[i].folder = folders[i][1];
	}
	self_at(&i1, "one", t);
	self_at(&i2, "two", t);
	/* alone: everything */
	assert_int_equal(store_lease_balance(f->st, &i1, s1, 4, t, 30), 4);
	assert_int_equal(held(s1, 4), 4);
	struct bw_lease *l;
	size_t n;
	assert_int_equal(store_lease_list(f->st, &l, &n), 0);
	assert_int_equal(n, 4);
	assert_string_equal(l[0].holder, "one");
	assert_int_equal(l[0].expires, t + 30);
	free(l);
	if (!f->pg) {
		assert_int_equal(store_instance_leave(f->st, "one"), 0);
		assert_int_equal(count(f->st, "SELECT count(*) FROM leases WHERE holder = ''"), 4);
		return;
	}
	char err[512];
	struct bw_store *b = store_open(f->path, err, sizeof err);
	assert_non_null(b);
	/* a second instance: nothing free yet */
	assert_int_equal(store_lease_balance(b, &i2, s2, 4, t + 1, 30), 0);
	/* the first sees two live instances: two of its four are beyond the share */
	assert_int_equal(store_lease_balance(f->st, &i1, s1, 4, t + 2, 30), 4);
	unsigned give = 0;
	for (size_t i = 0; i < 4; i++) {
		if (s1[i].give_up) {
			give++;
			assert_int_equal(store_lease_release(f->st, "one", s1[i].account, s1[i].folder), 0);
			s1[i].held = false;
		}
	}
	assert_int_equal(give, 2);
	assert_int_equal(store_lease_balance(b, &i2, s2, 4, t + 3, 30), 2);
	for (size_t i = 0; i < 4; i++)
		assert_true(s1[i].held != s2[i].held);     /* each folder exactly once */
	struct bw_instance *v;
	assert_int_equal(store_instance_list(f->st, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].id, "one");
	assert_string_equal(v[0].host, "host-one");
	assert_int_equal(v[1].heartbeat, t + 3);
	free(v);
	/* "one" dies: after its leases expire, "two" takes them all */
	assert_int_equal(store_lease_balance(b, &i2, s2, 4, t + 20, 30), 2);
	assert_int_equal(store_lease_balance(b, &i2, s2, 4, t + 33, 30), 4);
	assert_int_equal(held(s2, 4), 4);
	/* "one" comes back from a pause: its leases are lost */
	assert_int_equal(store_lease_balance(f->st, &i1, s1, 4, t + 34, 30), 0);
	assert_int_equal(held(s1, 4), 0);
	/* shutdown releases */
	assert_int_equal(store_instance_leave(b, "two"), 0);
	assert_int_equal(count(f->st, "SELECT count(*) FROM leases WHERE holder = ''"), 4);
	assert_int_equal(store_lease_balance(f->st, &i1, s1, 4, t + 35, 30), 4);
	store_close(b);
}


/* PostgreSQL: a connection lost between transactions is opened again; one
 * lost inside a transaction fails it (never split in two), then recovers. */
static void test_reconnect(void **state)
{
	struct fx *f = *state;
	struct bw_folder_state fs = { 1, 2 };
	if (!f->pg)
		skip();
	assert_int_equal(store_test_exec(f->st, "SELECT pg_terminate_backend(pg_backend_pid())"), -1);
	assert_int_equal(store_folder_set(f->st, "main", "INBOX", &fs), 0);
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_folder_set(f->st, "main", "INBOX", &fs), 0);
	assert_int_equal(store_test_exec(f->st, "SELECT pg_terminate_backend(pg_backend_pid())"), -1);
	fs.last_uid = 3;
	assert_int_equal(store_folder_set(f->st, "main", "INBOX", &fs), -1);
	assert_non_null(strstr(store_error(f->st), "mid-transaction"));
	assert_int_equal(store_rollback(f->st), 0);
	assert_int_equal(store_folder_get(f->st, "main", "INBOX", &fs), 0);
	assert_int_equal(fs.last_uid, 2);
}


/* A second instance deciding about an address waits for the first one's
 * transaction, then reads what it committed (PostgreSQL: advisory lock). */
struct racer {
	const char *url;
	volatile int locked;          /* set once the lock is held */
	unsigned hard_accounts;
	int rc;
};

static void *race_second(void *arg)
{
	struct racer *r = arg;
	char err[512];
	struct bw_store *b = store_open(r->url, err, sizeof err);
	r->rc = -1;
	if (!b)
		return NULL;
	if (store_begin(b) == 0 && store_lock_address(b, "x@example.org") == 0) {
		r->locked = 1;
		if (store_hard_accounts(b, "x@example.org", "a2", &r->hard_accounts) == 0 &&
		    store_commit(b) == 0)
			r->rc = 0;
	}
	store_close(b);
	return NULL;
}

static void test_address_lock_serialises(void **state)
{
	struct fx *f = *state;
	struct bw_address_state as;
	if (!f->pg)
		skip();
	struct racer r = { f->path, 0, 0, -1 };
	pthread_t t;
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_lock_address(f->st, "x@example.org"), 0);
	assert_int_equal(store_address_get(f->st, "a1", "x@example.org", &as), 1);
	as.hard_total = 1;
	assert_int_equal(store_address_put(f->st, &as), 0);
	assert_int_equal(pthread_create(&t, NULL, race_second, &r), 0);
	struct timespec ts = { 0, 400 * 1000000L };
	nanosleep(&ts, NULL);
	assert_int_equal(r.locked, 0);          /* still waiting for us */
	assert_int_equal(store_commit(f->st), 0);
	pthread_join(t, NULL);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.locked, 1);
	assert_int_equal(r.hard_accounts, 1);   /* it saw our commit */
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_migrate_empty),
		T(test_migrate_from_v1),
		T(test_migrate_content_key),
		T(test_key16),
		T(test_newer_schema_refused),
		T(test_postgres_unreachable),
		T(test_folders),
		T(test_processed),
		T(test_outbox),
		T(test_outbox_rollback),
		T(test_events),
		T(test_addresses),
		T(test_address_load),
		T(test_suppressions),
		T(test_deferrals),
		T(test_campaigns),
		T(test_campaign_count),
		T(test_decisions),
		T(test_report),
		T(test_rollback_mid_message),
		T(test_bound_parameters),
		T(test_outbox_claim),
		T(test_processed_race),
		T(test_leases),
		T(test_reconnect),
		T(test_address_lock_serialises),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
