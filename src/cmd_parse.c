/*
 * cmd_parse.c - `parse` (classify files offline, stateless) and `explain`.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classify.h"
#include "cmd.h"
#include "conf.h"
#include "output.h"
#include "source_file.h"

struct parse_run {
	const struct bw_classifier *cl;
	bool json;
	bool explain;
	struct bw_json_writer *jw;   /* owned, with json */
	unsigned messages;
	unsigned unparsed;
};

static int on_message(void *arg, const char *name, unsigned index, const char *raw, size_t len)
{
	struct parse_run *r = arg;
	struct bw_report rep;
	memset(&rep, 0, sizeof(rep));
	rep.want_trace = r->explain;
	classify_message(r->cl, raw, len, &rep);
	r->messages++;
	if (rep.verdict == BW_VERDICT_UNPARSED) {
		r->unparsed++;
		fprintf(stderr, "bouncewatch: %s%s%.0u: cannot classify: %s\n", name, index ? "#" : "",
			index, rep.error);
	}
	if (r->explain)
		output_explain(stdout, name, index, &rep);
	else if (r->json)
		output_json_report(r->jw, stdout, name, index, &rep);
	else
		output_report_text(stdout, name, index, &rep);
	report_free(&rep);
	return 0;
}

static char *load_verp_secret(const struct bw_config *cfg)
{
	if (!cfg->classify.verp.secret_file[0])
		return NULL;
	return conf_read_secret(cfg->classify.verp.secret_file, NULL, "VERP secret", stderr);
}

/*
 * Output to a pipe or a file goes out in large writes: stdio's default
 * buffer there is the pipe's or file's block size (4 KB), one write(2) per
 * 4 KB, some 9,400 system calls (and as many wake-ups of a reader) for the
 * --json lines of 50,000 messages.  A terminal keeps its line buffering.
 * Called before anything is written to stdout.
 */
#define OUT_BUFFER (256u * 1024u)
static void buffer_stdout(void)
{
	static char buf[OUT_BUFFER];
	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, buf, _IOFBF, sizeof(buf));
}

static int run_files(int argc, char **argv, struct bw_opts *opts, bool json, bool explain)
{
	buffer_stdout();
	struct bw_config cfg;
	int rc = cmd_load_config(opts, &cfg);
	if (rc)
		return rc;
	char *secret = load_verp_secret(&cfg);
	if (cfg.classify.verp.secret_file[0] && !secret) {
		conf_free(&cfg);
		return EXIT_USAGE;
	}
	struct bw_classifier *cl = classifier_new(&cfg.classify, secret);
	conf_secret_free(secret);
	struct parse_run r = { cl, json, explain, json ? output_json_new() : NULL, 0, 0 };
	unsigned failures = 0;
	source_files(argv, (size_t)argc, on_message, &r, stderr, &failures);
	fflush(stdout);
	output_json_free(r.jw);
	classifier_free(cl);
	conf_free(&cfg);
	if (failures || r.unparsed) {
		fprintf(stderr, "bouncewatch: %u message%s classified, %u unreadable path%s, %u unparsed\n",
			r.messages, r.messages == 1 ? "" : "s", failures, failures == 1 ? "" : "s", r.unparsed);
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

static void parse_usage(FILE *out)
{
	fputs("Usage: bouncewatch parse [-c FILE] [--json] FILE|DIR|-...\n\n"
	      "Classify bounce messages offline; nothing is recorded.  Each argument is an\n"
	      ".eml file, an mbox file, a directory of files, a maildir (cur/ and new/),\n"
	      "or - for standard input.\n\n"
	      "  --json    one JSON object per message (file, message_id, verdict, events)\n"
	      "Output without --json: one line per event, tab-separated:\n"
	      "  file  recipient  kind  reason  status  reply-code\n", out);
}

int cmd_parse(int argc, char **argv, struct bw_opts *opts)
{
	static const struct option longopts[] = {
		CMD_COMMON_LONGOPTS,
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false;
	int c;
	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		if (cmd_common_opt(c, optarg, opts))
			continue;
		switch (c) {
		case 'j': json = true; break;
		case 'h': parse_usage(stdout); return EXIT_OK;
		default: parse_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		parse_usage(stderr);
		return EXIT_USAGE;
	}
	return run_files(argc - optind, argv + optind, opts, json, false);
}

int cmd_explain(int argc, char **argv, struct bw_opts *opts)
{
	static const struct option longopts[] = {
		CMD_COMMON_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		if (cmd_common_opt(c, optarg, opts))
			continue;
		if (c == 'h') {
			puts("Usage: bouncewatch explain [-c FILE] FILE...\n\n"
			     "Show why each message got its verdict: the detector that decided, the\n"
			     "line it matched, and how status, text and tables led to kind and reason.");
			return EXIT_OK;
		}
		return EXIT_USAGE;
	}
	if (optind >= argc) {
		fputs("Usage: bouncewatch explain [-c FILE] FILE...\n", stderr);
		return EXIT_USAGE;
	}
	return run_files(argc - optind, argv + optind, opts, false, true);
}
