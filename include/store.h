/*
 * store.h - the state store interface (SPEC §2, §4).  No SQLite or
 * PostgreSQL type appears here: backends live behind it (store.c chooses
 * store_sqlite.c or store_pg.c by the `state` setting).
 *
 * Conventions: functions return 0 on success and -1 on failure with a message
 * available from store_error(); "not found" is 1 where stated.  Strings
 * returned inside structs are owned by the caller unless stated otherwise.
 */
#ifndef BW_STORE_H
#define BW_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "classify.h"
#include "decision.h"
#include "outbox.h"
#include "policy.h"

struct bw_store;

/* spec: a file path (SQLite, created with its directory's permissions) or
 * a libpq URL "postgresql://user@host[:port]/db[?param=...]" (also
 * "postgres://"; the password comes from PGPASSWORD, PGPASSFILE or
 * ~/.pgpass as libpq reads them, TLS from sslmode & co.).  Applies pending
 * migrations (under an advisory lock on PostgreSQL, so instances starting
 * together migrate once).  NULL with a message in err on failure; the
 * message never holds a password. */
struct bw_store *store_open(const char *spec, char *err, size_t errsz);
void store_close(struct bw_store *st);
const char *store_error(const struct bw_store *st);
/* "sqlite" or "postgresql". */
const char *store_backend(const struct bw_store *st);
/* Can several instances share this store (PostgreSQL)?  When false (SQLite)
 * one instance holds every lease. */
bool store_is_shared(const struct bw_store *st);

int store_begin(struct bw_store *st);
int store_commit(struct bw_store *st);
int store_rollback(struct bw_store *st);

/* ---- where each IMAP folder stands (SPEC §5) */
struct bw_folder_state {
	uint32_t uidvalidity;    /* 0 = never seen */
	uint32_t last_uid;       /* highest UID processed */
};
/* Returns 0 (found), 1 (never seen: *fs zeroed) or -1. */
int store_folder_get(struct bw_store *st, const char *account, const char *folder,
		     struct bw_folder_state *fs);
int store_folder_set(struct bw_store *st, const char *account, const char *folder,
		     const struct bw_folder_state *fs);

/* ---- processed messages: at most once per (account, folder, uidvalidity, uid)
 * and per content key (Message-ID + hash) within an account. */
/* 1 when already processed (by UID or content key), 0 when not, -1 on error. */
int store_is_processed(struct bw_store *st, const char *account, const char *folder,
		       uint32_t uidvalidity, uint32_t uid, const char *content_key);

/* ---- hook outbox (SPEC §6).  Rows are added by the pipeline inside the
 * message's transaction; the dispatcher reads and updates them. */
/* Add a row (state pending, next_attempt = created); row->id is set.  A row
 * whose webhook_id already exists is left as it is (returns 0). */
int store_outbox_add(struct bw_store *st, struct bw_outbox_row *row);
/* Pending rows with next_attempt <= now, oldest first, at most max.  *rows is
 * a malloc'd array the caller frees with store_outbox_rows_free(). */
int store_outbox_due(struct bw_store *st, time_t now, unsigned max,
		     struct bw_outbox_row **rows, size_t *n);
/* Claim row id for a delivery attempt: push its next_attempt to until, only
 * if it is still pending and due at now.  Exactly one of several instances
 * racing for a row wins; a claim that is never settled expires at until and
 * the row is due again.  1 claimed, 0 not (taken or settled), -1 error. */
int store_outbox_claim(struct bw_store *st, int64_t id, time_t now, time_t until);
/* Write back state, attempts, next_attempt and last_error of row->id. */
int store_outbox_update(struct bw_store *st, const struct bw_outbox_row *row);
/* All rows in a state (-1: every state), newest first, at most max (0: all). */
int store_outbox_list(struct bw_store *st, int state, unsigned max,
		      struct bw_outbox_row **rows, size_t *n);
/* Make a dead row (id > 0) or every dead row (id == 0) pending and due now.
 * Returns the number of rows changed, or -1. */
int store_outbox_retry(struct bw_store *st, int64_t id, time_t now);
/* Delete delivered rows (and dead ones when with_dead).  Returns the count, or -1. */
int store_outbox_purge(struct bw_store *st, bool with_dead);
/* Count rows per state: counts[BW_OUTBOX_PENDING..BW_OUTBOX_DEAD]. */
int store_outbox_count(struct bw_store *st, unsigned counts[3]);
void store_outbox_rows_free(struct bw_outbox_row *rows, size_t n);

