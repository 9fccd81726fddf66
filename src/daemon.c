/*
 * daemon.c - the `run` main loop.  See daemon.h.
 *
 * Threads: one worker per (account, folder), so that every watched folder has
 * its own connection and its own IDLE.  A worker owns its IMAP session, its
 * state-store handle (SQLite handles are opened NOMUTEX: never shared), its
 * classifier and its pipeline; the configuration is shared read-only.  The
 * main thread owns the hook dispatcher (with its own store handle) and is the
 * only thread that receives signals: workers are created with them blocked.
 *
 * A "generation" is one configuration with its workers; a reload builds the
 * new configuration, and only when it is valid stops the old generation
 * (every worker finishes its current message) and starts the new one.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "classify.h"
#include "daemon.h"
#include "hook.h"
#include "log.h"
#include "metrics.h"
#include "pipeline.h"
#include "source_imap.h"
#include "store.h"
#include "util.h"

#define WAIT_CAP_S   120   /* longest pause between reconnects after a network failure */
#define FINAL_MIN_S  30    /* a refused login or certificate: do not hammer the server */
#define FINAL_CAP_S  600
#define MAIN_TICK_MS 250

volatile sig_atomic_t daemon_sig_stop;
volatile sig_atomic_t daemon_sig_hup;

static void on_stop(int sig)
{
	(void)sig;
	__atomic_store_n(&daemon_sig_stop, 1, __ATOMIC_SEQ_CST);   /* workers read it */
}

static void on_hup(int sig)
{
	(void)sig;
	daemon_sig_hup = 1;
}

void daemon_signals_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* ------------------------------------------------------------ workers */

struct gen;

struct worker {
	pthread_t tid;
	bool started;
	const struct gen *g;            /* borrowed */
	const struct bw_account *acct;  /* borrowed from g->cfg */
	const char *folder;             /* borrowed from acct */
	atomic_int stop;                /* set by the main thread */
	uint32_t rnd;                   /* xorshift state for jitter */
};

struct gen {
	struct bw_config cfg;           /* owned */
	char *verp_secret;              /* owned, scrubbed */
	struct worker *w;               /* owned */
	size_t n;
	struct bw_store *st;            /* owned: the dispatcher's handle */
	struct bw_dispatcher *disp;     /* owned, NULL without hooks */
	struct bw_instance *self;       /* borrowed: this process, across reloads */
	struct bw_lease_slot *slots;    /* owned: one per worker, for the leases */
	time_t next_round;              /* when to renew and share the leases again */
	time_t last_renew;              /* the last successful lease round */
	bool leaving;                   /* the final stop: give the leases up */
};

/* The worker's own flag (reload, shutdown), or SIGTERM seen this very moment
 * (the main thread would set the flag a tick later). */
static bool worker_should_stop(void *arg)
{
	struct worker *w = arg;
	return atomic_load(&w->stop) != 0 || __atomic_load_n(&daemon_sig_stop, __ATOMIC_SEQ_CST);
}

static uint32_t next_rnd(struct worker *w)
{
	uint32_t x = w->rnd ? w->rnd : 2463534242u;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	w->rnd = x;
	return x;
}

/* Sleep s seconds unless told to stop; false when told. */
static bool worker_nap(struct worker *w, unsigned s)
{
	for (long ms = (long)s * 1000; ms > 0; ms -= MAIN_TICK_MS) {
		if (worker_should_stop(w))
			return false;
		struct timespec ts = { 0, MAIN_TICK_MS * 1000000L };
		nanosleep(&ts, NULL);
	}
	return !worker_should_stop(w);
}

/* How long to wait after a failure of class r, the n-th in a row. */
static unsigned pause_after(struct worker *w, enum imap_rc r, unsigned n)
{
	if (r == IMAP_FAIL_FINAL || r == IMAP_FAIL_FOLDER) {
		unsigned d = imap_backoff(n, FINAL_CAP_S, next_rnd(w));
		return d < FINAL_MIN_S ? FINAL_MIN_S : d;
	}
	return imap_backoff(n, WAIT_CAP_S, next_rnd(w));
}

