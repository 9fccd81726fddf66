/*
 * conf.c - configuration: libconfig file -> struct bw_config.
 *
 * Scalar settings are described by a table (name, type, default, bounds,
 * offset), the lists (accounts, hooks) by one table each.  Every problem is
 * reported as "file:line: message" and parsing goes on.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <libconfig.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf.h"
#include "event.h"
#include "log.h"
#include "util.h"

enum ctype { C_STR, C_UINT, C_SIZE, C_BOOL, C_DOUBLE, C_STRLIST };

struct setting {
	const char *path;       /* dotted libconfig path, relative to its group */
	enum ctype type;
	size_t off;             /* offset in the struct it fills */
	size_t listcount_off;   /* C_STRLIST: offset of the count */
	const char *def_str;
	double def_num;
	double min, max;
};

#define CF(f) offsetof(struct bw_config, f)
#define AC(f) offsetof(struct bw_account, f)
#define HK(f) offsetof(struct bw_hook, f)

static const struct setting top_settings[] = {
	{ "state", C_STR, CF(state), 0, BW_DEFAULT_STATE, 0, 0, 0 },
	{ "user", C_STR, CF(user), 0, "", 0, 0, 0 },
	{ "log.level", C_STR, CF(log_level), 0, "info", 0, 0, 0 },
	{ "log.target", C_STR, CF(log_target), 0, "stderr", 0, 0, 0 },
	{ "log.format", C_STR, CF(log_format), 0, "text", 0, 0, 0 },
	{ "classify.campaign_headers", C_STRLIST, CF(classify.campaign_headers),
	  CF(classify.n_campaign_headers), "X-Campaign-ID,List-Id", 0, 0, 0 },
	{ "classify.verp.format", C_STR, CF(classify.verp.format), 0,
	  "bounces+{local}={domain}@", 0, 0, 0 },
	{ "classify.verp.secret_file", C_STR, CF(classify.verp.secret_file), 0, "", 0, 0, 0 },
	{ "classify.verp.require_signed", C_BOOL, CF(classify.verp.require_signed), 0, NULL, 0, 0, 1 },
	{ "classify.limits.max_message_bytes", C_SIZE, CF(classify.limits.max_message_bytes), 0,
	  NULL, 10485760, 1024, 1073741824 },
	{ "classify.limits.max_depth", C_UINT, CF(classify.limits.max_depth), 0, NULL, 32, 1, 1000 },
	{ "classify.limits.max_header_bytes", C_SIZE, CF(classify.limits.max_header_bytes), 0,
	  NULL, 65536, 1024, 16777216 },
	{ "classify.limits.max_parts", C_UINT, CF(classify.limits.max_parts), 0, NULL, 256, 1, 100000 },
	{ "classify.limits.max_events", C_UINT, CF(classify.limits.max_events), 0, NULL, 1000, 1, 1000000 },
	{ "classify.limits.max_diagnostic_bytes", C_UINT, CF(classify.limits.max_diagnostic_bytes), 0, NULL,
	  BW_DIAG_MAX - 1, 64, BW_DIAG_MAX - 1 },
	{ "policy.soft_campaigns", C_UINT, CF(policy.soft_campaigns), 0, NULL, 3, 0, 1000 },
	{ "policy.soft_consecutive", C_UINT, CF(policy.soft_consecutive), 0, NULL, 7, 0, 1000 },
	{ "policy.soft_total", C_UINT, CF(policy.soft_total), 0, NULL, 15, 0, 100000 },
	{ "policy.soft_window_hours", C_UINT, CF(policy.soft_window_hours), 0, NULL, 72, 0, 100000 },
	{ "policy.mailboxfull_days", C_UINT, CF(policy.mailboxfull_days), 0, NULL, 30, 0, 10000 },
	{ "policy.global_accounts", C_UINT, CF(policy.global_accounts), 0, NULL, 3, 0, 10000 },
	{ "policy.alert_hard_rate", C_DOUBLE, CF(policy.alert_hard_rate), 0, NULL, 0.02, 0, 1 },
	{ "policy.alert_soft_rate", C_DOUBLE, CF(policy.alert_soft_rate), 0, NULL, 0.05, 0, 1 },
	{ "metrics.listen", C_STR, CF(metrics_listen), 0, "", 0, 0, 0 },
};