/* Schema version of the open store (migrations applied at open). */
int store_schema_version(struct bw_store *st);

/* ---- processed messages, continued */
/* Record the processed marker of a message; *msg_id (may be NULL) gets its
 * row id.  Returns 0, or 1 when the message is already marked (by UID or
 * content key; e.g. another instance committed it meanwhile: the caller
 * rolls the whole message back and reports a duplicate), or -1. */
int store_mark_processed(struct bw_store *st, const char *account, const char *folder,
			 uint32_t uidvalidity, uint32_t uid, const char *content_key,
			 const char *verdict, time_t now, int64_t *msg_id);

/* ---- bounce events (SPEC §3 plus time) */
struct bw_event_rec {
	int64_t id;
	int64_t msg_id;              /* processed row, 0 when none */
	char account[64];
	time_t time;                 /* event time */
	struct bw_event ev;
};
int store_event_add(struct bw_store *st, int64_t msg_id, const char *account,
		    const struct bw_event *ev, time_t t, int64_t *event_id);
/* Events for address (every account), oldest first, at most max (0: all).
 * *recs is malloc'd: free() it. */
int store_events_for(struct bw_store *st, const char *address, unsigned max,
		     struct bw_event_rec **recs, size_t *n);

/* ---- address state (policy.h) */
/* Load (account, address) into *as, with the suppressed/deferred flags
 * filled from the lists.  Returns 0 (found) or 1 (new: *as zeroed but for
 * account, address and the flags) or -1. */
int store_address_get(struct bw_store *st, const char *account, const char *address,
		      struct bw_address_state *as);
int store_address_put(struct bw_store *st, const struct bw_address_state *as);
/* store_address_get() and store_hard_accounts(address, except account) in
 * one read: what the pipeline asks for every event.  Returns as
 * store_address_get(). */
int store_address_load(struct bw_store *st, const char *account, const char *address,
		       struct bw_address_state *as, unsigned *hard_accounts);
/* Inside a transaction: serialise on address until commit or rollback, so
 * instances deciding about one address at once decide as one would (the
 * second reads what the first committed).  Lock a message's addresses in
 * sorted order (no deadlock).  A no-op on SQLite (one writer at a time). */
int store_lock_address(struct bw_store *st, const char *address);
/* Every account's state of address.  *v is malloc'd: free() it. */
int store_address_all(struct bw_store *st, const char *address,
		      struct bw_address_state **v, size_t *n);
/* Number of accounts other than except where address has hard-bounced. */
int store_hard_accounts(struct bw_store *st, const char *address, const char *except,
			unsigned *n);

/* ---- the suppression list and the deferral list */
struct bw_listing {
	char address[BW_ADDR_MAX + 1];
	char scope[8];               /* "account" | "global" */
	char account[64];            /* "" for global */
	char reason[32];
	char detail[256];
	time_t created;
	int64_t event_id;            /* 0: added by hand */
};
/* Returns 0 (added) or 1 (already listed in that scope/account). */
int store_suppress_add(struct bw_store *st, const struct bw_listing *s);
/* Remove address: every row when account is NULL, else only the row of that
 * account ("" = the global row).  *removed (may be NULL) gets the count. */
int store_suppress_remove(struct bw_store *st, const char *address, const char *account,
			  unsigned *removed);
/* List (address may be NULL: all), ordered by address.  *v is malloc'd. */
int store_suppress_list(struct bw_store *st, const char *address,
			struct bw_listing **v, size_t *n);
int store_defer_add(struct bw_store *st, const struct bw_listing *d);
/* Same rules as store_suppress_remove(). */
int store_defer_remove(struct bw_store *st, const char *address, const char *account,
		       unsigned *removed);
int store_defer_list(struct bw_store *st, const char *address,
		     struct bw_listing **v, size_t *n);

/* ---- campaigns (policy.h: struct bw_campaign_stats) */
/* Load (account, campaign), creating it with the next sequence number of the
 * account at time t when new; the sent count is filled (-1 unknown). */
int store_campaign_touch(struct bw_store *st, const char *account, const char *campaign,
			 time_t t, struct bw_campaign_stats *cs);
/* Write back counters and alert flags of (cs->account, cs->campaign). */
int store_campaign_put(struct bw_store *st, const struct bw_campaign_stats *cs);
/* store_campaign_touch(), then add delta's hard, soft, block, complaint and
 * total to the counters, in one write: *cs gets the row after (sent
 * filled).  Only the alert flags are left for store_campaign_put(). */
