/*
 * log.c - levelled logging; stderr (text or JSON lines) or syslog.
 */
#include "config.h"

#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"
#include "util.h"

#define MAX_SECRETS 64

static enum log_level min_level = LOG_LVL_INFO;
static bool use_syslog;
static bool use_json;
static char *secrets[MAX_SECRETS];
static unsigned n_secrets;
/* Workers log from several threads; the secret list and the output are shared. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = { "debug", "info", "notice", "warning", "error" };

void log_setup(const char *level, const char *target, const char *format)
{
	pthread_mutex_lock(&lock);      /* a reload races the workers' log lines */
	for (unsigned i = 0; level && i < ARRAY_LEN(level_names); i++)
		if (strcmp(level, level_names[i]) == 0)
			min_level = (enum log_level)i;
	bool want_syslog = target && strcmp(target, "syslog") == 0;
	if (want_syslog && !use_syslog)
		openlog("bouncewatch", LOG_PID, LOG_MAIL);
	else if (!want_syslog && use_syslog)
		closelog();
	use_syslog = want_syslog;
	use_json = format && strcmp(format, "json") == 0;
	pthread_mutex_unlock(&lock);
}

void log_redact(const char *secret)
{
	if (!secret || strlen(secret) < 3)
		return;
	pthread_mutex_lock(&lock);
	bool known = false;
	for (unsigned i = 0; i < n_secrets && !known; i++)
		known = strcmp(secrets[i], secret) == 0;
	if (!known && n_secrets < MAX_SECRETS)
		secrets[n_secrets++] = xstrdup(secret);
	pthread_mutex_unlock(&lock);
}

void log_forget_secrets(void)
{
	pthread_mutex_lock(&lock);
	for (unsigned i = 0; i < n_secrets; i++) {
		explicit_bzero(secrets[i], strlen(secrets[i]));
		free(secrets[i]);
	}
	n_secrets = 0;
	pthread_mutex_unlock(&lock);
}

static void mask(char *s)
{
	for (unsigned i = 0; i < n_secrets; i++) {
		size_t n = strlen(secrets[i]);
		for (char *p = strstr(s, secrets[i]); p; p = strstr(p + n, secrets[i]))
			memset(p, '*', n);
	}
}

/* Write one finished line to the configured target; called with the lock held. */
static void emit(enum log_level lvl, const char *line)
{
	if (use_syslog) {
		static const int prio[] = { LOG_DEBUG, LOG_INFO, LOG_NOTICE, LOG_WARNING, LOG_ERR };
		syslog(prio[lvl], "%s", line);
		return;
	}
	if (use_json) {
		char ts[32];
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		json_t *o = json_pack("{s:s, s:s, s:s}", "time", ts, "level", level_names[lvl], "msg", line);
		if (o) {
			char *s = json_dumps(o, JSON_COMPACT);
			if (s)
				fprintf(stderr, "%s\n", s);
			free(s);
			json_decref(o);
		}
		return;
	}
	fprintf(stderr, "bouncewatch: %s%s%s\n", lvl >= LOG_LVL_WARNING ? level_names[lvl] : "",
		lvl >= LOG_LVL_WARNING ? ": " : "", line);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	/* a line below the level is not even formatted (one per message at
	 * debug level in a scan); the level is read under the lock, as a
	 * reload sets it */
	pthread_mutex_lock(&lock);
	bool wanted = lvl >= min_level;
	pthread_mutex_unlock(&lock);
	if (!wanted)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	/* settings, secrets and the output are shared with the other threads */
	pthread_mutex_lock(&lock);
	if (lvl >= min_level) {
		mask(line);
		emit(lvl, line);
	}
	pthread_mutex_unlock(&lock);
}
