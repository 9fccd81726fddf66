/*
 * cmd_run.c - `bouncewatch run [-c FILE] [--foreground]`: the daemon (SPEC §7,
 * §8).  The work is in daemon.c; this file reads the options, loads the
 * configuration and gives daemon_run() a way to reload it on SIGHUP.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "daemon.h"
#include "log.h"
#include "privs.h"

static void usage(FILE *out)
{
	fprintf(out, "Usage: bouncewatch run [-c FILE] [--state PATH] [--foreground]\n"
		"Watch every account (IDLE or polling) and deliver hooks until SIGTERM.\n"
		"  -f, --foreground   stay attached to the terminal, log to the configured target\n"
		"                     (without it the daemon detaches and logs to syslog)\n"
		"Signals: SIGTERM/SIGINT finish the current message and exit 0; SIGHUP reloads\n"
		"the configuration (an invalid one is refused and the old one kept).\n");
}

/* daemon_reload_fn: the same file and --state as at start-up. */
static int reload_config(void *arg, struct bw_config *out)
{
	const struct bw_opts *opts = arg;
	return cmd_load_config(opts, out);
}

int cmd_run(int argc, char **argv, struct bw_opts *opts)
{
	static const struct option longopts[] = {
		CMD_COMMON_LONGOPTS,
		{ "foreground", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool foreground = false;
	int c;
	while ((c = getopt_long(argc, argv, "c:fh", longopts, NULL)) != -1) {
		if (cmd_common_opt(c, optarg, opts))
			continue;
		switch (c) {
		case 'f': foreground = true; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "bouncewatch run: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	struct bw_config cfg;
	int rc = cmd_load_config(opts, &cfg);
	if (rc)
		return rc;
	char perr[256];
	if (privs_drop(cfg.user, perr, sizeof perr) < 0) {
		fprintf(stderr, "bouncewatch run: %s\n", perr);
		conf_free(&cfg);
		return EXIT_USAGE;
	}
	/* opts outlives the daemon: it is main()'s */
	return daemon_run(&cfg, foreground, reload_config, opts) == 0 ? EXIT_OK : EXIT_RUNTIME;
}