int store_campaign_count(struct bw_store *st, const char *account, const char *campaign,
			 time_t t, const struct bw_campaign_stats *delta,
			 struct bw_campaign_stats *cs);
/* Record a sent count for campaign in account ("" = for every account). */
int store_campaign_set_sent(struct bw_store *st, const char *campaign, const char *account,
			    int64_t sent, time_t now);
/* Campaigns (campaign NULL: all), by account then sequence.  *v malloc'd. */
int store_campaign_list(struct bw_store *st, const char *campaign,
			struct bw_campaign_stats **v, size_t *n);

/* ---- decisions (history for `address`) */
struct bw_decision_rec {
	int64_t id;
	int64_t event_id;            /* 0: by hand or a rate alert */
	time_t time;
	struct bw_decision d;
};
int store_decision_add(struct bw_store *st, const struct bw_decision *d, int64_t event_id,
		       time_t t);
int store_decisions_for(struct bw_store *st, const char *address,
			struct bw_decision_rec **v, size_t *n);

/* ---- report (SPEC §7) */
enum bw_report_by { BW_BY_CAMPAIGN = 0, BW_BY_DOMAIN, BW_BY_REASON, BW_BY_ACCOUNT };
struct bw_report_row {
	char key[BW_MSGID_MAX];
	unsigned hard, soft, block, complaint, delayed, other, total;
	int64_t sent;                /* -1 unknown (rates only where known) */
};
/* Counts of events with time >= since (0: all), grouped.  *v malloc'd. */
int store_report(struct bw_store *st, enum bw_report_by by, time_t since,
		 struct bw_report_row **v, size_t *n);

/* ---- several instances sharing one store (SPEC §2; PostgreSQL) */
#define BW_LEASE_SECONDS 30          /* default lease time */
struct bw_instance {
	char id[96];                 /* "host:pid:random", unique per run */
	char host[128];
	int64_t pid;
	time_t started;
	time_t heartbeat;            /* last sign of life */
	unsigned leases;             /* store_instance_list(): unexpired leases held */
};
struct bw_lease {
	char account[64];
	char folder[256];
	char holder[96];             /* instance id, "" when free */
	time_t expires;
};
/* Record that self is alive at now (heartbeat); forgets instances silent
 * for an hour. */
int store_instance_beat(struct bw_store *st, const struct bw_instance *self, time_t now);
/* Shutdown: release every lease of instance id and forget it. */
int store_instance_leave(struct bw_store *st, const char *id);
/* Every known instance, by id.  *v malloc'd. */
int store_instance_list(struct bw_store *st, struct bw_instance **v, size_t *n);
/* Take or renew the lease on (account, folder) for instance id until
 * `until`: succeeds when it is free, expired at now, or already id's (on
 * SQLite always).  1 held, 0 held by another instance, -1 error. */
int store_lease_take(struct bw_store *st, const char *id, const char *account,
		     const char *folder, time_t now, time_t until);
/* Give the lease up (only when id holds it). */
int store_lease_release(struct bw_store *st, const char *id, const char *account,
			const char *folder);
/* Every lease, by account and folder.  *v malloc'd. */
int store_lease_list(struct bw_store *st, struct bw_lease **v, size_t *n);

/* One folder of the configuration, for store_lease_balance(). */
struct bw_lease_slot {
	const char *account;         /* borrowed */
	const char *folder;          /* borrowed */
	bool held;                   /* in: held before; out: held now (watch it) */
	bool give_up;                /* out: held beyond the fair share: stop its
					worker, then store_lease_release() it */
};
/*
 * store_lease_balance - one round of sharing the n folders of the
 * configuration between the live instances: heartbeat for self, renew the
 * leases held (a lease another instance took meanwhile is lost: held turns
 * false), then take free or expired ones up to the fair share,
 * ceil(n / live instances), or mark the ones beyond it give_up.  Leases
 * last ttl seconds from now.  Every instance must list the same folders.
 * Returns the number held, or -1 (then held is unchanged).
 */
int store_lease_balance(struct bw_store *st, const struct bw_instance *self,
			struct bw_lease_slot *slots, size_t n, time_t now, unsigned ttl);
/* Fill self for this process: id "host:pid:random", host, pid, started. */
void store_instance_self(struct bw_instance *self, time_t now);

#endif