static const struct setting account_settings[] = {
	{ "name", C_STR, AC(name), 0, "", 0, 0, 0 },
	{ "url", C_STR, AC(url), 0, "", 0, 0, 0 },
	{ "user", C_STR, AC(user), 0, "", 0, 0, 0 },
	{ "password_file", C_STR, AC(password_file), 0, "", 0, 0, 0 },
	{ "password_env", C_STR, AC(password_env), 0, "", 0, 0, 0 },
	{ "password", C_STR, AC(password_inline), 0, "", 0, 0, 0 },
	{ "tls_ca_file", C_STR, AC(tls_ca_file), 0, "", 0, 0, 0 },
	{ "tls_verify", C_BOOL, AC(tls_verify), 0, NULL, 1, 0, 1 },
	{ "allow_plaintext", C_BOOL, AC(allow_plaintext), 0, NULL, 0, 0, 1 },
	{ "folders", C_STRLIST, AC(folders), AC(n_folders), "INBOX", 0, 0, 0 },
	{ "mode", C_STR, 0, 0, NULL, 0, 0, 0 },  /* handled by hand: enum */
	{ "poll_interval", C_UINT, AC(poll_interval), 0, NULL, 60, 1, 86400 },
	{ "batch", C_UINT, AC(batch), 0, NULL, 200, 1, 100000 },
	{ "fetch_max_bytes", C_SIZE, AC(fetch_max_bytes), 0, NULL, 262144, 1024, 1073741824 },
	{ "on_bounce", C_STR, AC(on_bounce), 0, "seen", 0, 0, 0 },
	{ "on_other", C_STR, AC(on_other), 0, "none", 0, 0, 0 },
};

static const struct setting hook_settings[] = {
	{ "name", C_STR, HK(name), 0, "", 0, 0, 0 },
	{ "url", C_STR, HK(url), 0, "", 0, 0, 0 },
	{ "method", C_STR, HK(method), 0, "POST", 0, 0, 0 },
	{ "events", C_STRLIST, HK(events), HK(n_events), "suppress,unsuppress", 0, 0, 0 },
	{ "headers", C_STRLIST, HK(headers), HK(n_headers), "", 0, 0, 0 },
	{ "body", C_STR, HK(body), 0, "", 0, 0, 0 },
	{ "batch_body", C_STR, HK(batch_body), 0, "", 0, 0, 0 },
	{ "auth.type", C_STR, HK(auth_type), 0, "", 0, 0, 0 },
	{ "auth.token_env", C_STR, HK(auth_token_env), 0, "", 0, 0, 0 },
	{ "auth.token_file", C_STR, HK(auth_token_file), 0, "", 0, 0, 0 },
	{ "auth.user", C_STR, HK(auth_user), 0, "", 0, 0, 0 },
	{ "secret_file", C_STR, HK(secret_file), 0, "", 0, 0, 0 },
	{ "secret_env", C_STR, HK(secret_env), 0, "", 0, 0, 0 },
	{ "timeout", C_UINT, HK(timeout), 0, NULL, 10, 1, 3600 },
	{ "retry_hours", C_UINT, HK(retry_hours), 0, NULL, 24, 0, 8760 },
	{ "batch", C_UINT, HK(batch), 0, NULL, 1, 1, 10000 },
};

struct ctx {
	const char *file;
	FILE *err;
	int errors;
};