/* Connected: sync, wait, sync... until a failure or a stop. */
static enum imap_rc watch(struct worker *w, struct imap_session *s, struct imap_stats *st,
			  unsigned *failures)
{
	for (;;) {
		enum imap_rc r = imap_sync(s, w->folder, st);
		if (r != IMAP_OK)
			return r;
		metrics_set(BW_M_IMAP_LAST_POLL, (double)time(NULL), w->acct->name, NULL);
		*failures = 0;
		r = imap_wait(s, 0);
		if (r != IMAP_OK)
			return r;
	}
}

/* One account's folder, until stopped.  Never gives up: a daemon waits for
 * the server, the network or the administrator to come back. */
static void worker_loop(struct worker *w, struct bw_store *store)
{
	const struct bw_config *cfg = &w->g->cfg;
	struct bw_classifier *cl = classifier_new(&cfg->classify, w->g->verp_secret);
	struct bw_pipeline *p = pipeline_new(cfg, store, cl, false);
	struct imap_env env = {
		.acct = w->acct, .pipeline = p, .store = store, .dry_run = false,
		.max_message_bytes = cfg->classify.limits.max_message_bytes,
		.should_stop = worker_should_stop, .stop_arg = w,
	};
	struct imap_session *s = imap_new(&env);
	struct imap_stats stats;
	unsigned failures = 0;
	memset(&stats, 0, sizeof stats);

	while (!worker_should_stop(w)) {
		enum imap_rc r = imap_connect(s);
		if (r == IMAP_OK) {
			metrics_inc(BW_M_IMAP_CONNECTS, w->acct->name, NULL);
			metrics_add(BW_M_IMAP_RECONNECTS, failures ? 1 : 0, w->acct->name, NULL);
			if (failures)
				log_notice("account %s: folder %s: reconnected", w->acct->name, w->folder);
			r = watch(w, s, &stats, &failures);
		}
		if (r == IMAP_STOPPED || worker_should_stop(w))
			break;
		imap_disconnect(s);
		unsigned d = pause_after(w, r, failures++);
		log_notice("account %s: folder %s: reconnecting in %u s", w->acct->name, w->folder, d);
		if (!worker_nap(w, d))
			break;
	}
	imap_free(s);
	log_info("account %s: folder %s: stopped (%lu messages, %lu processed, %lu duplicates, "
		 "%lu errors)", w->acct->name, w->folder, stats.messages, stats.processed,
		 stats.duplicates, stats.errors);
	pipeline_free(p);
	classifier_free(cl);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned n = 0;
	char err[512];
	struct bw_store *st = NULL;
	while (!worker_should_stop(w)) {
		st = store_open(w->g->cfg.state, err, sizeof err);
		if (st)
			break;
		unsigned d = imap_backoff(n++, WAIT_CAP_S, next_rnd(w));
		log_error("account %s: state store: %s (retrying in %u s)", w->acct->name, err, d);
		if (!worker_nap(w, d))
			return NULL;
	}
	if (st) {
		worker_loop(w, st);
		store_close(st);
	}
	return NULL;
}

/* ------------------------------------------------------------ generations */

/* Register every account's password for redaction here, in the main thread,
 * while no worker runs (log.c's secret list is not locked); the workers'
 * log_redact() calls then find them and change nothing. */
static void redact_passwords(const struct bw_config *cfg)
{
	for (size_t i = 0; i < cfg->n_accounts; i++) {
		const struct bw_account *a = &cfg->accounts[i];
		if (a->password_inline && *a->password_inline)
			log_redact(a->password_inline);
		if (!*a->password_file && !*a->password_env)
			continue;
		char *pw = conf_read_secret(a->password_file, a->password_env, "password", NULL);
		if (pw)
			log_redact(pw);
		conf_secret_free(pw);
	}
}

/* Everything a generation needs before workers start.  -1: logged. */
static int gen_prepare(struct gen *g)
{
	char err[512];
	if (g->cfg.classify.verp.secret_file[0]) {
		g->verp_secret = conf_read_secret(g->cfg.classify.verp.secret_file, NULL,
						  "VERP secret", stderr);
		if (!g->verp_secret) {
			log_error("cannot read the VERP secret %s", g->cfg.classify.verp.secret_file);
			return -1;
		}
	}
	g->st = store_open(g->cfg.state, err, sizeof err);
	if (!g->st) {
		log_error("state store: %s", err);
		return -1;
	}
	if (g->cfg.n_hooks)
		g->disp = dispatcher_new(&g->cfg, g->st);
	return 0;
}

