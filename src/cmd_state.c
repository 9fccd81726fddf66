/*
 * cmd_state.c - helpers shared by the commands that read or write the state
 * store (suppress, address, report, campaign, ingest).
 */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "output.h"
#include "date.h"
#include "detect.h"
#include "event.h"
#include "store.h"
#include "util.h"

struct bw_store *cmd_open_store(const struct bw_config *cfg)
{
	char err[512];
	struct bw_store *st = store_open(cfg->state, err, sizeof err);
	if (!st)
		fprintf(stderr, "bouncewatch: cannot open the state store: %s\n", err);
	return st;
}

bool cmd_address_arg(const char *in, char *out, size_t outsz)
{
	size_t len = strlen(in);
	if (len >= 2 && in[0] == '<' && in[len - 1] == '>') {
		in++;
		len -= 2;
	}
	if (len == 0 || len >= outsz || len > BW_ADDR_MAX) {
		fprintf(stderr, "bouncewatch: not an address: '%s'\n", in);
		return false;
	}
	memcpy(out, in, len);
	out[len] = '\0';
	addr_normalise(out);
	if (!addr_valid(out)) {
		fprintf(stderr, "bouncewatch: not an address: '%s'\n", out);
		return false;
	}
	return true;
}

void cmd_iso_time(time_t t, char out[32])
{
	if (t <= 0)
		snprintf(out, 32, "-");
	else
		bw_format_time(t, out, 32);
}

/* Read exactly n digits at *p; advances *p. */
static bool digits(const char **p, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (**p < '0' || **p > '9')
			return false;
		*v = *v * 10 + (**p - '0');
	}
	return true;
}

bool cmd_parse_since(const char *s, time_t now, time_t *out)
{
	const char *p = s;
	int v;
	/* relative: 7d, 24h, 30m */
	size_t len = strlen(s);
	if (len >= 2 && len < 9 && (s[len - 1] == 'd' || s[len - 1] == 'h' || s[len - 1] == 'm')) {
		long n = 0;
		for (size_t i = 0; i + 1 < len; i++) {
			if (s[i] < '0' || s[i] > '9')
				return false;
			n = n * 10 + (s[i] - '0');
		}
		long unit = s[len - 1] == 'd' ? 86400 : s[len - 1] == 'h' ? 3600 : 60;
		*out = now - (time_t)(n * unit);
		return true;
	}
	/* absolute, UTC: YYYY-MM-DD[(T| )HH:MM[:SS]][Z] */
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	if (!digits(&p, 4, &v) || *p++ != '-')
		return false;
	tm.tm_year = v - 1900;
	if (!digits(&p, 2, &v) || v < 1 || v > 12 || *p++ != '-')
		return false;
	tm.tm_mon = v - 1;
	if (!digits(&p, 2, &v) || v < 1 || v > 31)
		return false;
	tm.tm_mday = v;
	if (*p == 'T' || *p == ' ') {
		p++;
		if (!digits(&p, 2, &v) || v > 23 || *p++ != ':')
			return false;
		tm.tm_hour = v;
		if (!digits(&p, 2, &v) || v > 59)
			return false;
		tm.tm_min = v;
		if (*p == ':') {
			p++;
			if (!digits(&p, 2, &v) || v > 60)
				return false;
			tm.tm_sec = v;
		}
	}
	if (*p == 'Z')
		p++;
	if (*p)
		return false;
	*out = timegm(&tm);
	return true;
}

json_t *cmd_json_text(const char *s)
{
	return output_json_string(s);
}
