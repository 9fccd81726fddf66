/*
 * cmd_status.c - `bouncewatch status [--json]`: the instances sharing the
 * state store (id, host, pid, last heartbeat, live or not), which folder
 * lease each holds, and the hook outbox depth per state.
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
	"Usage: bouncewatch status [--json]\n\n"
	"The bouncewatch instances sharing the state store (id, host, pid, last\n"
	"heartbeat; live when it beat within the lease time), the folder leases\n"
	"(which instance watches which account and folder, until when), and the\n"
	"hook outbox depth: pending, delivered, dead.\n"
	"  --json   one JSON object\n";

/* Lease time: BOUNCEWATCH_LEASE_SECONDS, else the default (as `run`). */
static unsigned lease_seconds(void)
{
	const char *e = getenv("BOUNCEWATCH_LEASE_SECONDS");
	if (e && *e) {
		char *end;
		unsigned long v = strtoul(e, &end, 10);
		if (*end == '\0' && v >= 2 && v <= 3600)
			return (unsigned)v;
	}
	return BW_LEASE_SECONDS;
}

static json_t *status_json(const char *backend, bool shared, struct bw_instance *in, size_t ni,
			   struct bw_lease *l, size_t nl, const unsigned counts[3], time_t now,
			   unsigned ttl)
{
	char t[32];
	json_t *ja = json_array(), *jl = json_array();
	for (size_t i = 0; i < ni; i++) {
		cmd_iso_time(in[i].heartbeat, t);
		json_array_append_new(ja, json_pack("{s:o, s:o, s:I, s:s, s:I, s:b, s:i}",
			"id", cmd_json_text(in[i].id), "host", cmd_json_text(in[i].host),
			"pid", (json_int_t)in[i].pid, "heartbeat", t,
			"age", (json_int_t)(now - in[i].heartbeat),
			"live", in[i].heartbeat > now - (time_t)ttl, "leases", (int)in[i].leases));
	}
	for (size_t i = 0; i < nl; i++) {
		bool valid = l[i].holder[0] && l[i].expires > now;
		cmd_iso_time(l[i].expires, t);
		json_array_append_new(jl, json_pack("{s:o, s:o, s:o, s:s, s:b}",
			"account", cmd_json_text(l[i].account), "folder", cmd_json_text(l[i].folder),
			"holder", valid ? cmd_json_text(l[i].holder) : json_null(), "expires", t,
			"held", valid));
	}
	return json_pack("{s:s, s:b, s:i, s:o, s:o, s:{s:i, s:i, s:i}}", "backend", backend,
			 "shared", shared, "lease_seconds", (int)ttl, "instances", ja, "leases", jl,
			 "outbox", "pending", (int)counts[BW_OUTBOX_PENDING],
			 "delivered", (int)counts[BW_OUTBOX_DONE], "dead", (int)counts[BW_OUTBOX_DEAD]);
}

static void status_text(const char *backend, bool shared, struct bw_instance *in, size_t ni,
			struct bw_lease *l, size_t nl, const unsigned counts[3], time_t now,
			unsigned ttl)
{
	char t[32];
	unsigned live = 0;
	for (size_t i = 0; i < ni; i++)
		live += in[i].heartbeat > now - (time_t)ttl;
	printf("state store: %s%s\n\n", backend, shared ? " (shared by instances)" : "");
	printf("instances: %u live of %zu (lease %u s)\n", live, ni, ttl);
	if (ni)
		printf("  %-36s %-20s %8s  %-20s %6s %6s\n", "ID", "HOST", "PID", "HEARTBEAT",
		       "AGE", "LEASES");
	for (size_t i = 0; i < ni; i++) {
		cmd_iso_time(in[i].heartbeat, t);
		printf("  %-36.95s %-20.127s %8lld  %-20s %5llds %6u%s\n", in[i].id, in[i].host,
		       (long long)in[i].pid, t, (long long)(now - in[i].heartbeat), in[i].leases,
		       in[i].heartbeat > now - (time_t)ttl ? "" : "  (silent: dead?)");
	}
	printf("\nleases: %zu\n", nl);
	if (nl)
		printf("  %-20s %-20s %-36s %s\n", "ACCOUNT", "FOLDER", "HOLDER", "EXPIRES");
	for (size_t i = 0; i < nl; i++) {
		bool valid = l[i].holder[0] && l[i].expires > now;
		cmd_iso_time(l[i].expires, t);
		printf("  %-20.63s %-20.255s %-36.95s %s%s\n", l[i].account, l[i].folder,
		       valid ? l[i].holder : "-", valid ? t : "-",
		       !valid && l[i].holder[0] ? "  (expired)" : "");
	}
	printf("\noutbox: %u pending, %u delivered, %u dead\n", counts[BW_OUTBOX_PENDING],
	       counts[BW_OUTBOX_DONE], counts[BW_OUTBOX_DEAD]);
}

int cmd_status(int argc, char **argv, struct bw_opts *opts)
{
	static const struct option longopts[] = {
		CMD_COMMON_LONGOPTS,
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false;
	int c, rc;
	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		if (cmd_common_opt(c, optarg, opts))
			continue;
		switch (c) {
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
	struct bw_instance *in = NULL;
	struct bw_lease *l = NULL;
	size_t ni = 0, nl = 0;
	unsigned counts[3];
	time_t now = time(NULL);
	unsigned ttl = lease_seconds();
	rc = EXIT_OK;
	if (store_instance_list(st, &in, &ni) < 0 || store_lease_list(st, &l, &nl) < 0 ||
	    store_outbox_count(st, counts) < 0) {
		fprintf(stderr, "bouncewatch: %s\n", store_error(st));
		rc = EXIT_RUNTIME;
	} else if (json) {
		json_t *o = status_json(store_backend(st), store_is_shared(st), in, ni, l, nl, counts,
					now, ttl);
		char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
		if (s)
			puts(s);
		free(s);
		json_decref(o);
	} else {
		status_text(store_backend(st), store_is_shared(st), in, ni, l, nl, counts, now, ttl);
	}
	free(in);
	free(l);
	store_close(st);
	conf_free(&cfg);
	return rc;
}
