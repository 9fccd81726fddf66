/*
 * cmd.h - subcommands of the bouncewatch program.
 *
 * Each subcommand is a function (argc, argv, opts) -> exit code, where argv[0]
 * is the subcommand's name and the global options (-c, --state) are already
 * taken out into opts.  Exit codes: 0 success, 1 runtime failure, 2 usage or
 * configuration error (SPEC §7).
 */
#ifndef BW_CMD_H
#define BW_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "conf.h"

#define EXIT_OK 0
#define EXIT_RUNTIME 1
#define EXIT_USAGE 2

struct bw_opts {
	const char *config_path;   /* -c FILE, or the default */
	bool config_given;         /* -c was on the command line */
	const char *state;         /* --state PATH, or NULL */
};

/*
 * Load the configuration named by opts (a missing default file is not an
 * error: every setting has a default), apply --state, set up logging.
 * Prints every error on stderr; returns 0, or EXIT_USAGE.
 */
int cmd_load_config(const struct bw_opts *opts, struct bw_config *cfg);

/*
 * Every subcommand also takes -c FILE and --state PATH after its name.  Put
 * CMD_COMMON_LONGOPTS in its getopt_long table and "c:" in its short options,
 * and pass every option to cmd_common_opt() first: true means it was handled.
 */
#define CMD_OPT_STATE 0x100
#define CMD_COMMON_LONGOPTS \
	{ "config", required_argument, NULL, 'c' }, \
	{ "state", required_argument, NULL, CMD_OPT_STATE }
bool cmd_common_opt(int c, const char *arg, struct bw_opts *opts);

/* Subcommands: argv[0] is the subcommand's name. */
int cmd_run(int argc, char **argv, struct bw_opts *opts);
int cmd_scan(int argc, char **argv, struct bw_opts *opts);
int cmd_parse(int argc, char **argv, struct bw_opts *opts);
int cmd_explain(int argc, char **argv, struct bw_opts *opts);
int cmd_check_config(int argc, char **argv, struct bw_opts *opts);
int cmd_verp(int argc, char **argv, struct bw_opts *opts);
int cmd_outbox(int argc, char **argv, struct bw_opts *opts);
int cmd_ingest(int argc, char **argv, struct bw_opts *opts);
int cmd_suppress(int argc, char **argv, struct bw_opts *opts);
int cmd_address(int argc, char **argv, struct bw_opts *opts);
int cmd_report(int argc, char **argv, struct bw_opts *opts);
int cmd_campaign(int argc, char **argv, struct bw_opts *opts);
int cmd_status(int argc, char **argv, struct bw_opts *opts);

/* Helpers of the state commands (cmd_state.c). */
struct bw_store;
/* Open cfg->state; NULL with a message on stderr. */
struct bw_store *cmd_open_store(const struct bw_config *cfg);
/* An address from the command line ("<a@b>" or "a@b"), domain lower-cased,
 * into out; false with a message on stderr when it is not one. */
bool cmd_address_arg(const char *in, char *out, size_t outsz);
/* ISO 8601 UTC, "-" for 0. */
void cmd_iso_time(time_t t, char out[32]);
/* --since: "YYYY-MM-DD[THH:MM[:SS]][Z]" (UTC) or "7d", "24h", "30m" before now. */
bool cmd_parse_since(const char *s, time_t now, time_t *out);
/* A JSON string of untrusted text (invalid UTF-8 read as Latin-1); a new
 * reference, never NULL. */
struct json_t;
struct json_t *cmd_json_text(const char *s);

#endif
