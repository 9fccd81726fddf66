/*
 * cmd_outbox.c - `bouncewatch outbox list|retry|flush|purge` (SPEC §6, §7):
 * see pending and dead-letter hook deliveries, replay them, deliver what is
 * due now, forget what was delivered.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "conf.h"
#include "hook.h"
#include "log.h"
#include "store.h"
#include "util.h"

#define DEFAULT_FLUSH_TIMEOUT 30

static const char usage_text[] =
	"Usage: bouncewatch outbox list [--state pending|dead|done|all] [--limit N] [--json]\n"
	"       bouncewatch outbox retry ID|--all-dead|--all [--no-flush] [--timeout S]\n"
	"       bouncewatch outbox flush [--timeout S]\n"
	"       bouncewatch outbox purge [--dead]\n\n"
	"Hook deliveries waiting in the outbox (SPEC §6).\n"
	"  list    pending and dead deliveries (--state to choose), newest first\n"
	"  retry   make a dead (or waiting) delivery due now and deliver it; --all-dead\n"
	"          replays every dead letter, --all also every pending one\n"
	"  flush   deliver what is due now (waits for retries due within --timeout)\n"
	"  purge   delete delivered rows (with --dead, dead letters too)\n"
	"Options: -c FILE, --state PATH as everywhere; --timeout S bounds the delivery\n"
	"(default 30 s); what is left stays for the next run.\n";

struct outbox_args {
	const char *action;
	const char *id_arg;
	int state;              /* -1 all, -2 pending+dead (list default) */
	unsigned limit;
	bool json, all_dead, all, no_flush, dead;
	int timeout;
};

/* show - print s for a terminal: control characters become '?'. */
static void show(FILE *out, const char *s, size_t max)
{
	size_t n = 0;
	for (; *s && n < max; s++, n++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, out);
}

static void iso_time(time_t t, char out[32])
{
	struct tm tm;
	if (t <= 0 || !gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, 32, "-");
}

static void list_row_json(const struct bw_outbox_row *r)
{
	char created[32], next[32];
	iso_time(r->created, created);
	iso_time(r->next_attempt, next);
	json_t *payload = json_loads(r->payload ? r->payload : "null", JSON_DECODE_ANY, NULL);
	json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:o}",
			      "id", (json_int_t)r->id, "webhook_id", r->webhook_id,
			      "hook", r->hook, "event", r->event,
			      "state", outbox_state_name(r->state), "attempts", (int)r->attempts,
			      "created", created, "next_attempt", next,
			      "last_error", r->last_error, "payload", payload ? payload : json_null());
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	if (s)
		puts(s);
	free(s);
	json_decref(o);
}

static void list_row_text(const struct bw_outbox_row *r)
{
	char when[32];
	iso_time(r->next_attempt, when);
	json_t *p = json_loads(r->payload ? r->payload : "{}", 0, NULL);
	const char *rcpt = json_string_value(json_object_get(p, "recipient"));
	printf("%-6lld %-7s %-14.14s %-11s %3u  %-20s  ", (long long)r->id,
	       outbox_state_name(r->state), r->hook, r->event, r->attempts, when);
	show(stdout, rcpt && *rcpt ? rcpt : "-", 40);
	if (*r->last_error) {
		fputs("  ", stdout);
		show(stdout, r->last_error, 100);
	}
	fputc('\n', stdout);
	json_decref(p);
}

static int do_list(struct bw_store *st, const struct outbox_args *a)
{
	struct bw_outbox_row *rows;
	size_t n;
	int state = a->state == -2 ? -1 : a->state;
	if (store_outbox_list(st, state, a->state == -2 ? 0 : a->limit, &rows, &n) < 0) {
		fprintf(stderr, "bouncewatch: %s\n", store_error(st));
		return EXIT_RUNTIME;
	}
	if (!a->json)
		printf("%-6s %-7s %-14s %-11s %3s  %-20s  %s\n", "ID", "STATE", "HOOK", "EVENT",
		       "TRY", "NEXT/LAST ATTEMPT", "RECIPIENT  LAST ERROR");
	unsigned shown = 0;
	for (size_t i = 0; i < n; i++) {
		if (a->state == -2 && rows[i].state == BW_OUTBOX_DONE)
			continue;
		if (a->limit && shown >= a->limit)
			break;
		shown++;
		if (a->json)
			list_row_json(&rows[i]);
		else
			list_row_text(&rows[i]);
	}
	store_outbox_rows_free(rows, n);
	if (!a->json) {
		unsigned c[3];
		if (store_outbox_count(st, c) == 0)
			printf("# %u pending, %u dead, %u delivered\n", c[BW_OUTBOX_PENDING],
			       c[BW_OUTBOX_DEAD], c[BW_OUTBOX_DONE]);
	}
	return EXIT_OK;
}

