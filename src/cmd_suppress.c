/*
 * cmd_suppress.c - `bouncewatch suppress list|export|add|remove` (SPEC §4, §7):
 * the suppression list.  add and remove are decisions like the policy's: they
 * are kept in the address's history and reach the hooks that subscribe to
 * `suppress` / `unsuppress`.  remove is also the manual reset of SPEC §4: the
 * address's soft streak is cleared.
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
#include "pipeline.h"
#include "policy.h"
#include "store.h"
#include "util.h"

static const char usage_text[] =
	"Usage: bouncewatch suppress list [--json]\n"
	"       bouncewatch suppress export [--format csv|json]\n"
	"       bouncewatch suppress add ADDR [--reason R] [--account NAME]\n"
	"       bouncewatch suppress remove ADDR [--account NAME]\n\n"
	"The suppression list: addresses not to send to (SPEC §4).\n"
	"  list     one line per entry: address, scope, account, reason, since;\n"
	"           --json: one JSON object per line\n"
	"  export   the whole list as CSV (default, with a header line) or a JSON array\n"
	"  add      suppress ADDR by hand: for every account (scope global), or for\n"
	"           one account with --account; --reason defaults to \"manual\"\n"
	"  remove   take ADDR off the list (every entry, or the one of --account)\n"
	"           and clear its soft-bounce streak; the only way an address\n"
	"           comes off the list\n"
	"add and remove reach the hooks subscribed to suppress / unsuppress.\n"
	"Options: -c FILE, --state PATH as everywhere.\n"
	"Exit codes: 0 done, 1 nothing to do (already listed / not listed) or a\n"
	"store failure, 2 usage.\n";

struct args {
	const char *action;
	const char *addr;
	const char *reason;
	const char *account;
	const char *format;
	bool json;
};

static json_t *listing_json(const struct bw_listing *l)
{
	char when[32];
	cmd_iso_time(l->created, when);
	return json_pack("{s:o, s:s, s:o, s:o, s:o, s:s, s:I}", "address", cmd_json_text(l->address),
			 "scope", l->scope, "account", cmd_json_text(l->account),
			 "reason", cmd_json_text(l->reason), "detail", cmd_json_text(l->detail),
			 "created", when, "event_id", (json_int_t)l->event_id);
}

/* A CSV field: quoted when it holds a comma, quote, CR or LF. */
static void csv_field(FILE *out, const char *s, bool last)
{
	if (strpbrk(s, ",\"\r\n")) {
		fputc('"', out);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', out);
			fputc(*s, out);
		}
		fputc('"', out);
	} else {
		fputs(s, out);
	}
	fputc(last ? '\n' : ',', out);
}

static int do_list(struct bw_store *st, const struct args *a, bool export)
{
	struct bw_listing *v;
	size_t n;
	if (store_suppress_list(st, NULL, &v, &n) < 0) {
		fprintf(stderr, "bouncewatch: %s\n", store_error(st));
		return EXIT_RUNTIME;
	}
	bool json = export ? strcmp(a->format, "json") == 0 : a->json;
	json_t *arr = export && json ? json_array() : NULL;
	if (export && !json)
		fputs("address,scope,account,reason,created,event_id,detail\n", stdout);
	for (size_t i = 0; i < n; i++) {
		const struct bw_listing *l = &v[i];
		char when[32], id[24];
		cmd_iso_time(l->created, when);
		if (arr) {
			json_array_append_new(arr, listing_json(l));
		} else if (json) {
			json_t *o = listing_json(l);
			char *s = json_dumps(o, JSON_COMPACT);
			if (s)
				puts(s);
			free(s);
			json_decref(o);
		} else if (export) {
			snprintf(id, sizeof id, "%lld", (long long)l->event_id);
			csv_field(stdout, l->address, false);
			csv_field(stdout, l->scope, false);
			csv_field(stdout, l->account, false);
			csv_field(stdout, l->reason, false);
			csv_field(stdout, when, false);
			csv_field(stdout, id, false);
			csv_field(stdout, l->detail, true);
		} else {
			printf("%s\t%s\t%s\t%s\t%s\n", l->address, l->scope,
			       l->account[0] ? l->account : "-", l->reason, when);
		}
	}
	if (arr) {
		char *s = json_dumps(arr, JSON_INDENT(2));
		if (s)
			puts(s);
		free(s);
		json_decref(arr);
	}
	if (!export && !json)
		fprintf(stderr, "%zu suppressed\n", n);
	free(v);
	return EXIT_OK;
}

/* Clear the soft streak of addr in account (NULL: every account). */
static int reset_streaks(struct bw_store *st, const char *addr, const char *account)
{
	struct bw_address_state *v;
	size_t n;
	if (store_address_all(st, addr, &v, &n) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (account && strcmp(account, v[i].account) != 0)
			continue;
		policy_clear_streak(&v[i]);
		if (v[i].status == BW_ADDR_SUPPRESSED)
			v[i].status = BW_ADDR_OK;
		rc = store_address_put(st, &v[i]);
	}
	free(v);
	return rc;
}