static void cerr(struct ctx *c, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void cerr(struct ctx *c, int line, const char *fmt, ...)
{
	if (c->err) {
		va_list ap;
		fprintf(c->err, "%s:%d: ", c->file, line);
		va_start(ap, fmt);
		vfprintf(c->err, fmt, ap);
		va_end(ap);
		fputc('\n', c->err);
	}
	c->errors++;
}

static char **strlist_from_csv(const char *csv, size_t *n)
{
	size_t cap = 1, k = 0;
	for (const char *p = csv; *p; p++)
		cap += (*p == ',');
	char **v = xcalloc(cap + 1, sizeof(*v));
	const char *s = csv;
	while (*s) {
		const char *e = strchr(s, ',');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		if (len)
			v[k++] = xstrndup(s, len);
		s += len + (e != NULL);
	}
	*n = k;
	return v;
}

static void strlist_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

static void apply_default(const struct setting *s, void *base)
{
	char *p = (char *)base + s->off;
	switch (s->type) {
	case C_STR:
		if (s->def_str)
			*(char **)p = xstrdup(s->def_str);
		break;
	case C_UINT: *(unsigned *)p = (unsigned)s->def_num; break;
	case C_SIZE: *(size_t *)p = (size_t)s->def_num; break;
	case C_BOOL: *(bool *)p = s->def_num != 0; break;
	case C_DOUBLE: *(double *)p = s->def_num; break;
	case C_STRLIST:
		*(char ***)p = strlist_from_csv(s->def_str, (size_t *)((char *)base + s->listcount_off));
		break;
	}
}

static void apply_defaults(const struct setting *tab, size_t n, void *base)
{
	for (size_t i = 0; i < n; i++)
		if (!(tab[i].type == C_STR && !tab[i].def_str))
			apply_default(&tab[i], base);
}

static void free_settings(const struct setting *tab, size_t n, void *base)
{
	for (size_t i = 0; i < n; i++) {
		char *p = (char *)base + tab[i].off;
		if (tab[i].type == C_STR && tab[i].def_str) {
			free(*(char **)p);
			*(char **)p = NULL;
		} else if (tab[i].type == C_STRLIST) {
			strlist_free(*(char ***)p);
			*(char ***)p = NULL;
		}
	}
}

static const char *type_name(enum ctype t)
{
	switch (t) {
	case C_STR: return "a string";
	case C_UINT: case C_SIZE: return "an integer";
	case C_BOOL: return "true or false";
	case C_DOUBLE: return "a number";
	case C_STRLIST: return "a list of strings";
	}
	return "?";
}

static bool read_number(config_setting_t *st, double *out)
{
	switch (config_setting_type(st)) {
	case CONFIG_TYPE_INT: *out = config_setting_get_int(st); return true;
	case CONFIG_TYPE_INT64: *out = (double)config_setting_get_int64(st); return true;
	case CONFIG_TYPE_FLOAT: *out = config_setting_get_float(st); return true;
	default: return false;
	}
}

static void set_one(struct ctx *c, const struct setting *s, config_setting_t *st, void *base)
{
	char *p = (char *)base + s->off;
	int line = (int)config_setting_source_line(st);
	double d;

	switch (s->type) {
	case C_STR:
		if (config_setting_type(st) != CONFIG_TYPE_STRING) {
			cerr(c, line, "%s must be %s", s->path, type_name(s->type));
			return;
		}
		free(*(char **)p);
		*(char **)p = xstrdup(config_setting_get_string(st));
		return;
	case C_BOOL:
		if (config_setting_type(st) != CONFIG_TYPE_BOOL) {
			cerr(c, line, "%s must be %s", s->path, type_name(s->type));
			return;
		}
		*(bool *)p = config_setting_get_bool(st) != 0;
		return;
	case C_UINT:
	case C_SIZE:
	case C_DOUBLE:
		if (!read_number(st, &d) ||
		    (s->type != C_DOUBLE && config_setting_type(st) == CONFIG_TYPE_FLOAT)) {
			cerr(c, line, "%s must be %s", s->path, type_name(s->type));
			return;
		}
		if (d < s->min || d > s->max) {
			char range[96];
			snprintf(range, sizeof(range), "%g and %g", s->min, s->max);
			cerr(c, line, "%s must be between %s", s->path, range);
			return;
		}
		if (s->type == C_UINT)
			*(unsigned *)p = (unsigned)d;
		else if (s->type == C_SIZE)
			*(size_t *)p = (size_t)d;
		else
			*(double *)p = d;
		return;
	case C_STRLIST: {
		int t = config_setting_type(st);
		if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
			cerr(c, line, "%s must be %s", s->path, type_name(s->type));
			return;
		}
		int n = config_setting_length(st);
		char **v = xcalloc((size_t)n + 1, sizeof(*v));
		size_t k = 0;
		for (int i = 0; i < n; i++) {
			config_setting_t *e = config_setting_get_elem(st, (unsigned)i);
			if (config_setting_type(e) != CONFIG_TYPE_STRING) {
				cerr(c, (int)config_setting_source_line(e), "%s must be %s",
				     s->path, type_name(s->type));
				continue;
			}
			v[k++] = xstrdup(config_setting_get_string(e));
		}
		strlist_free(*(char ***)p);
		*(char ***)p = v;
		*(size_t *)((char *)base + s->listcount_off) = k;
		return;
	}
	}
}