/* ------------------------------------------------------------ leases */

/* Lease time: BOUNCEWATCH_LEASE_SECONDS (2..3600), else BW_LEASE_SECONDS. */
static unsigned lease_seconds(void)
{
	const char *e = getenv("BOUNCEWATCH_LEASE_SECONDS");
	if (e && *e) {
		char *end;
		unsigned long v = strtoul(e, &end, 10);
		if (*end == '\0' && v >= 2 && v <= 3600)
			return (unsigned)v;
	}
	return BW_LEASE_SECONDS;
}

static void worker_start(struct worker *w)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);   /* workers inherit: signals stay ours */
	atomic_store(&w->stop, 0);
	int rc = pthread_create(&w->tid, NULL, worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		fatal("cannot start a thread for account %s: %s", w->acct->name, strerror(rc));
	w->started = true;
}

/* Stop one worker (it finishes its current message) and wait for it. */
static void worker_join(struct worker *w)
{
	if (!w->started)
		return;
	atomic_store(&w->stop, 1);
	pthread_join(w->tid, NULL);
	w->started = false;
}

/*
 * lease_round - renew the leases of the running workers, take a fair share
 * of the free ones, and make the workers match: start a worker for a folder
 * taken, stop one whose lease was lost, stop then release one beyond the
 * fair share.  SQLite: this instance holds every folder.  When the store
 * cannot be reached for a whole lease time, every worker stops (another
 * instance may hold the leases by then).
 */
static void lease_round(struct gen *g, time_t now)
{
	unsigned ttl = lease_seconds();
	g->next_round = now + (ttl / 3 ? ttl / 3 : 1);
	for (size_t i = 0; i < g->n; i++)
		g->slots[i].held = g->w[i].started;
	if (store_lease_balance(g->st, g->self, g->slots, g->n, now, ttl) < 0) {
		log_error("leases: %s", store_error(g->st));
		/* SQLite: nobody else can take them; shared: after a lease time
		 * another instance may hold them */
		if (!store_is_shared(g->st) || now - g->last_renew < (time_t)ttl)
			return;
		for (size_t i = 0; i < g->n; i++) {
			if (g->w[i].started)
				log_error("account %s: folder %s: lease not renewed for %u s: stopping",
					  g->w[i].acct->name, g->w[i].folder, ttl);
			worker_join(&g->w[i]);
		}
		return;
	}
	g->last_renew = now;
	bool shared = store_is_shared(g->st);
	for (size_t i = 0; i < g->n; i++) {
		struct worker *w = &g->w[i];
		if (g->slots[i].give_up) {
			worker_join(w);
			if (store_lease_release(g->st, g->self->id, w->acct->name, w->folder) < 0)
				log_error("leases: %s", store_error(g->st));
			log_notice("account %s: folder %s: left to another instance (fair share)",
				   w->acct->name, w->folder);
		} else if (g->slots[i].held && !w->started) {
			if (shared)
				log_notice("account %s: folder %s: lease taken", w->acct->name, w->folder);
			worker_start(w);
		} else if (!g->slots[i].held && w->started) {
			log_warn("account %s: folder %s: lease lost to another instance: stopping",
				 w->acct->name, w->folder);
			worker_join(w);
		}
	}
}

static void gen_start(struct gen *g)
{
	redact_passwords(&g->cfg);   /* no worker runs now: nobody reads the list */
	size_t n = 0;
	for (size_t i = 0; i < g->cfg.n_accounts; i++)
		n += g->cfg.accounts[i].n_folders;
	g->w = xcalloc(n + 1, sizeof *g->w);
	g->n = 0;

	g->slots = xcalloc(n + 1, sizeof *g->slots);
	for (size_t i = 0; i < g->cfg.n_accounts; i++) {
		const struct bw_account *a = &g->cfg.accounts[i];
		for (size_t f = 0; f < a->n_folders; f++) {
			struct worker *w = &g->w[g->n];
			w->g = g;
			w->acct = a;
			w->folder = a->folders[f];
			atomic_init(&w->stop, 0);
			w->rnd = (uint32_t)time(NULL) ^ (uint32_t)((g->n + 1) * 2654435761u) ^ (uint32_t)getpid();
			g->slots[g->n].account = a->name;
			g->slots[g->n].folder = w->folder;
			g->n++;
		}
	}
	/* a worker runs only for a folder this instance holds the lease on */
	lease_round(g, time(NULL));
	if (g->n == 0)
		log_warn("no account configured: only hook deliveries will run");
	else
		log_notice("watching %zu folder%s in %zu account%s", g->n, g->n == 1 ? "" : "s",
			   g->cfg.n_accounts, g->cfg.n_accounts == 1 ? "" : "s");
}

