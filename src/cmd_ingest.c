/*
 * cmd_ingest.c - `bouncewatch ingest [--dry-run] [--json] PATH...`: the scan
 * pipeline (classify, state, policy, outbox) fed from files: .eml, a
 * directory, a maildir, an mbox, or - for stdin.  Each message is one
 * transaction; a message already processed (same content key) changes
 * nothing.  The outbox is flushed at the end, bounded by a timeout.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "classify.h"
#include "cmd.h"
#include "conf.h"
#include "hook.h"
#include "pipeline.h"
#include "source_file.h"
#include "store.h"

#define DEFAULT_FLUSH_TIMEOUT 30

static const char usage_text[] =
	"Usage: bouncewatch ingest [--dry-run] [--json] [--account NAME] [--no-flush]\n"
	"                          [--flush-timeout S] FILE|DIR|-...\n\n"
	"Run bounce messages from files through the whole pipeline, as `scan` does\n"
	"for a mailbox: classify, record events, apply the policy (suppressions,\n"
	"deferrals, alerts), queue hook deliveries, then deliver them.  Each argument\n"
	"is an .eml file, an mbox file, a directory, a maildir, or - for stdin.  A\n"
	"message seen before (same bytes) is skipped, so ingesting twice is harmless.\n"
	"  --dry-run          print the decisions, keep nothing, call no hook\n"
	"  --json             one JSON object per message: file, outcome, verdict,\n"
	"                     events, decisions\n"
	"  --account NAME     record under this account (default \"file\")\n"
	"  --no-flush         leave hook deliveries in the outbox\n"
	"  --flush-timeout S  stop delivering after S seconds (default 30)\n"
	"Without --json, one line per decision: file, event, address, scope, reason.\n"
	"Exit codes: 0 done, 1 an unreadable path or a store failure, 2 usage.\n";

struct ingest_run {
	struct bw_pipeline *p;
	const char *account;
	bool json, dry_run, progress;
	unsigned messages, processed, duplicates, failed, events, decisions;
};

static const char *const outcome_names[] = { "processed", "duplicate", "failed" };

static void print_json(const struct ingest_run *r, const char *name, unsigned index,
		       const struct bw_pipeline_result *res, const struct bw_decision *d, size_t n)
{
	json_t *o = json_object();
	json_object_set_new(o, "file", cmd_json_text(name));
	if (index)
		json_object_set_new(o, "index", json_integer(index));
	json_object_set_new(o, "outcome", json_string(outcome_names[res->outcome]));
	json_object_set_new(o, "verdict", json_string(bw_verdict_name(res->verdict)));
	json_object_set_new(o, "events", json_integer(res->n_events));
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		if (d[i].type == BW_DEC_BOUNCE)
			continue;
		json_array_append_new(a, json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o}",
			"event", bw_decision_name(d[i].type), "address", cmd_json_text(d[i].address),
			"scope", cmd_json_text(d[i].scope), "account", cmd_json_text(d[i].account),
			"reason", cmd_json_text(d[i].reason), "campaign", cmd_json_text(d[i].campaign),
			"detail", cmd_json_text(d[i].detail)));
	}
	json_object_set_new(o, "decisions", a);
	json_object_set_new(o, "dry_run", json_boolean(r->dry_run));
	char *s = json_dumps(o, JSON_COMPACT);
	if (s)
		puts(s);
	free(s);
	json_decref(o);
}

static void print_text(const char *name, unsigned index, const struct bw_decision *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (d[i].type == BW_DEC_BOUNCE)
			continue;
		printf("%s%s%.0u\t%s\t%s\t%s%s%s\t%s\t%s\n", name, index ? "#" : "", index,
		       bw_decision_name(d[i].type), d[i].address[0] ? d[i].address : "-", d[i].scope,
		       d[i].account[0] ? " " : "", d[i].account, d[i].reason, d[i].detail);
	}
}

static int on_message(void *arg, const char *name, unsigned index, const char *raw, size_t len)
{
	struct ingest_run *r = arg;
	struct bw_origin o = { r->account, name, 0, 0 };
	struct bw_pipeline_result res;
	pipeline_process(r->p, &o, raw, len, time(NULL), &res);
	r->messages++;
	size_t n;
	const struct bw_decision *d = pipeline_decisions(r->p, &n);
	switch (res.outcome) {
	case BW_PROCESSED:
		r->processed++;
		r->events += res.n_events;
		for (size_t i = 0; i < n; i++)
			r->decisions += d[i].type != BW_DEC_BOUNCE;
		break;
	case BW_DUPLICATE: r->duplicates++; break;
	default: r->failed++; break;
	}
	if (r->json)
		print_json(r, name, index, &res, d, n);
	else
		print_text(name, index, d, n);
	if (r->progress && r->messages % 100 == 0)
		fprintf(stderr, "\r%u messages", r->messages);
	return 0;
}

static int flush_outbox(const struct bw_config *cfg, struct bw_store *st, int timeout)
{
	unsigned c[3] = { 0, 0, 0 };
	if (!cfg->n_hooks || store_outbox_count(st, c) < 0 || !c[BW_OUTBOX_PENDING])
		return 0;
	struct bw_dispatcher *d = dispatcher_new(cfg, st);
	int left = dispatcher_flush(d, timeout);
	struct dispatcher_stats s;
	dispatcher_stats(d, &s);
	dispatcher_free(d);
	fprintf(stderr, "hooks: %lu delivered, %lu failed attempts, %lu dead letters%s\n",
		s.delivered, s.failed, s.dead, left > 0 ? "; the rest stays in the outbox" : "");
	return left < 0 ? -1 : 0;
}

int cmd_ingest(int argc, char **argv, struct bw_opts *opts)
{
	static const struct option longopts[] = {
		CMD_COMMON_LONGOPTS,
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "account", required_argument, NULL, 'a' },
		{ "no-flush", no_argument, NULL, 'F' },
		{ "flush-timeout", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ingest_run r;
	bool no_flush = false;
	int timeout = DEFAULT_FLUSH_TIMEOUT, c, rc;
	memset(&r, 0, sizeof r);
	r.account = "file";
	while ((c = getopt_long(argc, argv, "c:hna:", longopts, NULL)) != -1) {
		if (cmd_common_opt(c, optarg, opts))
			continue;
		switch (c) {
		case 'n': r.dry_run = true; break;
		case 'j': r.json = true; break;
		case 'a': r.account = optarg; break;
		case 'F': no_flush = true; break;
		case 'T': {
			char *end;
			errno = 0;
			long v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 0 || v > 86400) {
				fprintf(stderr, "bouncewatch: --flush-timeout: seconds, 0 to 86400\n");
				return EXIT_USAGE;
			}
			timeout = (int)v;
			break;
		}
		case 'h': fputs(usage_text, stdout); return EXIT_OK;
		default: fputs(usage_text, stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc || !r.account[0] || strlen(r.account) >= 64) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	struct bw_config cfg;
	if ((rc = cmd_load_config(opts, &cfg)))
		return rc;
	char *secret = NULL;
	if (cfg.classify.verp.secret_file[0] &&
	    !(secret = conf_read_secret(cfg.classify.verp.secret_file, NULL, "VERP secret", stderr))) {
		conf_free(&cfg);
		return EXIT_USAGE;
	}
	struct bw_store *st = cmd_open_store(&cfg);
	if (!st) {
		conf_secret_free(secret);
		conf_free(&cfg);
		return EXIT_RUNTIME;
	}
	struct bw_classifier *cl = classifier_new(&cfg.classify, secret);
	conf_secret_free(secret);
	r.p = pipeline_new(&cfg, st, cl, r.dry_run);
	r.progress = !r.json && isatty(STDERR_FILENO) && !isatty(STDOUT_FILENO);
	unsigned unreadable = 0;
	source_files(argv + optind, (size_t)(argc - optind), on_message, &r, stderr, &unreadable);
	fflush(stdout);
	if (r.progress)
		fputc('\r', stderr);
	fprintf(stderr, "%u message%s: %u processed, %u already seen, %u failed; %u events, "
		"%u decisions%s\n", r.messages, r.messages == 1 ? "" : "s", r.processed,
		r.duplicates, r.failed, r.events, r.decisions, r.dry_run ? " (dry run: nothing kept)" : "");
	rc = unreadable || r.failed ? EXIT_RUNTIME : EXIT_OK;
	if (!r.dry_run && !no_flush && flush_outbox(&cfg, st, timeout) < 0) {
		fprintf(stderr, "bouncewatch: %s\n", store_error(st));
		rc = EXIT_RUNTIME;
	}
	pipeline_free(r.p);
	classifier_free(cl);
	store_close(st);
	conf_free(&cfg);
	return rc;
}
