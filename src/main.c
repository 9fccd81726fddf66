/*
 * main.c - the bouncewatch command line: global options, subcommand table,
 * --help and --version, exit codes.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "log.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv, struct bw_opts *opts);
	const char *usage;
	const char *summary;
};

/* The table is the help text: keep it in the order of SPEC §7. */
static const struct command commands[] = {
	{ "run", cmd_run, "[-c FILE] [--foreground]", "daemon: watch every account" },
	{ "scan", cmd_scan, "[-c FILE] [--dry-run]", "one pass over every account, flush hooks, exit" },
	{ "parse", cmd_parse, "[--json] FILE|DIR|-...",
	  "classify .eml / maildir / mbox offline (stateless)" },
	{ "ingest", cmd_ingest, "[--dry-run] FILE|DIR|-...",
	  "the scan pipeline (state, policy, hooks) fed from files" },
	{ "explain", cmd_explain, "FILE", "why a message got its verdict" },
	{ "suppress", cmd_suppress, "list|export|add|remove", "the suppression list (CSV/JSON export)" },
	{ "address", cmd_address, "ADDR", "one address's history and state" },
	{ "outbox", cmd_outbox, "list|retry|flush|purge", "pending and dead-letter hook deliveries" },
	{ "report", cmd_report, "[--by campaign|domain|...]", "bounce counts and rates" },
	{ "campaign", cmd_campaign, "sent ID COUNT | list", "record a sent count, for bounce-rate alerts" },
	{ "verp", cmd_verp, "[--domain D] ADDR...", "a signed return path for ADDR" },
	{ "status", cmd_status, "[--json]", "instances, their leases and the outbox depth" },
	{ "check-config", cmd_check_config, "[-c FILE]", "check the configuration file" },
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: bouncewatch [-c FILE] [--state PATH] COMMAND [ARGS...]\n\n"
		"Watch a return-path mailbox, classify bounces, keep suppressions, call hooks.\n\n"
		"Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-13s %-28s %s\n", commands[i].name, commands[i].usage,
			commands[i].summary);
	fprintf(out, "\nOptions:\n"
		"  -c, --config FILE   configuration file (default %s)\n"
		"      --state PATH    state database, overrides `state` in the file\n"
		"  -h, --help          this help\n"
		"  -V, --version       print the version\n\n"
		"Exit codes: 0 success, 1 runtime failure, 2 usage or configuration error.\n"
		"`bouncewatch COMMAND --help` describes a command.\n",
		BW_DEFAULT_CONF);
}

bool cmd_common_opt(int c, const char *arg, struct bw_opts *opts)
{
	if (c == 'c') {
		opts->config_path = arg;
		opts->config_given = true;
		return true;
	}
	if (c == CMD_OPT_STATE) {
		opts->state = arg;
		return true;
	}
	return false;
}

int cmd_load_config(const struct bw_opts *opts, struct bw_config *cfg)
{
	int errors = conf_load(cfg, opts->config_path, !opts->config_given, stderr);
	if (errors) {
		fprintf(stderr, "bouncewatch: %d error%s in %s\n", errors, errors == 1 ? "" : "s",
			opts->config_path);
		conf_free(cfg);
		return EXIT_USAGE;
	}
	if (opts->state) {
		free(cfg->state);
		cfg->state = strdup(opts->state);
	}
	log_setup(cfg->log_level, cfg->log_target, cfg->log_format);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "state", required_argument, NULL, CMD_OPT_STATE },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct bw_opts opts = { BW_DEFAULT_CONF, false, NULL };
	int c;

	/* '+': stop at the first non-option, the subcommand */
	while ((c = getopt_long(argc, argv, "+c:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': opts.config_path = optarg; opts.config_given = true; break;
		case CMD_OPT_STATE: opts.state = optarg; break;
		case 'h': usage(stdout); return EXIT_OK;
		case 'V': printf("bouncewatch %s\n", PACKAGE_VERSION); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *name = argv[optind];
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, name) == 0) {
			int sub = optind;
			optind = 0;    /* glibc: a full reset for the subcommand's getopt */
			return commands[i].fn(argc - sub, argv + sub, &opts);
		}
	}
	fprintf(stderr, "bouncewatch: unknown command '%s' (see bouncewatch --help)\n", name);
	return EXIT_USAGE;
}
