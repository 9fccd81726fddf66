/*
 * cmd_campaign.c - `bouncewatch campaign sent ID COUNT [--account NAME]`
 * records how many messages a campaign sent, so the policy can alert on
 * bounce rates (SPEC §4); `campaign list` shows campaigns and their figures.
 * Recording a sent count checks the rates at once: bounces that came before
 * the count was known raise their alert now.
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
#include "pipeline.h"
#include "policy.h"
#include "store.h"

static const char usage_text[] =
	"Usage: bouncewatch campaign sent ID COUNT [--account NAME]\n"
	"       bouncewatch campaign list [--json]\n\n"
	"  sent   record that campaign ID sent COUNT messages (from one account with\n"
	"         --account, else from all of them); past policy.alert_hard_rate or\n"
	"         alert_soft_rate of it, an `alert` is raised (once per campaign and\n"
	"         account), now or when later bounces push the rate over\n"
	"  list   campaigns in the order first seen, with bounce counts and rates\n";

static bool parse_count(const char *s, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < 0)
		return false;
	*out = v;
	return true;
}

/* Check the rates of every (account, campaign) row of id; record alerts. */
static int check_rates(const struct bw_config *cfg, struct bw_store *st, const char *id,
		       const char *account, time_t now, unsigned *alerts)
{
	struct bw_campaign_stats *v;
	size_t n;
	if (store_campaign_list(st, id, &v, &n) < 0)
		return -1;
	int r = 0;
	for (size_t i = 0; i < n && r == 0; i++) {
		struct bw_decision d[2];
		if (account && strcmp(account, v[i].account) != 0)
			continue;
		unsigned k = policy_rates(&cfg->policy, &v[i], d);
		if (!k)
			continue;
		r = store_campaign_put(st, &v[i]);
		for (unsigned j = 0; j < k && r == 0; j++) {
			char seed[BW_MSGID_MAX + 96];
			snprintf(seed, sizeof seed, "rate %s %s", v[i].account, v[i].campaign);
			r = pipeline_record_decision(cfg, st, &d[j], NULL, 0, seed, j, now, now);
			if (r == 0) {
				printf("alert: %s (account %s): %s\n", v[i].campaign, v[i].account, d[j].detail);
				(*alerts)++;
			}
			r = r < 0 ? -1 : 0;
		}
	}
	free(v);
	return r;
}

static int do_sent(const struct bw_config *cfg, struct bw_store *st, const char *id,
		   int64_t count, const char *account)
{
	time_t now = time(NULL);
	unsigned alerts = 0;
	int r = store_begin(st);
	if (r == 0)
		r = store_campaign_set_sent(st, id, account ? account : "", count, now);
	if (r == 0)
		r = check_rates(cfg, st, id, account, now, &alerts);
	if (r == 0)
		r = store_commit(st);
	if (r < 0) {
		fprintf(stderr, "bouncewatch: %s\n", store_error(st));
		store_rollback(st);
		return EXIT_RUNTIME;
	}
	printf("campaign %s: %lld sent%s%s\n", id, (long long)count, account ? " from " : "",
	       account ? account : "");
	return EXIT_OK;
}

static int do_list(struct bw_store *st, bool json)
{
	struct bw_campaign_stats *v;
	size_t n;
	if (store_campaign_list(st, NULL, &v, &n) < 0) {
		fprintf(stderr, "bouncewatch: %s\n", store_error(st));
		return EXIT_RUNTIME;
	}
	if (!json)
		printf("%-10s %-32s %4s %-20s %6s %5s %5s %5s %9s %8s\n", "account", "campaign", "seq",
		       "first seen", "total", "hard", "soft", "block", "complaint", "sent");
	for (size_t i = 0; i < n; i++) {
		const struct bw_campaign_stats *c = &v[i];
		char when[32];
		cmd_iso_time(c->first_seen, when);
		if (json) {
			json_t *o = json_pack("{s:o, s:o, s:I, s:s, s:i, s:i, s:i, s:i, s:i, s:b, s:b}",
				"account", cmd_json_text(c->account), "campaign", cmd_json_text(c->campaign),
				"seq", (json_int_t)c->seq, "first_seen", when, "total", (int)c->total,
				"hard", (int)c->hard, "soft", (int)c->soft, "block", (int)c->block,
				"complaint", (int)c->complaint, "hard_alerted", c->hard_alerted,
				"soft_alerted", c->soft_alerted);
			json_object_set_new(o, "sent", c->sent >= 0 ? json_integer(c->sent) : json_null());
			char *s = json_dumps(o, JSON_COMPACT);
			if (s)
				puts(s);
			free(s);
			json_decref(o);
		} else {
			char sent[24];
			if (c->sent >= 0)
				snprintf(sent, sizeof sent, "%lld", (long long)c->sent);
			else
				snprintf(sent, sizeof sent, "-");
			printf("%-10s %-32.200s %4lld %-20s %6u %5u %5u %5u %9u %8s\n", c->account,
			       c->campaign, (long long)c->seq, when, c->total, c->hard, c->soft,
			       c->block, c->complaint, sent);
		}
	}
	free(v);
	return EXIT_OK;
}

int cmd_campaign(int argc, char **argv, struct bw_opts *opts)
{
	static const struct option longopts[] = {
		CMD_COMMON_LONGOPTS,
		{ "account", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *account = NULL;
	bool json = false;
	int c, rc;
	while ((c = getopt_long(argc, argv, "c:ha:", longopts, NULL)) != -1) {
		if (cmd_common_opt(c, optarg, opts))
			continue;
		switch (c) {
		case 'a': account = optarg; break;
		case 'j': json = true; break;
		case 'h': fputs(usage_text, stdout); return EXIT_OK;
		default: fputs(usage_text, stderr); return EXIT_USAGE;
		}
	}
	int nargs = argc - optind;
	const char *action = nargs > 0 ? argv[optind] : "";
	int64_t count = 0;
	bool sent = strcmp(action, "sent") == 0;
	if (!(sent && nargs == 3) && !(strcmp(action, "list") == 0 && nargs == 1)) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if (sent && (!parse_count(argv[optind + 2], &count) || !argv[optind + 1][0] ||
		     strlen(argv[optind + 1]) >= BW_MSGID_MAX)) {
		fprintf(stderr, "bouncewatch: campaign sent: ID and a COUNT >= 0 please\n");
		return EXIT_USAGE;
	}
	if (account && (!account[0] || strlen(account) >= 64)) {
		fprintf(stderr, "bouncewatch: --account: a name under 64 characters\n");
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
	rc = sent ? do_sent(&cfg, st, argv[optind + 1], count, account) : do_list(st, json);
	store_close(st);
	conf_free(&cfg);
	return rc;
}
