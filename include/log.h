/*
 * log.h - levelled logging to stderr or syslog, as text or JSON lines.
 * Callers never pass secrets; log_redact() registers strings that must never
 * appear in any log line (passwords, tokens) as a second line of defence.
 */
#ifndef BW_LOG_H
#define BW_LOG_H

enum log_level { LOG_LVL_DEBUG = 0, LOG_LVL_INFO, LOG_LVL_NOTICE, LOG_LVL_WARNING, LOG_LVL_ERROR };

/* level: "debug".."error"; target: "stderr" | "syslog"; format: "text" | "json". */
void log_setup(const char *level, const char *target, const char *format);
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Register a secret to be masked in every later log line (copied). */
void log_redact(const char *secret);
void log_forget_secrets(void);

#define log_debug(...)   log_msg(LOG_LVL_DEBUG, __VA_ARGS__)
#define log_info(...)    log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_notice(...)  log_msg(LOG_LVL_NOTICE, __VA_ARGS__)
#define log_warn(...)    log_msg(LOG_LVL_WARNING, __VA_ARGS__)
#define log_error(...)   log_msg(LOG_LVL_ERROR, __VA_ARGS__)

#endif