/* Report settings in group g that no table row names (typos). */
static void check_unknown(struct ctx *c, config_setting_t *g, const char *prefix,
			  const struct setting *tab, size_t n)
{
	int len = config_setting_length(g);
	for (int i = 0; i < len; i++) {
		config_setting_t *e = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(e);
		if (!name)
			continue;
		char full[512];
		snprintf(full, sizeof(full), "%s%s", prefix, name);
		size_t fl = strlen(full);
		bool known = false;
		for (size_t k = 0; k < n && !known; k++) {
			const char *tp = tab[k].path;
			if (strcmp(tp, full) == 0)
				known = true;
			else if (strncmp(tp, full, fl) == 0 && tp[fl] == '.')
				known = config_setting_is_group(e) != 0;
		}
		if (!known) {
			cerr(c, (int)config_setting_source_line(e), "unknown setting '%s'", full);
			continue;
		}
		if (config_setting_is_group(e)) {
			char sub[600];
			snprintf(sub, sizeof(sub), "%s.", full);
			check_unknown(c, e, sub, tab, n);
		}
	}
}

static void read_table(struct ctx *c, config_setting_t *g, const struct setting *tab,
		       size_t n, void *base)
{
	for (size_t i = 0; i < n; i++) {
		if (tab[i].type == C_STR && !tab[i].def_str)
			continue;   /* handled by the caller */
		config_setting_t *st = config_setting_lookup(g, tab[i].path);
		if (st)
			set_one(c, &tab[i], st, base);
	}
}

static bool valid_action(const char *a)
{
	if (strcmp(a, "seen") == 0 || strcmp(a, "delete") == 0 || strcmp(a, "none") == 0)
		return true;
	return strncmp(a, "move:", 5) == 0 && a[5] != '\0';
}

static bool has_scheme(const char *url, const char *scheme)
{
	size_t n = strlen(scheme);
	return strncasecmp(url, scheme, n) == 0 && strncmp(url + n, "://", 3) == 0;
}

