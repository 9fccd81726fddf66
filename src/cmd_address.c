/*
 * cmd_address.c - `bouncewatch address ADDR`: one address's lists, state per
 * account, bounce events with their reasons, and the decisions taken.
 * `--reset` is the manual reset of SPEC §4 (soft streak and deferral).
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
#include "policy.h"
#include "store.h"

static const char usage_text[] =
	"Usage: bouncewatch address [--json] ADDR\n"
	"       bouncewatch address --reset [--account NAME] ADDR\n\n"
	"Everything known about one address: whether it is suppressed or deferred\n"
	"(and why), its state in each account (soft-bounce streaks, totals), every\n"
	"bounce event with kind, reason, status and the detector that decided, and\n"
	"every decision taken.\n"
	"  --json     one JSON object\n"
	"  --reset    clear the soft-bounce streak and take the address off the\n"
	"             deferral list (every account, or --account); the suppression\n"
	"             list is left alone: see `suppress remove`\n"
	"Exit codes: 0 found, 1 nothing known about ADDR (or a store failure), 2 usage.\n";

struct history {
	struct bw_listing *sup, *def;
	size_t n_sup, n_def;
	struct bw_address_state *acc;
	size_t n_acc;
	struct bw_event_rec *ev;
	size_t n_ev;
	struct bw_decision_rec *dec;
	size_t n_dec;
};

static void history_free(struct history *h)
{
	free(h->sup);
	free(h->def);
	free(h->acc);
	free(h->ev);
	free(h->dec);
}

static int history_load(struct bw_store *st, const char *addr, struct history *h)
{
	memset(h, 0, sizeof *h);
	if (store_suppress_list(st, addr, &h->sup, &h->n_sup) < 0 ||
	    store_defer_list(st, addr, &h->def, &h->n_def) < 0 ||
	    store_address_all(st, addr, &h->acc, &h->n_acc) < 0 ||
	    store_events_for(st, addr, 0, &h->ev, &h->n_ev) < 0 ||
	    store_decisions_for(st, addr, &h->dec, &h->n_dec) < 0)
		return -1;
	return 0;
}

static json_t *time_json(time_t t)
{
	char s[32];
	if (t <= 0)
		return json_null();
	cmd_iso_time(t, s);
	return json_string(s);
}

static json_t *listings_json(const struct bw_listing *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:o, s:o, s:o, s:o, s:I}",
			"scope", v[i].scope, "account", cmd_json_text(v[i].account),
			"reason", cmd_json_text(v[i].reason), "detail", cmd_json_text(v[i].detail), "created", time_json(v[i].created),
			"event_id", (json_int_t)v[i].event_id));
	return a;
}

static void print_json(const char *addr, const struct history *h)
{
	json_t *o = json_object();
	json_object_set_new(o, "address", cmd_json_text(addr));
	json_object_set_new(o, "suppressed", json_boolean(h->n_sup > 0));
	json_object_set_new(o, "suppressions", listings_json(h->sup, h->n_sup));
	json_object_set_new(o, "deferrals", listings_json(h->def, h->n_def));
	json_t *acc = json_array();
	for (size_t i = 0; i < h->n_acc; i++) {
		const struct bw_address_state *s = &h->acc[i];
		json_t *a = json_pack("{s:o, s:s, s:i, s:i, s:i, s:i, s:i}",
			"account", cmd_json_text(s->account), "status", bw_addr_status_name(s->status),
			"soft_total", (int)s->soft_total, "hard_total", (int)s->hard_total,
			"soft_streak", (int)s->nocamp_streak,
			"campaign_streak", (int)s->campaign_streak, "events", (int)s->events);
		json_object_set_new(a, "first_soft", time_json(s->first_soft));
		json_object_set_new(a, "last_soft", time_json(s->last_soft));
		json_object_set_new(a, "first_mailboxfull", time_json(s->first_mailboxfull));
		json_object_set_new(a, "last_success", time_json(s->last_success));
		json_object_set_new(a, "last_event", time_json(s->last_event));
		json_array_append_new(acc, a);
	}
	json_object_set_new(o, "accounts", acc);
	json_t *evs = json_array();
	for (size_t i = 0; i < h->n_ev; i++) {
		const struct bw_event *e = &h->ev[i].ev;
		json_t *x = json_pack("{s:I, s:o, s:s, s:s, s:b, s:o, s:o, s:o, s:o, s:o, s:o}",
			"id", (json_int_t)h->ev[i].id, "account", cmd_json_text(h->ev[i].account),
			"kind", bw_kind_name(e->kind), "reason", bw_reason_name(e->reason),
			"hard", e->hard, "status", cmd_json_text(e->status),
			"reply_code", cmd_json_text(e->reply_code),
			"diagnostic", cmd_json_text(e->diagnostic), "detector", cmd_json_text(e->detector),
			"campaign", cmd_json_text(e->original.campaign),
			"message_id", cmd_json_text(e->original.message_id));
		json_object_set_new(x, "time", time_json(h->ev[i].time));
		json_array_append_new(evs, x);
	}
	json_object_set_new(o, "events", evs);
	json_t *decs = json_array();
	for (size_t i = 0; i < h->n_dec; i++) {
		const struct bw_decision *d = &h->dec[i].d;
		json_t *x = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:I}",
			"event", bw_decision_name(d->type), "reason", cmd_json_text(d->reason),
			"scope", cmd_json_text(d->scope), "account", cmd_json_text(d->account),
			"campaign", cmd_json_text(d->campaign), "detail", cmd_json_text(d->detail),
			"event_id", (json_int_t)h->dec[i].event_id);
		json_object_set_new(x, "time", time_json(h->dec[i].time));
		json_array_append_new(decs, x);
	}
	json_object_set_new(o, "decisions", decs);
	char *s = json_dumps(o, JSON_COMPACT);
	if (s)
		puts(s);
	free(s);
	json_decref(o);
}

static void print_text(const char *addr, const struct history *h)
{
	char t1[32], t2[32];
	printf("address     %s\n", addr);
	if (!h->n_sup)
		printf("suppressed  no\n");
	for (size_t i = 0; i < h->n_sup; i++) {
		cmd_iso_time(h->sup[i].created, t1);
		printf("suppressed  %s%s%s, %s, since %s: %s\n", h->sup[i].scope,
		       h->sup[i].account[0] ? " " : "", h->sup[i].account, h->sup[i].reason, t1,
		       h->sup[i].detail);
	}
	if (!h->n_def)
		printf("deferred    no\n");
	for (size_t i = 0; i < h->n_def; i++) {
		cmd_iso_time(h->def[i].created, t1);
		printf("deferred    %s, %s, since %s\n", h->def[i].account, h->def[i].reason, t1);
	}
	for (size_t i = 0; i < h->n_acc; i++) {
		const struct bw_address_state *s = &h->acc[i];
		cmd_iso_time(s->first_soft, t1);
		cmd_iso_time(s->last_success, t2);
		printf("account     %s: %s; soft %u (streak %u, campaigns in a row %u, since %s),"
		       " hard %u, last success %s\n", s->account, bw_addr_status_name(s->status),
		       s->soft_total, s->nocamp_streak, s->campaign_streak, t1, s->hard_total, t2);
	}
	printf("\nevents (%zu)\n", h->n_ev);
	for (size_t i = 0; i < h->n_ev; i++) {
		const struct bw_event *e = &h->ev[i].ev;
		cmd_iso_time(h->ev[i].time, t1);
		printf("  %s  %-8s %-9s %-15s %-7s %-3s %s%s%s\n", t1, h->ev[i].account,
		       bw_kind_name(e->kind), bw_reason_name(e->reason), e->status[0] ? e->status : "-",
		       e->reply_code[0] ? e->reply_code : "-", e->detector,
		       e->original.campaign[0] ? "  campaign " : "", e->original.campaign);
		if (e->diagnostic[0])
			printf("      %.200s\n", e->diagnostic);
	}
	printf("\ndecisions (%zu)\n", h->n_dec);
	for (size_t i = 0; i < h->n_dec; i++) {
		const struct bw_decision *d = &h->dec[i].d;
		cmd_iso_time(h->dec[i].time, t1);
		printf("  %s  %-11s %s%s%s  %s: %s\n", t1, bw_decision_name(d->type), d->scope,
		       d->account[0] ? " " : "", d->account, d->reason, d->detail);
	}
}

static int do_reset(struct bw_store *st, const char *addr, const char *account)
{
	struct bw_address_state *v;
	size_t n;
	unsigned removed = 0, cleared = 0;
	int r = store_begin(st);
	if (r == 0)
		r = store_address_all(st, addr, &v, &n);
	if (r == 0) {
		for (size_t i = 0; i < n && r == 0; i++) {
			if (account && strcmp(account, v[i].account) != 0)
				continue;
			policy_clear_streak(&v[i]);
			if (v[i].status == BW_ADDR_DEFERRED)
				v[i].status = BW_ADDR_OK;
			r = store_address_put(st, &v[i]);
			cleared++;
		}
		free(v);
	}
	if (r == 0)
		r = store_defer_remove(st, addr, account, &removed);
	if (r == 0)
		r = store_commit(st);
	if (r < 0) {
		fprintf(stderr, "bouncewatch: %s\n", store_error(st));
		store_rollback(st);
		return EXIT_RUNTIME;
	}
	printf("reset %s: soft streak cleared in %u account%s, %u deferral%s removed\n", addr,
	       cleared, cleared == 1 ? "" : "s", removed, removed == 1 ? "" : "s");
	return EXIT_OK;
}

int cmd_address(int argc, char **argv, struct bw_opts *opts)
{
	static const struct option longopts[] = {
		CMD_COMMON_LONGOPTS,
		{ "json", no_argument, NULL, 'j' },
		{ "reset", no_argument, NULL, 'r' },
		{ "account", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false, reset = false;
	const char *account = NULL;
	int c, rc;
	while ((c = getopt_long(argc, argv, "c:ha:", longopts, NULL)) != -1) {
		if (cmd_common_opt(c, optarg, opts))
			continue;
		switch (c) {
		case 'j': json = true; break;
		case 'r': reset = true; break;
		case 'a': account = optarg; break;
		case 'h': fputs(usage_text, stdout); return EXIT_OK;
		default: fputs(usage_text, stderr); return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	char addr[BW_ADDR_MAX + 1];
	if (!cmd_address_arg(argv[optind], addr, sizeof addr))
		return EXIT_USAGE;
	struct bw_config cfg;
	if ((rc = cmd_load_config(opts, &cfg)))
		return rc;
	struct bw_store *st = cmd_open_store(&cfg);
	if (!st) {
		conf_free(&cfg);
		return EXIT_RUNTIME;
	}
	if (reset) {
		rc = do_reset(st, addr, account);
	} else {
		struct history h;
		if (history_load(st, addr, &h) < 0) {
			fprintf(stderr, "bouncewatch: %s\n", store_error(st));
			rc = EXIT_RUNTIME;
		} else if (!h.n_sup && !h.n_def && !h.n_acc && !h.n_ev && !h.n_dec) {
			fprintf(stderr, "bouncewatch: no record of %s\n", addr);
			rc = EXIT_RUNTIME;
		} else {
			if (json)
				print_json(addr, &h);
			else
				print_text(addr, &h);
			rc = EXIT_OK;
		}
		history_free(&h);
	}
	store_close(st);
	conf_free(&cfg);
	return rc;
}
