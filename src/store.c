/*
 * store.c - the store interface (store.h) in front of its backends: the
 * `state` setting chooses SQLite (a path) or PostgreSQL (a postgresql://
 * URL); every store_NAME() then calls the backend's NAME (store_p.h).
 * What does not depend on the backend lives here: errors, the fault
 * injection counter, freeing rows, and the fair sharing of leases.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <nettle/md5.h>

#include "store.h"
#include "store_p.h"
#include "util.h"

bool store_spec_is_pg(const char *spec)
{
	return strncmp(spec, "postgresql://", 13) == 0 || strncmp(spec, "postgres://", 11) == 0;
}

struct bw_store *store_open_version(const char *spec, int max_version, char *err, size_t errsz)
{
	if (!spec || !*spec) {
		snprintf(err, errsz, "state: empty");
		return NULL;
	}
	if (store_spec_is_pg(spec))
		return store_pg_open(spec, max_version, err, errsz);
	return store_sqlite_open(spec, max_version, err, errsz);
}

struct bw_store *store_open(const char *spec, char *err, size_t errsz)
{
	return store_open_version(spec, BW_STORE_SCHEMA_VERSION, err, errsz);
}

void store_close(struct bw_store *st)
{
	if (st)
		st->ops->close(st);
}

const char *store_error(const struct bw_store *st)
{
	return st->err;
}

const char *store_backend(const struct bw_store *st)
{
	return st->ops->backend;
}

bool store_is_shared(const struct bw_store *st)
{
	return st->ops->shared;
}

void store_set_error(struct bw_store *st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(st->err, sizeof st->err, fmt, ap);
	va_end(ap);
}

void store_key16(const char *content_key, uint8_t out[BW_KEY16_LEN])
{
	struct md5_ctx ctx;
	md5_init(&ctx);
	md5_update(&ctx, strlen(content_key), (const uint8_t *)content_key);
	md5_digest(&ctx, BW_KEY16_LEN, out);
}

void store_test_fail_after(struct bw_store *st, int n)
{
	st->fail_after = n;
}

void store_outbox_rows_free(struct bw_outbox_row *rows, size_t n)
{
	if (!rows)
		return;
	for (size_t i = 0; i < n; i++)
		free(rows[i].payload);
	free(rows);
}

/* store_NAME(...) -> st->ops->NAME(...) for every operation of store_p.h */
#define BW_STORE_DISPATCH(ret, fn, params, args) \
	ret store_##fn params { return st->ops->fn args; }
BW_STORE_OPS(BW_STORE_DISPATCH)
#undef BW_STORE_DISPATCH

/* ---------------------------------------------------------------- leases */

void store_instance_self(struct bw_instance *self, time_t now)
{
	uint32_t rnd = 0;
	memset(self, 0, sizeof *self);
	if (gethostname(self->host, sizeof self->host - 1) < 0 || !self->host[0])
		snprintf(self->host, sizeof self->host, "localhost");
	if (getrandom(&rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
		rnd = (uint32_t)now ^ (uint32_t)getpid() * 2654435761u;
	self->pid = (int64_t)getpid();
	self->started = now;
	self->heartbeat = now;
	snprintf(self->id, sizeof self->id, "%.80s:%lld:%04x", self->host, (long long)self->pid,
		 (unsigned)(rnd & 0xffff));
}

/* Live instances: a heartbeat within the last ttl seconds (self counts). */
static int live_instances(struct bw_store *st, time_t now, unsigned ttl, unsigned *live)
{
	struct bw_instance *v;
	size_t n;
	if (store_instance_list(st, &v, &n) < 0)
		return -1;
	*live = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i].heartbeat > now - (time_t)ttl)
			(*live)++;
	free(v);
	if (*live == 0)
		*live = 1;
	return 0;
}

/* A start offset from the instance id, so that instances starting together
 * try different folders first. */
static size_t start_offset(const char *id, size_t n)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)id; *p; p++)
		h = (h ^ *p) * 16777619u;
	return n ? h % n : 0;
}

int store_lease_balance(struct bw_store *st, const struct bw_instance *self,
			struct bw_lease_slot *slots, size_t n, time_t now, unsigned ttl)
{
	unsigned live = 1, held = 0;
	time_t until = now + (time_t)ttl;
	bool *keep = xcalloc(n ? n : 1, sizeof *keep);
	int rc = -1;

	if (store_instance_beat(st, self, now) < 0 ||
	    (st->ops->shared && live_instances(st, now, ttl, &live) < 0))
		goto out;
	size_t share = st->ops->shared ? (n + live - 1) / live : n;
	/* renew what is held */
	for (size_t i = 0; i < n; i++) {
		if (!slots[i].held)
			continue;
		int r = store_lease_take(st, self->id, slots[i].account, slots[i].folder, now, until);
		if (r < 0)
			goto out;
		keep[i] = r == 1;
		held += r == 1;
	}
	/* take free or expired ones up to the fair share */
	size_t off = start_offset(self->id, n);
	for (size_t k = 0; k < n && held < share; k++) {
		size_t i = (off + k) % n;
		if (keep[i])
			continue;
		int r = store_lease_take(st, self->id, slots[i].account, slots[i].folder, now, until);
		if (r < 0)
			goto out;
		keep[i] = r == 1;
		held += r == 1;
	}
	/* beyond the share: the caller stops those workers, then releases */
	size_t over = held > share ? held - share : 0;
	for (size_t i = 0; i < n; i++) {
		slots[i].held = keep[i];
		slots[i].give_up = false;
	}
	for (size_t k = n; k-- > 0 && over > 0;) {
		if (slots[k].held) {
			slots[k].give_up = true;
			over--;
		}
	}
	rc = (int)held;
out:
	free(keep);
	return rc;
}