static void read_account(struct ctx *c, config_setting_t *g, struct bw_account *a)
{
	apply_defaults(account_settings, ARRAY_LEN(account_settings), a);
	a->line = (int)config_setting_source_line(g);
	if (!config_setting_is_group(g)) {
		cerr(c, a->line, "each account must be a group { ... }");
		return;
	}
	check_unknown(c, g, "", account_settings, ARRAY_LEN(account_settings));
	read_table(c, g, account_settings, ARRAY_LEN(account_settings), a);

	config_setting_t *m = config_setting_lookup(g, "mode");
	a->mode = BW_MODE_IDLE;
	if (m) {
		const char *v = config_setting_get_string(m);
		if (v && strcmp(v, "poll") == 0)
			a->mode = BW_MODE_POLL;
		else if (!v || strcmp(v, "idle") != 0)
			cerr(c, (int)config_setting_source_line(m),
			     "mode must be \"idle\" or \"poll\"");
	}
	if (!*a->name)
		cerr(c, a->line, "account without a name");
	if (!*a->url)
		cerr(c, a->line, "account '%s' has no url", a->name);
	else if (!has_scheme(a->url, "imap") && !has_scheme(a->url, "imaps"))
		cerr(c, a->line, "account '%s': url must start with imap:// or imaps:// (got '%s')",
		     a->name, a->url);
	if (!*a->user)
		cerr(c, a->line, "account '%s' has no user", a->name);
	if (!*a->password_file && !*a->password_env && !*a->password_inline)
		cerr(c, a->line, "account '%s' needs password_file or password_env", a->name);
	if (a->n_folders == 0)
		cerr(c, a->line, "account '%s' watches no folder", a->name);
	if (!valid_action(a->on_bounce))
		cerr(c, a->line, "on_bounce must be seen, move:FOLDER, delete or none (got '%s')",
		     a->on_bounce);
	if (!valid_action(a->on_other))
		cerr(c, a->line, "on_other must be seen, move:FOLDER, delete or none (got '%s')",
		     a->on_other);
}

static const char *const hook_event_names[] = {
	"suppress", "unsuppress", "defer", "soft_bounce", "alert", "bounce", NULL
};

static void read_hook(struct ctx *c, config_setting_t *g, struct bw_hook *h)
{
	apply_defaults(hook_settings, ARRAY_LEN(hook_settings), h);
	h->line = (int)config_setting_source_line(g);
	if (!config_setting_is_group(g)) {
		cerr(c, h->line, "each hook must be a group { ... }");
		return;
	}
	check_unknown(c, g, "", hook_settings, ARRAY_LEN(hook_settings));
	read_table(c, g, hook_settings, ARRAY_LEN(hook_settings), h);
	if (!*h->name)
		cerr(c, h->line, "hook without a name");
	if (!has_scheme(h->url, "http") && !has_scheme(h->url, "https"))
		cerr(c, h->line, "hook '%s': url must start with http:// or https:// (got '%s')",
		     h->name, h->url);
	for (size_t i = 0; i < h->n_events; i++) {
		bool ok = false;
		for (const char *const *e = hook_event_names; *e; e++)
			ok = ok || strcmp(*e, h->events[i]) == 0;
		if (!ok)
			cerr(c, h->line, "hook '%s': unknown event '%s' (suppress, unsuppress, defer, "
			     "soft_bounce, alert, bounce)", h->name, h->events[i]);
	}
	if (*h->auth_type && strcmp(h->auth_type, "bearer") != 0 && strcmp(h->auth_type, "basic") != 0)
		cerr(c, h->line, "hook '%s': auth.type must be bearer or basic (got '%s')",
		     h->name, h->auth_type);
	if (*h->auth_type && !*h->auth_token_env && !*h->auth_token_file)
		cerr(c, h->line, "hook '%s': auth needs token_env or token_file", h->name);
	for (size_t i = 0; i < h->n_headers; i++)
		if (!strchr(h->headers[i], ':'))
			cerr(c, h->line, "hook '%s': header '%s' is not \"Name: value\"",
			     h->name, h->headers[i]);
}

void conf_defaults(struct bw_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	apply_defaults(top_settings, ARRAY_LEN(top_settings), cfg);
}

static void check_choices(struct ctx *c, config_t *lc, const char *path, const char *val,
			  const char *const *choices)
{
	for (const char *const *p = choices; *p; p++)
		if (strcmp(*p, val) == 0)
			return;
	config_setting_t *st = config_lookup(lc, path);
	cerr(c, st ? (int)config_setting_source_line(st) : 0, "%s: unsupported value '%s'", path, val);
}

