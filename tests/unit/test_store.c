/*
 * test_store.c - the SQLite store on a temporary database: migrations,
 * folders, processed markers, outbox, lists, campaigns, rollback.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store.h"
#include "../../src/store_p.h"

struct fx {
	char dir[64];
	char path[128];
	struct bw_store *st;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	snprintf(f->dir, sizeof f->dir, "/tmp/bw-store-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof f->path, "%s/state.db", f->dir);
	char err[256];
	f->st = store_open(f->path, err, sizeof err);
	if (!f->st)
		fail_msg("store_open: %s", err);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char p[200];
	store_close(f->st);
	static const char *const suffix[] = { "", "-wal", "-shm" };
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof p, "%s%s", f->path, suffix[i]);
		unlink(p);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static long count(struct bw_store *st, const char *sql)
{
	long n = store_test_count(st, sql);
	assert_true(n >= 0);
	return n;
}

/* ---------------------------------------------------------------- migrations */

static void test_migrate_empty(void **state)
{
	struct fx *f = *state;
	assert_int_equal(store_schema_version(f->st), BW_STORE_SCHEMA_VERSION);
	assert_int_equal(count(f->st, "SELECT count(*) FROM sqlite_master WHERE name = 'campaign_sent'"), 1);
	assert_int_equal(count(f->st, "SELECT count(*) FROM sqlite_master WHERE name = 'outbox'"), 1);
	/* WAL mode */
	assert_int_equal(count(f->st, "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'"), 1);
	/* reopening applies nothing more */
	store_close(f->st);
	char err[256];
	f->st = store_open(f->path, err, sizeof err);
	assert_non_null(f->st);
	assert_int_equal(count(f->st, "SELECT count(*) FROM schema_version"), BW_STORE_SCHEMA_VERSION);
}

static void test_migrate_from_v1(void **state)
{
	struct fx *f = *state;
	char path[160], err[256];
	snprintf(path, sizeof path, "%s/v1.db", f->dir);
	struct bw_store *st = store_open_version(path, 1, err, sizeof err);
	assert_non_null(st);
	assert_int_equal(store_schema_version(st), 1);
	assert_int_equal(count(st, "SELECT count(*) FROM sqlite_master WHERE name = 'campaign_sent'"), 0);
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
	assert_int_equal(count(st, "SELECT count(*) FROM sqlite_master WHERE name = 'campaign_sent'"), 1);
	assert_int_equal(count(st, "SELECT count(*) FROM outbox WHERE webhook_id = 'evt_v1'"), 1);
	/*SENT*/
	store_close(st);
	unlink(path);
	snprintf(path, sizeof path, "%s/v1.db-wal", f->dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/v1.db-shm", f->dir);
	unlink(path);
}

static void test_newer_schema_refused(void **state)
{
	struct fx *f = *state;
	assert_int_equal(store_test_exec(f->st, "INSERT INTO schema_version VALUES (99, 0)"), 0);
	store_close(f->st);
	char err[256];
	f->st = store_open(f->path, err, sizeof err);
	assert_null(f->st);
	assert_non_null(strstr(err, "newer"));
}

static void test_postgres_refused(void **state)
{
	(void)state;
	char err[256];
	assert_null(store_open("postgresql://u@h/db", err, sizeof err));
	assert_non_null(strstr(err, "PostgreSQL"));
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
	/* a second marker for the same key fails (unique) */
	assert_int_equal(store_mark_processed(f->st, "file", "c.eml", 0, 0, "k2", "bounce", 1, NULL), -1);
	assert_non_null(strstr(store_error(f->st), "UNIQUE"));
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

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_migrate_empty),
		T(test_migrate_from_v1),
		T(test_newer_schema_refused),
		T(test_postgres_refused),
		T(test_folders),
		T(test_processed),
		T(test_outbox),
		T(test_outbox_rollback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
