/*
 * store_p.h - store internals: the backend interface behind store.h
 * (store.c dispatches; store_sqlite.c and store_pg.c implement), and hooks
 * for the unit tests.
 */
#ifndef BW_STORE_P_H
#define BW_STORE_P_H

#include "store.h"

/* The schema version store_open() migrates to. */
#define BW_STORE_SCHEMA_VERSION 4

/*
 * Every backend's handle starts with this header (its first member), so a
 * struct bw_store * is also a pointer to the backend's own struct.
 */
struct bw_store_ops;
struct bw_store {
	const struct bw_store_ops *ops;   /* borrowed: static */
	char err[512];                    /* the last error (never holds a password) */
	int fail_after;                   /* tests: fail the n-th write from now */
};

/*
 * The operations of a backend, as an X-macro: X(return type, name,
 * (parameters), (arguments)).  store.c makes store_NAME() call
 * ops->NAME; a backend defines static functions PREFIX_NAME and fills its
 * table with the same list.  Contracts: store.h.
 */
#define BW_STORE_OPS(X) \
	X(int, begin, (struct bw_store *st), (st)) \
	X(int, commit, (struct bw_store *st), (st)) \
	X(int, rollback, (struct bw_store *st), (st)) \
	X(int, schema_version, (struct bw_store *st), (st)) \
	X(int, folder_get, (struct bw_store *st, const char *account, const char *folder, \
			    struct bw_folder_state *fs), (st, account, folder, fs)) \
	X(int, folder_set, (struct bw_store *st, const char *account, const char *folder, \
			    const struct bw_folder_state *fs), (st, account, folder, fs)) \
	X(int, is_processed, (struct bw_store *st, const char *account, const char *folder, \
			      uint32_t uidvalidity, uint32_t uid, const char *content_key), \
	  (st, account, folder, uidvalidity, uid, content_key)) \
	X(int, mark_processed, (struct bw_store *st, const char *account, const char *folder, \
				uint32_t uidvalidity, uint32_t uid, const char *content_key, \
				const char *verdict, time_t now, int64_t *msg_id), \
	  (st, account, folder, uidvalidity, uid, content_key, verdict, now, msg_id)) \
	X(int, lock_address, (struct bw_store *st, const char *address), (st, address)) \
	X(int, outbox_add, (struct bw_store *st, struct bw_outbox_row *row), (st, row)) \
	X(int, outbox_due, (struct bw_store *st, time_t now, unsigned max, \
			    struct bw_outbox_row **rows, size_t *n), (st, now, max, rows, n)) \
	X(int, outbox_claim, (struct bw_store *st, int64_t id, time_t now, time_t until), \
	  (st, id, now, until)) \
	X(int, outbox_update, (struct bw_store *st, const struct bw_outbox_row *row), (st, row)) \
	X(int, outbox_list, (struct bw_store *st, int state, unsigned max, \
			     struct bw_outbox_row **rows, size_t *n), (st, state, max, rows, n)) \
	X(int, outbox_retry, (struct bw_store *st, int64_t id, time_t now), (st, id, now)) \
	X(int, outbox_purge, (struct bw_store *st, bool with_dead), (st, with_dead)) \
	X(int, outbox_count, (struct bw_store *st, unsigned counts[3]), (st, counts)) \
	X(int, event_add, (struct bw_store *st, int64_t msg_id, const char *account, \
			   const struct bw_event *ev, time_t t, int64_t *event_id), \
	  (st, msg_id, account, ev, t, event_id)) \
	X(int, events_for, (struct bw_store *st, const char *address, unsigned max, \
			    struct bw_event_rec **recs, size_t *n), (st, address, max, recs, n)) \
	X(int, address_get, (struct bw_store *st, const char *account, const char *address, \
			     struct bw_address_state *as), (st, account, address, as)) \
	X(int, address_put, (struct bw_store *st, const struct bw_address_state *as), (st, as)) \
	X(int, address_load, (struct bw_store *st, const char *account, const char *address, \
			      struct bw_address_state *as, unsigned *hard_accounts), \
	  (st, account, address, as, hard_accounts)) \
	X(int, address_all, (struct bw_store *st, const char *address, \
			     struct bw_address_state **v, size_t *n), (st, address, v, n)) \
	X(int, hard_accounts, (struct bw_store *st, const char *address, const char *except, \
			       unsigned *n), (st, address, except, n)) \
	X(int, suppress_add, (struct bw_store *st, const struct bw_listing *s), (st, s)) \
	X(int, suppress_remove, (struct bw_store *st, const char *address, const char *account, \
				 unsigned *removed), (st, address, account, removed)) \
	X(int, suppress_list, (struct bw_store *st, const char *address, \
			       struct bw_listing **v, size_t *n), (st, address, v, n)) \
	X(int, defer_add, (struct bw_store *st, const struct bw_listing *d), (st, d)) \
	X(int, defer_remove, (struct bw_store *st, const char *address, const char *account, \
			      unsigned *removed), (st, address, account, removed)) \
	X(int, defer_list, (struct bw_store *st, const char *address, \
			    struct bw_listing **v, size_t *n), (st, address, v, n)) \
	X(int, campaign_touch, (struct bw_store *st, const char *account, const char *campaign, \
				time_t t, struct bw_campaign_stats *cs), (st, account, campaign, t, cs)) \
	X(int, campaign_put, (struct bw_store *st, const struct bw_campaign_stats *cs), (st, cs)) \
	X(int, campaign_count, (struct bw_store *st, const char *account, const char *campaign, \
				time_t t, const struct bw_campaign_stats *delta, \
				struct bw_campaign_stats *cs), (st, account, campaign, t, delta, cs)) \
	X(int, campaign_set_sent, (struct bw_store *st, const char *campaign, const char *account, \
				   int64_t sent, time_t now), (st, campaign, account, sent, now)) \
	X(int, campaign_list, (struct bw_store *st, const char *campaign, \
			       struct bw_campaign_stats **v, size_t *n), (st, campaign, v, n)) \
	X(int, decision_add, (struct bw_store *st, const struct bw_decision *d, int64_t event_id, \
			      time_t t), (st, d, event_id, t)) \
	X(int, decisions_for, (struct bw_store *st, const char *address, \
			       struct bw_decision_rec **v, size_t *n), (st, address, v, n)) \
	X(int, report, (struct bw_store *st, enum bw_report_by by, time_t since, \
			struct bw_report_row **v, size_t *n), (st, by, since, v, n)) \
	X(int, instance_beat, (struct bw_store *st, const struct bw_instance *self, time_t now), \
	  (st, self, now)) \
	X(int, instance_leave, (struct bw_store *st, const char *id), (st, id)) \
	X(int, instance_list, (struct bw_store *st, struct bw_instance **v, size_t *n), (st, v, n)) \
	X(int, lease_take, (struct bw_store *st, const char *id, const char *account, \
			    const char *folder, time_t now, time_t until), \
	  (st, id, account, folder, now, until)) \
	X(int, lease_release, (struct bw_store *st, const char *id, const char *account, \
			       const char *folder), (st, id, account, folder)) \
	X(int, lease_list, (struct bw_store *st, struct bw_lease **v, size_t *n), (st, v, n)) \
	X(int, test_exec, (struct bw_store *st, const char *sql), (st, sql)) \
	X(long, test_count, (struct bw_store *st, const char *sql), (st, sql))