static void read_lists(struct ctx *c, config_t *lc, struct bw_config *cfg)
{
	config_setting_t *l = config_lookup(lc, "accounts");
	if (l) {
		int n = config_setting_length(l);
		cfg->accounts = xcalloc((size_t)n + 1, sizeof(*cfg->accounts));
		for (int i = 0; i < n; i++)
			read_account(c, config_setting_get_elem(l, (unsigned)i), &cfg->accounts[cfg->n_accounts++]);
		for (size_t i = 0; i < cfg->n_accounts; i++)
			for (size_t j = 0; j < i; j++)
				if (*cfg->accounts[i].name &&
				    strcmp(cfg->accounts[i].name, cfg->accounts[j].name) == 0)
					cerr(c, cfg->accounts[i].line, "account name '%s' used twice",
					     cfg->accounts[i].name);
	}
	l = config_lookup(lc, "hooks");
	if (l) {
		int n = config_setting_length(l);
		cfg->hooks = xcalloc((size_t)n + 1, sizeof(*cfg->hooks));
		for (int i = 0; i < n; i++)
			read_hook(c, config_setting_get_elem(l, (unsigned)i), &cfg->hooks[cfg->n_hooks++]);
		for (size_t i = 0; i < cfg->n_hooks; i++)
			for (size_t j = 0; j < i; j++)
				if (*cfg->hooks[i].name && strcmp(cfg->hooks[i].name, cfg->hooks[j].name) == 0)
					cerr(c, cfg->hooks[i].line, "hook name '%s' used twice",
					     cfg->hooks[i].name);
	}
}

static const struct setting list_rows[] = {
	{ "accounts", C_STR, 0, 0, NULL, 0, 0, 0 },
	{ "hooks", C_STR, 0, 0, NULL, 0, 0, 0 },
};

int conf_load(struct bw_config *cfg, const char *path, bool missing_ok, FILE *err)
{
	struct ctx c = { path, err, 0 };
	config_t lc;

	conf_defaults(cfg);
	cfg->path = xstrdup(path);
	FILE *f = fopen(path, "r");
	if (!f) {
		if (missing_ok && errno == ENOENT)
			return 0;
		if (err)
			fprintf(err, "%s: cannot open: %s\n", path, strerror(errno));
		return 1;
	}
	config_init(&lc);
	if (!config_read(&lc, f)) {
		if (err)
			fprintf(err, "%s:%d: %s\n", path, config_error_line(&lc), config_error_text(&lc));
		fclose(f);
		config_destroy(&lc);
		return 1;
	}
	fclose(f);

	config_setting_t *root = config_root_setting(&lc);
	/* unknown top-level names: the scalar table plus the two lists */
	struct setting all[ARRAY_LEN(top_settings) + ARRAY_LEN(list_rows)];
	memcpy(all, top_settings, sizeof(top_settings));
	memcpy(all + ARRAY_LEN(top_settings), list_rows, sizeof(list_rows));
	check_unknown(&c, root, "", all, ARRAY_LEN(all));
	read_table(&c, root, top_settings, ARRAY_LEN(top_settings), cfg);
	read_lists(&c, &lc, cfg);

	static const char *const levels[] = { "debug", "info", "notice", "warning", "error", NULL };
	static const char *const targets[] = { "stderr", "syslog", NULL };
	static const char *const formats[] = { "text", "json", NULL };
	check_choices(&c, &lc, "log.level", cfg->log_level, levels);
	check_choices(&c, &lc, "log.target", cfg->log_target, targets);
	check_choices(&c, &lc, "log.format", cfg->log_format, formats);
	if (!strstr(cfg->classify.verp.format, "{local}") || !strstr(cfg->classify.verp.format, "{domain}")) {
		config_setting_t *st = config_lookup(&lc, "classify.verp.format");
		cerr(&c, st ? (int)config_setting_source_line(st) : 0,
		     "classify.verp.format must contain {local} and {domain}");
	}
	config_destroy(&lc);
	return c.errors;
}

