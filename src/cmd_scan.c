/*
 * cmd_scan.c - `bouncewatch scan`: one pass over every account and folder,
 * flush the hooks (bounded), print a summary, exit (SPEC §7).
 *
 * Exit: 0 when every account was scanned, 1 when one failed (the others are
 * still scanned) or the scan was interrupted, 2 on a usage or configuration
 * error.  --dry-run: EXAMINE instead of SELECT, no post-action, no state
 * written, no hook called.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "classify.h"
#include "cmd.h"
#include "daemon.h"
#include "hook.h"
#include "log.h"
#include "pipeline.h"
#include "privs.h"
#include "source_imap.h"
#include "store.h"
#include "util.h"

#define SCAN_FLUSH_S 30     /* longest wait for hook deliveries before exit */
#define SCAN_RECONNECTS 2   /* per account, after a dropped connection */

struct scan_run {
	bool tty;               /* progress line on stderr */
	bool shown;             /* a progress line is on screen */
	const char *account;    /* the current account, for the progress line */
	struct timespec last;   /* last progress update */
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: bouncewatch scan [-c FILE] [--state PATH] [--dry-run] [--account NAME] [--json]\n"
		"One pass over every account and folder: classify, record, post-actions, hooks.\n"
		"  -n, --dry-run        classify and report; change nothing anywhere\n"
		"  -a, --account NAME   only this account\n"
		"      --json           the summary as one JSON object\n"
		"  -q, --quiet          no progress line, no summary unless something failed\n");
}

static bool scan_should_stop(void *arg)
{
	(void)arg;
	return daemon_sig_stop != 0;
}