static int do_change(const struct bw_config *cfg, struct bw_store *st, const struct args *a,
		     bool add)
{
	char addr[BW_ADDR_MAX + 1];
	if (!cmd_address_arg(a->addr, addr, sizeof addr))
		return EXIT_USAGE;
	time_t now = time(NULL);
	struct bw_decision d;
	memset(&d, 0, sizeof d);
	d.type = add ? BW_DEC_SUPPRESS : BW_DEC_UNSUPPRESS;
	bw_strlcpy(d.address, addr, sizeof d.address);
	bw_strlcpy(d.reason, add ? (a->reason ? a->reason : "manual") : "manual", sizeof d.reason);
	bw_strlcpy(d.scope, a->account ? "account" : "global", sizeof d.scope);
	bw_strlcpy(d.account, a->account ? a->account : "", sizeof d.account);
	snprintf(d.detail, sizeof d.detail, "%s by hand", add ? "suppressed" : "unsuppressed");
	/* seed: one id per action (a later add after a remove is a new event) */
	char seed[BW_ADDR_MAX + 64];
	snprintf(seed, sizeof seed, "manual %lld %s", (long long)now, addr);

	int r = store_begin(st);
	if (r == 0)
		r = pipeline_record_decision(cfg, st, &d, NULL, 0, seed, 0, now, now);
	if (r == 0 && !add)
		r = reset_streaks(st, addr, a->account);
	if (r == 0)
		r = store_commit(st);
	else
		store_rollback(st);
	if (r < 0) {
		fprintf(stderr, "bouncewatch: %s\n", store_error(st));
		store_rollback(st);
		return EXIT_RUNTIME;
	}
	if (r == 1) {
		fprintf(stderr, "bouncewatch: %s is %s%s%s\n", addr,
			add ? "already suppressed" : "not suppressed",
			a->account ? " in account " : "", a->account ? a->account : "");
		return EXIT_RUNTIME;
	}
	printf("%s %s (%s%s%s)\n", add ? "suppressed" : "unsuppressed", addr, d.scope,
	       a->account ? " " : "", a->account ? a->account : "");
	return EXIT_OK;
}

static int parse_args(int argc, char **argv, struct bw_opts *opts, struct args *a)
{
	static const struct option longopts[] = {
		CMD_COMMON_LONGOPTS,
		{ "json", no_argument, NULL, 'j' },
		{ "format", required_argument, NULL, 'f' },
		{ "reason", required_argument, NULL, 'r' },
		{ "account", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	memset(a, 0, sizeof *a);
	a->format = "csv";
	while ((c = getopt_long(argc, argv, "c:hf:r:a:", longopts, NULL)) != -1) {
		if (cmd_common_opt(c, optarg, opts))
			continue;
		switch (c) {
		case 'j': a->json = true; break;
		case 'f': a->format = optarg; break;
		case 'r': a->reason = optarg; break;
		case 'a': a->account = optarg; break;
		case 'h': fputs(usage_text, stdout); return -1;
		default: return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return EXIT_USAGE;
	a->action = argv[optind++];
	bool needs_addr = strcmp(a->action, "add") == 0 || strcmp(a->action, "remove") == 0;
	if (needs_addr) {
		if (optind >= argc)
			return EXIT_USAGE;
		a->addr = argv[optind++];
	} else if (strcmp(a->action, "list") != 0 && strcmp(a->action, "export") != 0) {
		fprintf(stderr, "bouncewatch: suppress: unknown action '%s'\n", a->action);
		return EXIT_USAGE;
	}
	if (optind < argc)
		return EXIT_USAGE;
	if (strcmp(a->format, "csv") != 0 && strcmp(a->format, "json") != 0) {
		fprintf(stderr, "bouncewatch: --format is csv or json\n");
		return EXIT_USAGE;
	}
	if (a->reason && (strlen(a->reason) >= 32 || !a->reason[0])) {
		fprintf(stderr, "bouncewatch: --reason: one word, under 32 characters\n");
		return EXIT_USAGE;
	}
	if (a->account && (strlen(a->account) >= 64 || !a->account[0])) {
		fprintf(stderr, "bouncewatch: --account: a name under 64 characters\n");
		return EXIT_USAGE;
	}
	return 0;
}

int cmd_suppress(int argc, char **argv, struct bw_opts *opts)
{
	struct args a;
	int rc = parse_args(argc, argv, opts, &a);
	if (rc < 0)
		return EXIT_OK;           /* --help */
	if (rc) {
		fputs(usage_text, stderr);
		return rc;
	}
	struct bw_config cfg;
	if ((rc = cmd_load_config(opts, &cfg)))
		return rc;
	struct bw_store *st = cmd_open_store(&cfg);
	if (!st) {
		conf_free(&cfg);
		return EXIT_RUNTIME;
	}
	if (strcmp(a.action, "list") == 0)
		rc = do_list(st, &a, false);
	else if (strcmp(a.action, "export") == 0)
		rc = do_list(st, &a, true);
	else
		rc = do_change(&cfg, st, &a, strcmp(a.action, "add") == 0);
	store_close(st);
	conf_free(&cfg);
	return rc;
}