void conf_free(struct bw_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->n_accounts; i++) {
		struct bw_account *a = &cfg->accounts[i];
		if (a->password_inline)
			explicit_bzero(a->password_inline, strlen(a->password_inline));
		free_settings(account_settings, ARRAY_LEN(account_settings), a);
	}
	free(cfg->accounts);
	for (size_t i = 0; i < cfg->n_hooks; i++)
		free_settings(hook_settings, ARRAY_LEN(hook_settings), &cfg->hooks[i]);
	free(cfg->hooks);
	free_settings(top_settings, ARRAY_LEN(top_settings), cfg);
	free(cfg->path);
	memset(cfg, 0, sizeof(*cfg));
}

char *conf_read_secret(const char *file, const char *env, const char *what, FILE *err)
{
	if (file && *file) {
		FILE *f = fopen(file, "r");
		if (!f) {
			if (err)
				fprintf(err, "%s: cannot read %s: %s\n", file, what, strerror(errno));
			return NULL;
		}
		struct stat st;
		if (fstat(fileno(f), &st) == 0 && (st.st_mode & 0077) && err)
			fprintf(err, "warning: %s (%s) is readable by group or others; chmod 600 it\n",
				file, what);
		char buf[4096];
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		buf[strcspn(buf, "\r\n")] = '\0';
		char *s = xstrdup(buf);
		explicit_bzero(buf, sizeof(buf));
		log_redact(s);          /* never in a log line, whoever asked for it */
		return s;
	}
	if (env && *env) {
		const char *v = getenv(env);
		if (!v) {
			if (err)
				fprintf(err, "environment variable %s (%s) is not set\n", env, what);
			return NULL;
		}
		log_redact(v);
		return xstrdup(v);
	}
	if (err)
		fprintf(err, "no %s configured\n", what);
	return NULL;
}

void conf_secret_free(char *secret)
{
	if (!secret)
		return;
	explicit_bzero(secret, strlen(secret));
	free(secret);
}

static void dump_table(FILE *out, const char *indent, const struct setting *tab, size_t n,
		       const void *base)
{
	for (size_t i = 0; i < n; i++) {
		const char *p = (const char *)base + tab[i].off;
		if (tab[i].type == C_STR && !tab[i].def_str)
			continue;
		if (strcmp(tab[i].path, "password") == 0) {
			fprintf(out, "%s%s = %s;\n", indent, tab[i].path,
				**(char *const *)p ? "\"(hidden)\"" : "\"\"");
			continue;
		}
		fprintf(out, "%s%s = ", indent, tab[i].path);
		switch (tab[i].type) {
		case C_STR: fprintf(out, "\"%s\"", *(char *const *)p); break;
		case C_UINT: fprintf(out, "%u", *(const unsigned *)p); break;
		case C_SIZE: fprintf(out, "%zu", *(const size_t *)p); break;
		case C_BOOL: fputs(*(const bool *)p ? "true" : "false", out); break;
		case C_DOUBLE: fprintf(out, "%g", *(const double *)p); break;
		case C_STRLIST: {
			fputs("[", out);
			char *const *v = *(char *const *const *)p;
			for (size_t k = 0; v && v[k]; k++)
				fprintf(out, "%s\"%s\"", k ? ", " : " ", v[k]);
			fputs(" ]", out);
			break;
		}
		}
		fputs(";\n", out);
	}
}

void conf_dump(const struct bw_config *cfg, FILE *out)
{
	dump_table(out, "", top_settings, ARRAY_LEN(top_settings), cfg);
	for (size_t i = 0; i < cfg->n_accounts; i++) {
		fprintf(out, "account %zu:\n", i + 1);
		fprintf(out, "  mode = \"%s\";\n", cfg->accounts[i].mode == BW_MODE_POLL ? "poll" : "idle");
		dump_table(out, "  ", account_settings, ARRAY_LEN(account_settings), &cfg->accounts[i]);
	}
	for (size_t i = 0; i < cfg->n_hooks; i++) {
		fprintf(out, "hook %zu:\n", i + 1);
		dump_table(out, "  ", hook_settings, ARRAY_LEN(hook_settings), &cfg->hooks[i]);
	}
}
