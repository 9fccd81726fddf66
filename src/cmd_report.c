/*
 * cmd_report.c - `bouncewatch report [--by campaign|domain|reason|account]
 * [--since DATE] [--json]`: counts of hard, soft, block, complaint (and the
 * rest) per group, with bounce rates where the sent count is known.
 */
#include "config.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "conf.h"
#include "store.h"

static const char usage_text[] =
	"Usage: bouncewatch report [--by campaign|domain|reason|account] [--since DATE] [--json]\n\n"
	"Bounce events counted per campaign (default), recipient domain, reason or\n"
	"account: total, hard, soft, block, complaint, delayed, other.  By campaign,\n"
	"where a sent count is known (`bouncewatch campaign sent`), also the hard and\n"
	"soft bounce rates.\n"
	"  --since DATE   only events from DATE on (event time, UTC):\n"
	"                 YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS]Z, or 7d / 24h / 30m ago\n"
	"  --json         one JSON object per line\n";

static const char *const by_names[] = { "campaign", "domain", "reason", "account" };

static void print_row_json(const char *by, const struct bw_report_row *r)
{
	json_t *o = json_pack("{s:o, s:i, s:i, s:i, s:i, s:i, s:i, s:i}", by, cmd_json_text(r->key),
			      "total", (int)r->total, "hard", (int)r->hard, "soft", (int)r->soft,
			      "block", (int)r->block, "complaint", (int)r->complaint,
			      "delayed", (int)r->delayed, "other", (int)r->other);
	if (r->sent >= 0) {
		json_object_set_new(o, "sent", json_integer(r->sent));
		json_object_set_new(o, "hard_rate", r->sent ? json_real((double)r->hard / (double)r->sent) : json_null());
		json_object_set_new(o, "soft_rate", r->sent ? json_real((double)r->soft / (double)r->sent) : json_null());
	}
	char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6));
	if (s)
		puts(s);
	free(s);
	json_decref(o);
}

static void print_row_text(const struct bw_report_row *r)
{
	printf("%-32.200s %7u %6u %6u %6u %9u %7u %6u", r->key[0] ? r->key : "(none)", r->total,
	       r->hard, r->soft, r->block, r->complaint, r->delayed, r->other);
	if (r->sent > 0)
		printf(" %8lld %6.2f%% %6.2f%%", (long long)r->sent, 100.0 * r->hard / (double)r->sent,
		       100.0 * r->soft / (double)r->sent);
	putchar('\n');
}

int cmd_report(int argc, char **argv, struct bw_opts *opts)
{
	static const struct option longopts[] = {
		CMD_COMMON_LONGOPTS,
		{ "by", required_argument, NULL, 'b' },
		{ "since", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int by = BW_BY_CAMPAIGN, c, rc;
	bool json = false;
	time_t since = 0;
	while ((c = getopt_long(argc, argv, "c:hb:s:", longopts, NULL)) != -1) {
		if (cmd_common_opt(c, optarg, opts))
			continue;
		switch (c) {
		case 'b':
			by = -1;
			for (int i = 0; i < 4; i++)
				if (strcmp(optarg, by_names[i]) == 0)
					by = i;
			if (by < 0) {
				fprintf(stderr, "bouncewatch: --by is campaign, domain, reason or account\n");
				return EXIT_USAGE;
			}
			break;
		case 's':
			if (!cmd_parse_since(optarg, time(NULL), &since)) {
				fprintf(stderr, "bouncewatch: --since: not a date: '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'j': json = true; break;
		case 'h': fputs(usage_text, stdout); return EXIT_OK;
		default: fputs(usage_text, stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	struct bw_config cfg;
	if ((rc = cmd_load_config(opts, &cfg)))
		return rc;
	struct bw_store *st = cmd_open_store(&cfg);
	if (!st) {
		conf_free(&cfg);
		return EXIT_RUNTIME;
	}
	struct bw_report_row *rows;
	size_t n;
	rc = EXIT_OK;
	if (store_report(st, (enum bw_report_by)by, since, &rows, &n) < 0) {
		fprintf(stderr, "bouncewatch: %s\n", store_error(st));
		rc = EXIT_RUNTIME;
	} else {
		if (!json)
			printf("%-32s %7s %6s %6s %6s %9s %7s %6s%s\n", by_names[by], "total", "hard",
			       "soft", "block", "complaint", "delayed", "other",
			       by == BW_BY_CAMPAIGN ? "     sent  hard%   soft%" : "");
		for (size_t i = 0; i < n; i++) {
			if (json)
				print_row_json(by_names[by], &rows[i]);
			else
				print_row_text(&rows[i]);
		}
		free(rows);
	}
	store_close(st);
	conf_free(&cfg);
	return rc;
}