struct bw_store_ops {
	const char *backend;     /* "sqlite", "postgresql" */
	bool shared;             /* several instances may share it: leases matter */
	void (*close)(struct bw_store *st);
#define BW_STORE_OP_FIELD(ret, fn, params, args) ret (*fn) params;
	BW_STORE_OPS(BW_STORE_OP_FIELD)
#undef BW_STORE_OP_FIELD
};

/* Backends' openers: NULL with a message in err on failure. */
struct bw_store *store_sqlite_open(const char *path, int max_version, char *err, size_t errsz);
struct bw_store *store_pg_open(const char *url, int max_version, char *err, size_t errsz);

/* Is spec a PostgreSQL URL ("postgresql://" or "postgres://")? */
bool store_spec_is_pg(const char *spec);

/* Open like store_open() but migrate no further than max_version (tests:
 * build an old database, then reopen it with store_open()). */
struct bw_store *store_open_version(const char *spec, int max_version, char *err, size_t errsz);

/* Fault injection: the n-th write statement from now fails (n = 0: off). */
void store_test_fail_after(struct bw_store *st, int n);

/* Run one SQL statement without parameters (tests look inside). */
int store_test_exec(struct bw_store *st, const char *sql);
/* Run a "SELECT count(*) ..." and return the number, or -1. */
long store_test_count(struct bw_store *st, const char *sql);

/*
 * store_key16 - the index key of a content key: the MD5 digest of its text.
 * The text (a SHA-256 of the message and its Message-ID, store.h) is 100
 * bytes and more and random in order, so an index on it put a page write
 * into every commit for every message; 16 bytes make that index a fifth the
 * size.  MD5 here only shortens a key that SHA-256 made unique: finding a
 * second message with the key of one not yet received needs an MD5 second
 * preimage.  PostgreSQL computes the same with md5() (every version has it).
 * "" has no key: the backends store NULL, which matches nothing.
 */
#define BW_KEY16_LEN 16
void store_key16(const char *content_key, uint8_t out[BW_KEY16_LEN]);

/* Backends: "name: message" into st->err. */
void store_set_error(struct bw_store *st, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
