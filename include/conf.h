/*
 * conf.h - the configuration (SPEC §10): one libconfig file, every setting
 * with a default, every error reported with file:line.
 *
 * conf_load() fills a struct bw_config that the caller owns and frees with
 * conf_free().  Secrets (passwords, tokens, signing keys) are never read here:
 * only where they come from (file or environment) is kept, and the module that
 * needs one reads it at the last moment (conf_read_secret()).
 */
#ifndef BW_CONF_H
#define BW_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define BW_DEFAULT_CONF  "/etc/bouncewatch/bouncewatch.conf"
#define BW_DEFAULT_STATE "/var/lib/bouncewatch/state.db"

struct bw_limits {
	size_t max_message_bytes;   /* whole message */
	unsigned max_depth;         /* MIME nesting */
	size_t max_header_bytes;    /* one header block */
	unsigned max_parts;         /* MIME parts in all */
	unsigned max_events;        /* events per message */
	unsigned max_diagnostic_bytes; /* an event's diagnostic is cut to this (UTF-8 whole) */
};

struct bw_verp_conf {
	char *format;               /* "bounces+{local}={domain}@" */
	char *secret_file;          /* "" = no signing */
	bool require_signed;
};

struct bw_classify_conf {
	char **campaign_headers;    /* NULL-terminated */
	size_t n_campaign_headers;
	struct bw_verp_conf verp;
	struct bw_limits limits;
};

struct bw_policy_conf {
	unsigned soft_campaigns;    /* 3 */
	unsigned soft_consecutive;  /* 7 */
	unsigned soft_total;        /* 15 */
	unsigned soft_window_hours; /* 72 */
	unsigned mailboxfull_days;  /* 30 */
	unsigned global_accounts;   /* 3 */
	double alert_hard_rate;     /* 0.02 */
	double alert_soft_rate;     /* 0.05 */
};

enum bw_imap_mode { BW_MODE_IDLE = 0, BW_MODE_POLL };

struct bw_account {
	char *name;
	char *url;                  /* imaps://host:993, imap://host:143 */
	char *user;
	char *password_file;
	char *password_env;
	char *password_inline;      /* allowed, with a warning */
	char *tls_ca_file;          /* "" = system trust store */
	bool tls_verify;
	bool allow_plaintext;
	char **folders;             /* NULL-terminated */
	size_t n_folders;
	enum bw_imap_mode mode;
	unsigned poll_interval;     /* seconds */
	unsigned batch;
	size_t fetch_max_bytes;
	char *on_bounce;            /* seen | move:FOLDER | delete | none */
	char *on_other;
	int line;                   /* where it was defined, for messages */
};

struct bw_hook {
	char *name;
	char *url;
	char *method;
	char **events;              /* NULL-terminated: suppress, unsuppress, ... */
	size_t n_events;
	char **headers;             /* NULL-terminated "Name: value" templates */
	size_t n_headers;
	char *body;                 /* template, may be NULL (no body) */
	char *batch_body;           /* template for a batch: {{events}} is the array */
	char *auth_type;            /* "", "bearer", "basic" */
	char *auth_token_env;
	char *auth_token_file;
	char *auth_user;            /* basic: user name (password is the token) */
	char *secret_file;          /* Standard Webhooks signing key */
	char *secret_env;
	unsigned timeout;           /* seconds */
	unsigned retry_hours;
	unsigned batch;
	int line;
};

struct bw_config {
	char *path;                 /* the file it came from */
	char *state;
	char *log_level;            /* debug | info | notice | warning | error */
	char *log_target;           /* stderr | syslog */
	char *log_format;           /* text | json */
	char *user;                 /* drop privileges to this user when root */
	struct bw_classify_conf classify;
	struct bw_policy_conf policy;
	struct bw_account *accounts;
	size_t n_accounts;
	struct bw_hook *hooks;
	size_t n_hooks;
	char *metrics_listen;       /* "" = off */
};

/* Fill cfg with every default (no accounts, no hooks). */
void conf_defaults(struct bw_config *cfg);

/*
 * Load path into cfg (defaults first).  Every error is written to err as
 * "file:line: message" and parsing goes on, so one run shows every mistake.
 * A missing file is an error unless missing_ok.  Returns the number of errors.
 */
int conf_load(struct bw_config *cfg, const char *path, bool missing_ok, FILE *err);

void conf_free(struct bw_config *cfg);

/*
 * Read a secret from a file (first line, trailing newline stripped) or an
 * environment variable; file wins when both are set.  Warns on err when the
 * file is readable by group or others.  Returns a malloc'd string the caller
 * scrubs with conf_secret_free(), or NULL with a message on err.
 */
char *conf_read_secret(const char *file, const char *env, const char *what, FILE *err);
void conf_secret_free(char *secret);

/* Print the effective configuration, secrets never shown. */
void conf_dump(const struct bw_config *cfg, FILE *out);

#endif