/* requeue_pending - make pending rows (all, or the one with id) due now.
 * Returns the count, or -1. */
static int requeue_pending(struct bw_store *st, int64_t id, time_t now)
{
	struct bw_outbox_row *rows;
	size_t n;
	int count = 0;
	if (store_outbox_list(st, BW_OUTBOX_PENDING, 0, &rows, &n) < 0)
		return -1;
	for (size_t i = 0; i < n && count >= 0; i++) {
		if (id && rows[i].id != id)
			continue;
		rows[i].next_attempt = now;
		count = store_outbox_update(st, &rows[i]) < 0 ? -1 : count + 1;
	}
	store_outbox_rows_free(rows, n);
	return count;
}

/* parse_id - a row id: digits only, > 0. */
static bool parse_id(const char *s, int64_t *id)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v <= 0 || !bw_isdigit((unsigned char)*s))
		return false;
	*id = v;
	return true;
}

static int deliver(const struct bw_config *cfg, struct bw_store *st, int timeout)
{
	struct bw_dispatcher *d = dispatcher_new(cfg, st);
	int left = dispatcher_flush(d, timeout);
	struct dispatcher_stats s;
	dispatcher_stats(d, &s);
	dispatcher_free(d);
	unsigned c[3] = { 0, 0, 0 };
	store_outbox_count(st, c);
	printf("delivered %lu, failed attempts %lu, new dead letters %lu; outbox: %u pending, "
	       "%u dead\n", s.delivered, s.failed, s.dead, c[BW_OUTBOX_PENDING], c[BW_OUTBOX_DEAD]);
	if (left < 0) {
		fprintf(stderr, "bouncewatch: %s\n", store_error(st));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

static int do_retry(const struct bw_config *cfg, struct bw_store *st, const struct outbox_args *a)
{
	int64_t id = 0;
	time_t now = time(NULL);
	if (!!a->id_arg + a->all_dead + a->all != 1) {
		fprintf(stderr, "bouncewatch: outbox retry needs one of ID, --all-dead, --all\n");
		return EXIT_USAGE;
	}
	if (a->id_arg && !parse_id(a->id_arg, &id)) {
		fprintf(stderr, "bouncewatch: '%s' is not an outbox row id\n", a->id_arg);
		return EXIT_USAGE;
	}
	int dead = store_outbox_retry(st, id, now);
	int pending = dead < 0 ? -1 : 0;
	if (dead >= 0 && (a->all || (id && dead == 0)))
		pending = requeue_pending(st, id, now);
	if (dead < 0 || pending < 0) {
		fprintf(stderr, "bouncewatch: %s\n", store_error(st));
		return EXIT_RUNTIME;
	}
	if (id && dead + pending == 0) {
		fprintf(stderr, "bouncewatch: no dead or pending outbox row %lld\n", (long long)id);
		return EXIT_RUNTIME;
	}
	printf("requeued %d dead and %d pending deliveries\n", dead, pending);
	return a->no_flush ? EXIT_OK : deliver(cfg, st, a->timeout);
}

static int do_purge(struct bw_store *st, const struct outbox_args *a)
{
	int n = store_outbox_purge(st, a->dead);
	if (n < 0) {
		fprintf(stderr, "bouncewatch: %s\n", store_error(st));
		return EXIT_RUNTIME;
	}
	printf("purged %d row%s\n", n, n == 1 ? "" : "s");
	return EXIT_OK;
}

static int parse_state(const char *s)
{
	if (strcmp(s, "pending") == 0)
		return BW_OUTBOX_PENDING;
	if (strcmp(s, "dead") == 0)
		return BW_OUTBOX_DEAD;
	if (strcmp(s, "done") == 0 || strcmp(s, "delivered") == 0)
		return BW_OUTBOX_DONE;
	if (strcmp(s, "all") == 0)
		return -1;
	return -3;
}

static bool parse_uint(const char *s, unsigned max, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || !bw_isdigit((unsigned char)*s) || v > max)
		return false;
	*out = (unsigned)v;
	return true;
}

/* parse_args - options and the action word.  0, or an exit code + 1. */
static int parse_args(int argc, char **argv, struct bw_opts *opts, struct outbox_args *a)
{
	enum { O_STATE_FILTER = 0x200, O_LIMIT, O_JSON, O_ALL_DEAD, O_ALL, O_NO_FLUSH, O_TIMEOUT,
	       O_DEAD };
	static const struct option longopts[] = {
		CMD_COMMON_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, O_JSON },
		{ "limit", required_argument, NULL, O_LIMIT },
		{ "all-dead", no_argument, NULL, O_ALL_DEAD },
		{ "all", no_argument, NULL, O_ALL },
		{ "no-flush", no_argument, NULL, O_NO_FLUSH },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "dead", no_argument, NULL, O_DEAD },
		{ "only", required_argument, NULL, O_STATE_FILTER },
		{ NULL, 0, NULL, 0 },
	};
	unsigned u;
	int c;
	memset(a, 0, sizeof(*a));
	a->state = -2;
	a->limit = 100;
	a->timeout = DEFAULT_FLUSH_TIMEOUT;
	/* --state is the common option (state database); the row filter is
	 * "list --only STATE" or a bare word after list. */
	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		if (cmd_common_opt(c, optarg, opts))
			continue;
		switch (c) {
		case 'h': fputs(usage_text, stdout); return EXIT_OK + 1;
		case O_JSON: a->json = true; break;
		case O_ALL_DEAD: a->all_dead = true; break;
		case O_ALL: a->all = true; break;
		case O_NO_FLUSH: a->no_flush = true; break;
		case O_DEAD: a->dead = true; break;
		case O_STATE_FILTER:
			if ((a->state = parse_state(optarg)) == -3) {
				fprintf(stderr, "bouncewatch: --only takes pending, dead, done or all\n");
				return EXIT_USAGE + 1;
			}
			break;
		case O_LIMIT:
			if (!parse_uint(optarg, 1000000, &a->limit)) {
				fprintf(stderr, "bouncewatch: --limit takes a number\n");
				return EXIT_USAGE + 1;
			}
			break;
		case O_TIMEOUT:
			if (!parse_uint(optarg, 86400, &u)) {
				fprintf(stderr, "bouncewatch: --timeout takes seconds (0..86400)\n");
				return EXIT_USAGE + 1;
			}
			a->timeout = (int)u;
			break;
		default: fputs(usage_text, stderr); return EXIT_USAGE + 1;
		}
	}
	if (optind >= argc) {
		fputs(usage_text, stderr);
		return EXIT_USAGE + 1;
	}
	a->action = argv[optind++];
	if (optind < argc) {
		if (strcmp(a->action, "list") == 0 && parse_state(argv[optind]) != -3)
			a->state = parse_state(argv[optind]);
		else if (strcmp(a->action, "retry") == 0)
			a->id_arg = argv[optind];
		else {
			fprintf(stderr, "bouncewatch: outbox %s: unexpected '%s'\n", a->action,
				argv[optind]);
			return EXIT_USAGE + 1;
		}
		if (++optind < argc) {
			fprintf(stderr, "bouncewatch: outbox %s: too many arguments\n", a->action);
			return EXIT_USAGE + 1;
		}
	}
	return 0;
}