static double elapsed_ms(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static void progress(void *arg, const char *folder, uint32_t done, uint32_t total)
{
	struct scan_run *r = arg;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (done != total && r->shown && elapsed_ms(&r->last, &now) < 100)
		return;
	r->last = now;
	r->shown = true;
	fprintf(stderr, "\r\033[K%s/%s: %u/%u messages (%u%%)", r->account, folder, done, total,
		total ? (unsigned)((uint64_t)done * 100 / total) : 100);
	fflush(stderr);
}

static void progress_clear(struct scan_run *r)
{
	if (r->shown) {
		fprintf(stderr, "\r\033[K");
		fflush(stderr);
		r->shown = false;
	}
}

static void add_stats(struct imap_stats *to, const struct imap_stats *s)
{
	to->messages += s->messages;
	to->processed += s->processed;
	to->duplicates += s->duplicates;
	for (int i = 0; i < BW_VERDICT__COUNT; i++)
		to->verdicts[i] += s->verdicts[i];
	to->events += s->events;
	to->decisions += s->decisions;
	for (int i = 0; i < BW_DEC__COUNT; i++)
		to->decisions_by[i] += s->decisions_by[i];
	to->actions += s->actions;
	to->errors += s->errors;
}

/* Scan one account: every folder, one connection.  false when it failed. */
static bool scan_account(const struct bw_config *cfg, const struct bw_account *a,
			 struct bw_store *st, struct bw_pipeline *p, bool dry_run,
			 struct scan_run *run, struct imap_stats *total)
{
	struct imap_env env = {
		.acct = a, .pipeline = p, .store = st, .dry_run = dry_run,
		.max_message_bytes = cfg->classify.limits.max_message_bytes, .quiet = true,
		.should_stop = scan_should_stop, .stop_arg = NULL,
		.progress = run->tty ? progress : NULL, .progress_arg = run,
	};
	struct imap_stats stats;
	memset(&stats, 0, sizeof stats);
	run->account = a->name;
	struct imap_session *s = imap_new(&env);
	bool ok = imap_connect(s) == IMAP_OK;
	unsigned reconnects = 0;
	for (size_t f = 0; ok && f < a->n_folders && !daemon_sig_stop; f++) {
		enum imap_rc r = imap_sync(s, a->folders[f], &stats);
		progress_clear(run);
		if (r == IMAP_STOPPED)
			break;
		if (r == IMAP_FAIL_FOLDER) {
			stats.errors++;     /* the other folders are still scanned */
			continue;
		}
		if ((r == IMAP_FAIL_WAIT || r == IMAP_FAIL_TEMP) && reconnects++ < SCAN_RECONNECTS) {
			/* the connection dropped: once more, from the recorded UID */
			sleep(1);
			if (imap_connect(s) == IMAP_OK) {
				f--;
				continue;
			}
		}
		if (r != IMAP_OK)
			ok = false;
	}
	progress_clear(run);
	imap_free(s);
	if (!ok)
		stats.errors++;
	log_info("account %s: %lu message%s, %lu new, %lu already processed, %lu error%s",
		 a->name, stats.messages, stats.messages == 1 ? "" : "s", stats.processed,
		 stats.duplicates, stats.errors, stats.errors == 1 ? "" : "s");
	add_stats(total, &stats);
	return ok && stats.errors == 0;
}

static void print_summary(FILE *out, const struct imap_stats *t, unsigned accounts,
			  unsigned failed, const struct dispatcher_stats *ds, int pending,
			  bool dry_run, bool interrupted)
{
	fprintf(out, "%s%s: %lu message%s in %u account%s: %lu new, %lu already processed\n",
		dry_run ? "dry run " : "", interrupted ? "scan interrupted" : "scan",
		t->messages, t->messages == 1 ? "" : "s", accounts, accounts == 1 ? "" : "s",
		t->processed, t->duplicates);
	fprintf(out, "  verdicts:");
	for (int i = 0; i < BW_VERDICT__COUNT; i++)
		fprintf(out, "%s %s %lu", i ? "," : "", bw_verdict_name((enum bw_verdict)i),
			t->verdicts[i]);
	fprintf(out, "\n  events: %lu; decisions: %lu", t->events, t->decisions);
	bool first = true;
	for (int i = 0; i < BW_DEC__COUNT; i++) {
		if (!t->decisions_by[i])
			continue;
		fprintf(out, "%s%s %lu", first ? " (" : ", ",
			bw_decision_name((enum bw_decision_type)i), t->decisions_by[i]);
		first = false;
	}
	fprintf(out, "%s\n  post-actions: %lu message%s; errors: %lu; accounts failed: %u\n",
		first ? "" : ")", t->actions, t->actions == 1 ? "" : "s", t->errors, failed);
	if (ds)
		fprintf(out, "  hooks: %lu delivered, %lu failed attempts, %lu dead, %d pending\n",
			ds->delivered, ds->failed, ds->dead, pending < 0 ? 0 : pending);
}

static void print_json(FILE *out, const struct imap_stats *t, unsigned accounts,
		       unsigned failed, const struct dispatcher_stats *ds, int pending,
		       bool dry_run, bool interrupted)
{
	json_t *v = json_object(), *d = json_object();
	for (int i = 0; i < BW_VERDICT__COUNT; i++)
		json_object_set_new(v, bw_verdict_name((enum bw_verdict)i),
				    json_integer((json_int_t)t->verdicts[i]));
	for (int i = 0; i < BW_DEC__COUNT; i++)
		json_object_set_new(d, bw_decision_name((enum bw_decision_type)i),
				    json_integer((json_int_t)t->decisions_by[i]));
	json_t *o = json_pack("{s:b, s:b, s:i, s:i, s:I, s:I, s:I, s:o, s:I, s:I, s:o, s:I, s:I}",
			      "dry_run", dry_run, "interrupted", interrupted,
			      "accounts", (int)accounts, "accounts_failed", (int)failed,
			      "messages", (json_int_t)t->messages,
			      "processed", (json_int_t)t->processed,
			      "duplicates", (json_int_t)t->duplicates, "verdicts", v,
			      "events", (json_int_t)t->events,
			      "decisions", (json_int_t)t->decisions, "decisions_by", d,
			      "post_actions", (json_int_t)t->actions,
			      "errors", (json_int_t)t->errors);
	if (o && ds) {
		json_object_set_new(o, "hooks", json_pack("{s:I, s:I, s:I, s:i}",
			"delivered", (json_int_t)ds->delivered, "failed", (json_int_t)ds->failed,
			"dead", (json_int_t)ds->dead, "pending", pending < 0 ? 0 : pending));
	}
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	if (!s)
		fatal("out of memory (JSON summary)");
	fprintf(out, "%s\n", s);
	free(s);
	json_decref(o);
}

struct scan_opts {
	bool dry_run, json, quiet;
	const char *account;
};

static int parse_args(int argc, char **argv, struct bw_opts *opts, struct scan_opts *so)
{
	static const struct option longopts[] = {
		CMD_COMMON_LONGOPTS,
		{ "dry-run", no_argument, NULL, 'n' },
		{ "account", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "c:na:qh", longopts, NULL)) != -1) {
		if (cmd_common_opt(c, optarg, opts))
			continue;
		switch (c) {
		case 'n': so->dry_run = true; break;
		case 'a': so->account = optarg; break;
		case 'j': so->json = true; break;
		case 'q': so->quiet = true; break;
		case 'h': usage(stdout); return -1;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "bouncewatch scan: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	return 0;
}

/* Check --account and that there is something to scan. */
static int check_accounts(const struct bw_config *cfg, const char *only)
{
	if (cfg->n_accounts == 0) {
		fprintf(stderr, "bouncewatch scan: no account configured in %s\n",
			cfg->path ? cfg->path : "the configuration");
		return EXIT_USAGE;
	}
	if (!only)
		return 0;
	for (size_t i = 0; i < cfg->n_accounts; i++)
		if (strcmp(cfg->accounts[i].name, only) == 0)
			return 0;
	fprintf(stderr, "bouncewatch scan: no account named '%s'\n", only);
	return EXIT_USAGE;
}

/* The hooks after the scan: deliver what is due, at most SCAN_FLUSH_S. */
static int flush_hooks(const struct bw_config *cfg, struct bw_store *st,
		       struct dispatcher_stats *ds)
{
	struct bw_dispatcher *d = dispatcher_new(cfg, st);
	int left = dispatcher_flush(d, SCAN_FLUSH_S);
	dispatcher_stats(d, ds);
	dispatcher_free(d);
	if (left > 0)
		log_warn("%d hook deliver%s still pending: the next scan or `run` retries them",
			 left, left == 1 ? "y is" : "ies are");
	return left;
}

int cmd_scan(int argc, char **argv, struct bw_opts *opts)
{
	struct scan_opts so = { false, false, false, NULL };
	int rc = parse_args(argc, argv, opts, &so);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	struct bw_config cfg;
	rc = cmd_load_config(opts, &cfg);
	if (rc)
		return rc;
	rc = check_accounts(&cfg, so.account);
	char perr[256];
	if (!rc && privs_drop(cfg.user, perr, sizeof perr) < 0) {
		fprintf(stderr, "bouncewatch scan: %s\n", perr);
		rc = EXIT_USAGE;
	}
	char *secret = NULL;
	if (!rc && cfg.classify.verp.secret_file[0]) {
		secret = conf_read_secret(cfg.classify.verp.secret_file, NULL, "VERP secret", stderr);
		if (!secret)
			rc = EXIT_USAGE;
	}
	if (rc) {
		conf_free(&cfg);
		return rc;
	}
	char err[512];
	struct bw_store *st = store_open(cfg.state, err, sizeof err);
	if (!st) {
		fprintf(stderr, "bouncewatch scan: state store: %s\n", err);
		conf_secret_free(secret);
		conf_free(&cfg);
		return EXIT_RUNTIME;
	}
	daemon_signals_install();
	struct bw_classifier *cl = classifier_new(&cfg.classify, secret);
	conf_secret_free(secret);
	struct bw_pipeline *p = pipeline_new(&cfg, st, cl, so.dry_run);
	struct scan_run run = { isatty(STDERR_FILENO) && !so.quiet, false, "", { 0, 0 } };
	struct imap_stats total;
	memset(&total, 0, sizeof total);
	unsigned accounts = 0, failed = 0;
	for (size_t i = 0; i < cfg.n_accounts && !daemon_sig_stop; i++) {
		const struct bw_account *a = &cfg.accounts[i];
		if (so.account && strcmp(a->name, so.account) != 0)
			continue;
		accounts++;
		if (!scan_account(&cfg, a, st, p, so.dry_run, &run, &total))
			failed++;
	}
	bool interrupted = daemon_sig_stop != 0;
	struct dispatcher_stats ds = { 0, 0, 0 };
	int pending = 0;
	bool hooks = !so.dry_run && cfg.n_hooks > 0;
	if (hooks && !interrupted)
		pending = flush_hooks(&cfg, st, &ds);
	if (so.json)
		print_json(stdout, &total, accounts, failed, hooks ? &ds : NULL, pending,
			   so.dry_run, interrupted);
	else if (!so.quiet || failed || interrupted)
		print_summary(stdout, &total, accounts, failed, hooks ? &ds : NULL, pending,
			      so.dry_run, interrupted);
	pipeline_free(p);
	classifier_free(cl);
	store_close(st);
	conf_free(&cfg);
	return failed || interrupted ? EXIT_RUNTIME : EXIT_OK;
}