/* Stop the workers (each finishes its message), then free everything. */
static void gen_stop(struct gen *g)
{
	for (size_t i = 0; i < g->n; i++)
		atomic_store(&g->w[i].stop, 1);
	for (size_t i = 0; i < g->n; i++)
		if (g->w[i].started)
			pthread_join(g->w[i].tid, NULL);
	if (g->leaving && g->st && g->self && store_instance_leave(g->st, g->self->id) < 0)
		log_error("leases: %s", store_error(g->st));
	free(g->w);
	g->w = NULL;
	free(g->slots);
	g->slots = NULL;
	g->n = 0;
	dispatcher_free(g->disp);
	g->disp = NULL;
	store_close(g->st);
	g->st = NULL;
	conf_secret_free(g->verp_secret);
	g->verp_secret = NULL;
	conf_free(&g->cfg);
}

/* ------------------------------------------------------------ main thread */

static void reload(struct gen *g, daemon_reload_fn fn, void *arg)
{
	struct gen ng;
	memset(&ng, 0, sizeof ng);
	ng.self = g->self;
	log_notice("SIGHUP: reloading the configuration");
	if (!fn || fn(arg, &ng.cfg) != 0) {
		log_error("the new configuration is invalid: refused, the old one stays in force");
		return;
	}
	if (gen_prepare(&ng) < 0) {
		log_error("the new configuration cannot be used: refused, the old one stays in force");
		gen_stop(&ng);
		return;
	}
	gen_stop(g);
	*g = ng;
	gen_start(g);
	log_notice("configuration reloaded");
}

static void tick(struct gen *g)
{
	int busy = 0;
	time_t now = time(NULL);
	if (now >= g->next_round)
		lease_round(g, now);
	if (g->disp)
		busy = dispatcher_step(g->disp, MAIN_TICK_MS);
	metrics_set(BW_M_HOOK_QUEUE, busy > 0 ? busy : 0, NULL, NULL);
	if (busy <= 0) {
		struct timespec ts = { 0, MAIN_TICK_MS * 1000000L };
		nanosleep(&ts, NULL);   /* a signal cuts it short: fine */
	}
}

int daemon_run(struct bw_config *cfg, bool foreground, daemon_reload_fn fn, void *arg)
{
	struct gen g;
	struct bw_instance self;
	memset(&g, 0, sizeof g);
	store_instance_self(&self, time(NULL));
	g.self = &self;
	g.cfg = *cfg;
	memset(cfg, 0, sizeof *cfg);

	/* privileges were dropped by the caller (privs_drop() in cmd_run.c) */
	if (!foreground) {
		if (daemon(1, 0) < 0) {
			log_error("cannot detach: %s", strerror(errno));
			conf_free(&g.cfg);
			return 1;
		}
		log_setup(g.cfg.log_level, "syslog", g.cfg.log_format);
	}
	daemon_signals_install();
	char merr[256];
	if (metrics_start(g.cfg.metrics_listen, merr, sizeof merr) < 0) {
		log_error("%s", merr);
		conf_free(&g.cfg);
		return 1;
	}
	if (gen_prepare(&g) < 0) {
		gen_stop(&g);
		return 1;
	}
	gen_start(&g);
	log_notice("bouncewatch %s running (pid %ld)", PACKAGE_VERSION, (long)getpid());
	while (!daemon_sig_stop) {
		if (daemon_sig_hup) {
			daemon_sig_hup = 0;
			reload(&g, fn, arg);
		}
		tick(&g);
	}
	log_notice("stopping: finishing the current messages");
	for (size_t i = 0; i < g.n; i++)
		atomic_store(&g.w[i].stop, 1);
	if (g.disp)
		dispatcher_flush(g.disp, 5);
	g.leaving = true;
	gen_stop(&g);
	metrics_stop();
	log_notice("stopped");
	return 0;
}
