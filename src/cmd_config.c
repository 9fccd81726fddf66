/*
 * cmd_config.c - `check-config`: every error with file:line, then the
 * effective settings (secrets never shown).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <sys/socket.h>

#include "cmd.h"
#include "conf.h"
#include "metrics.h"

int cmd_check_config(int argc, char **argv, struct bw_opts *opts)
{
	static const struct option longopts[] = {
		CMD_COMMON_LONGOPTS,
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool quiet = false;
	int c;
	while ((c = getopt_long(argc, argv, "c:qh", longopts, NULL)) != -1) {
		if (cmd_common_opt(c, optarg, opts))
			continue;
		switch (c) {
		case 'q': quiet = true; break;
		case 'h':
			puts("Usage: bouncewatch check-config [-c FILE] [--quiet]\n\n"
			     "Check the configuration file: every error is printed as FILE:LINE: message.\n"
			     "Without --quiet the effective settings follow (secrets are never shown).");
			return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	struct bw_config cfg;
	int errors = conf_load(&cfg, opts->config_path, false, stderr);
	if (cfg.metrics_listen && cfg.metrics_listen[0]) {
		struct sockaddr_storage sa;
		size_t salen = sizeof(sa);
		char why[160];
		if (metrics_parse_listen(cfg.metrics_listen, &sa, &salen, why, sizeof(why)) < 0) {
			fprintf(stderr, "%s: metrics.listen: %s\n", opts->config_path, why);
			errors++;
		}
	}
	if (errors) {
		fprintf(stderr, "%s: %d error%s\n", opts->config_path, errors, errors == 1 ? "" : "s");
		conf_free(&cfg);
		return EXIT_USAGE;
	}
	if (!quiet) {
		printf("# %s: configuration ok\n", opts->config_path);
		conf_dump(&cfg, stdout);
	}
	conf_free(&cfg);
	return EXIT_OK;
}
