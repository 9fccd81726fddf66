/*
 * cmd_verp.c - `verp ADDR...`: the (signed) return path a sender should use
 * for each address, so that a bounce names its recipient in a way a forger
 * cannot produce (SPEC §9).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "conf.h"
#include "verp.h"

static void verp_usage(FILE *out)
{
	fputs("Usage: bouncewatch verp [-c FILE] [--domain DOMAIN] ADDR...\n\n"
	      "Print the VERP return path for each address, in classify.verp.format,\n"
	      "signed with classify.verp.secret_file when one is set:\n"
	      "  bounces+TAG-LOCAL=DOMAIN@RETURN-DOMAIN\n"
	      "RETURN-DOMAIN is --domain, else the domain of the first account's user.\n"
	      "With classify.verp.require_signed = true, bounces whose recipient lacks a\n"
	      "valid tag are recorded as unverified and suppress nothing.\n", out);
}

static const char *return_domain(const struct bw_config *cfg, const char *given)
{
	if (given)
		return given;
	for (size_t i = 0; i < cfg->n_accounts; i++) {
		const char *at = strrchr(cfg->accounts[i].user, '@');
		if (at && at[1])
			return at + 1;
	}
	return NULL;
}

int cmd_verp(int argc, char **argv, struct bw_opts *opts)
{
	static const struct option longopts[] = {
		CMD_COMMON_LONGOPTS,
		{ "domain", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *domain = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "c:d:h", longopts, NULL)) != -1) {
		if (cmd_common_opt(c, optarg, opts))
			continue;
		switch (c) {
		case 'd': domain = optarg; break;
		case 'h': verp_usage(stdout); return EXIT_OK;
		default: verp_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		verp_usage(stderr);
		return EXIT_USAGE;
	}
	struct bw_config cfg;
	int rc = cmd_load_config(opts, &cfg);
	if (rc)
		return rc;
	const char *rd = return_domain(&cfg, domain);
	if (!rd) {
		fputs("bouncewatch: verp: no return domain: give --domain or configure an account\n", stderr);
		conf_free(&cfg);
		return EXIT_USAGE;
	}
	char *secret = NULL;
	if (cfg.classify.verp.secret_file[0]) {
		secret = conf_read_secret(cfg.classify.verp.secret_file, NULL, "VERP secret", stderr);
		if (!secret) {
			conf_free(&cfg);
			return EXIT_USAGE;
		}
	} else {
		fputs("bouncewatch: verp: no classify.verp.secret_file: the paths are not signed\n", stderr);
	}
	rc = EXIT_OK;
	for (int i = optind; i < argc; i++) {
		char out[1024];
		if (!verp_encode(cfg.classify.verp.format, secret, argv[i], rd, out, sizeof(out))) {
			fprintf(stderr, "bouncewatch: verp: '%s' is not an e-mail address\n", argv[i]);
			rc = EXIT_RUNTIME;
			continue;
		}
		printf("%s\n", out);
	}
	conf_secret_free(secret);
	conf_free(&cfg);
	return rc;
}