int cmd_outbox(int argc, char **argv, struct bw_opts *opts)
{
	struct outbox_args a;
	int rc = parse_args(argc, argv, opts, &a);
	if (rc)
		return rc - 1;
	if (strcmp(a.action, "list") != 0 && strcmp(a.action, "retry") != 0 &&
	    strcmp(a.action, "flush") != 0 && strcmp(a.action, "purge") != 0) {
		fprintf(stderr, "bouncewatch: outbox: unknown action '%s' (list, retry, flush, purge)\n",
			a.action);
		return EXIT_USAGE;
	}
	struct bw_config cfg;
	if ((rc = cmd_load_config(opts, &cfg)) != 0)
		return rc;
	char err[512];
	struct bw_store *st = store_open(cfg.state, err, sizeof(err));
	if (!st) {
		fprintf(stderr, "bouncewatch: %s\n", err);
		conf_free(&cfg);
		return EXIT_RUNTIME;
	}
	if (strcmp(a.action, "list") == 0)
		rc = do_list(st, &a);
	else if (strcmp(a.action, "retry") == 0)
		rc = do_retry(&cfg, st, &a);
	else if (strcmp(a.action, "flush") == 0)
		rc = deliver(&cfg, st, a.timeout);
	else
		rc = do_purge(st, &a);
	store_close(st);
	conf_free(&cfg);
	log_forget_secrets();
	return rc;
}
