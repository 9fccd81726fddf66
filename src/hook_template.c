/*
 * hook_template.c - {{placeholder}} expansion for hook URLs, headers and
 * bodies, escaped for where the value lands (SPEC §10).  Pure: no I/O.
 *
 * Every value comes from a bounce written by a stranger, so the expansion is a
 * single pass (a value is never expanded again) and each context has exactly
 * one escaping rule: JSON values through jansson, percent-encoding in URLs
 * and forms, and a refusal of CR/LF/NUL in headers.
 */
#include "config.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hook.h"
#include "util.h"

#define NAME_MAX_LEN 128    /* longest placeholder name (with its default) */

static bool unreserved(unsigned char c)
{
	return bw_isalpha(c) || bw_isdigit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

bool hook_urlencode(struct bw_buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char enc[3] = { '%', hex[c >> 4], hex[c & 15] };
		bool ok = unreserved(c) ? bw_buf_append(out, &s[i], 1) : bw_buf_append(out, enc, 3);
		if (!ok)
			return false;
	}
	return true;
}

/* lookup - the value at a dotted path in ev, or NULL when missing. */
static const json_t *lookup(const json_t *ev, const char *path)
{
	char seg[NAME_MAX_LEN + 1];
	const json_t *cur = ev;
	while (cur && *path) {
		size_t n = strcspn(path, ".");
		if (n == 0 || n > NAME_MAX_LEN)
			return NULL;
		memcpy(seg, path, n);
		seg[n] = '\0';
		if (!json_is_object(cur))
			return NULL;
		cur = json_object_get(cur, seg);
		path += n + (path[n] == '.');
	}
	return cur;
}

static bool is_empty(const json_t *v)
{
	return !v || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0);
}

/* text_of - the plain-text form of a value for URL, form and header contexts:
 * strings as they are, numbers and booleans printed, null "", objects and
 * arrays as compact JSON.  Returns a malloc'd buffer (length in *n). */
static char *text_of(const json_t *v, size_t *n)
{
	char *s;
	if (json_is_string(v)) {
		*n = json_string_length(v);
		return xstrndup(json_string_value(v), *n);
	}
	if (json_is_integer(v))
		s = xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		s = xasprintf("%.17g", json_real_value(v));
	else if (json_is_true(v))
		s = xstrdup("true");
	else if (json_is_false(v))
		s = xstrdup("false");
	else if (!v || json_is_null(v))
		s = xstrdup("");
	else {
		s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (!s)
			s = xstrdup("");
	}
	*n = strlen(s);
	return s;
}

static bool has_crlf(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0')
			return true;
	return false;
}

/* emit_text - a plain-text value (or raw JSON text) in ctx. */
static int emit_text(struct bw_buf *out, enum hook_ctx ctx, const char *s, size_t n,
		     const char *name, char *err, size_t errsz)
{
	switch (ctx) {
	case HOOK_CTX_URL:
	case HOOK_CTX_FORM:
		return hook_urlencode(out, s, n) ? 0 : -1;
	case HOOK_CTX_HEADER:
		if (has_crlf(s, n)) {
			snprintf(err, errsz, "value of {{%s}} holds CR, LF or NUL: refused in a header",
				 name);
			return -2;
		}
		return bw_buf_append(out, s, n) ? 0 : -1;
	case HOOK_CTX_JSON:
	default: {
		json_t *str = json_stringn(s, n);
		if (!str)   /* not valid UTF-8: jansson refuses it */
			str = json_string("");
		char *dump = json_dumps(str, JSON_ENCODE_ANY | JSON_COMPACT);
		json_decref(str);
		bool ok = dump && bw_buf_append(out, dump, strlen(dump));
		free(dump);
		return ok ? 0 : -1;
	}
	}
}

/* emit_value - one resolved placeholder. */
static int emit_value(struct bw_buf *out, enum hook_ctx ctx, const json_t *v, const char *dflt,
		      const char *name, char *err, size_t errsz)
{
	if (dflt && is_empty(v))
		return emit_text(out, ctx, dflt, strlen(dflt), name, err, errsz);
	if (ctx == HOOK_CTX_JSON) {
		if (!v)
			return bw_buf_append(out, "null", 4) ? 0 : -1;
		char *dump = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		bool ok = dump && bw_buf_append(out, dump, strlen(dump));
		free(dump);
		return ok ? 0 : -1;
	}
	size_t n;
	char *s = text_of(v, &n);
	int rc = emit_text(out, ctx, s, n, name, err, errsz);
	free(s);
	return rc;
}

/* placeholder - expand the placeholder whose inside is in[0..n) ("name",
 * " name ", "name|default").  Returns 0, or -1/-2 (cap/refused). */
static int placeholder(struct bw_buf *out, enum hook_ctx ctx, const struct hook_vars *v,
		       const char *in, size_t n, char *err, size_t errsz)
{
	char name[NAME_MAX_LEN + 1];
	const char *bar = memchr(in, '|', n);
	size_t nl = bar ? (size_t)(bar - in) : n;
	while (nl && bw_isspace((unsigned char)in[0])) {
		in++;
		nl--;
		n--;
	}
	while (nl && bw_isspace((unsigned char)in[nl - 1]))
		nl--;
	memcpy(name, in, nl);
	name[nl] = '\0';
	char *dflt = bar ? xstrndup(bar + 1, (size_t)(in + n - bar - 1)) : NULL;
	int rc;
	if (strcmp(name, "events") == 0 && v->events) {
		if (ctx == HOOK_CTX_JSON)
			rc = bw_buf_append(out, v->events, strlen(v->events)) ? 0 : -1;
		else
			rc = emit_text(out, ctx, v->events, strlen(v->events), name, err, errsz);
	} else if (strcmp(name, "payload") == 0 && v->event && !lookup(v->event, "payload")) {
		rc = emit_value(out, ctx, v->event, NULL, name, err, errsz);
	} else {
		rc = emit_value(out, ctx, v->event ? lookup(v->event, name) : NULL, dflt, name,
				err, errsz);
	}
	free(dflt);
	return rc;
}

/* valid_name - does in[0..n) look like a placeholder: a name of letters,
 * digits, '_' and '.', optionally padded with blanks, optionally "|default"
 * (the default may hold anything but braces)? */
static bool valid_name(const char *in, size_t n)
{
	size_t i = 0, start;
	if (n == 0 || n > NAME_MAX_LEN)
		return false;
	while (i < n && in[i] == ' ')
		i++;
	start = i;
	while (i < n && (bw_isalpha((unsigned char)in[i]) || bw_isdigit((unsigned char)in[i]) ||
			 in[i] == '_' || in[i] == '.'))
		i++;
	if (i == start)
		return false;
	while (i < n && in[i] == ' ')
		i++;
	if (i == n)
		return true;
	if (in[i] != '|')
		return false;
	for (i++; i < n; i++)
		if (in[i] == '{' || in[i] == '}')
			return false;
	return true;
}

char *hook_render(const char *tpl, enum hook_ctx ctx, const struct hook_vars *v,
		  size_t *len, char *err, size_t errsz)
{
	struct bw_buf out = { .limit = HOOK_RENDER_MAX };
	struct hook_vars none = { NULL, NULL };
	const char *p = tpl ? tpl : "", *end = p + strlen(p);
	int rc = 0;
	if (!v)
		v = &none;
	bw_buf_append(&out, "", 0);
	/* The first "}}" after the current "{{" is kept while it stays ahead,
	 * and once none is left no placeholder can follow: a template of many
	 * "{{" and no "}}" is read once, not once a brace. */
	const char *close = NULL;
	bool none_left = false;
	while (p < end && rc == 0) {
		const char *open = none_left ? NULL : memmem(p, (size_t)(end - p), "{{", 2);
		if (open && (!close || close < open + 2)) {
			close = memmem(open + 2, (size_t)(end - open - 2), "}}", 2);
			if (!close) {
				none_left = true;
				open = NULL;
			}
		}
		size_t lit = (size_t)((open ? open : end) - p);
		if (open && valid_name(open + 2, (size_t)(close - open - 2))) {
			if (!bw_buf_append(&out, p, lit))
				rc = -1;
			else
				rc = placeholder(&out, ctx, v, open + 2, (size_t)(close - open - 2),
						 err, errsz);
			p = close + 2;
			continue;
		}
		/* no placeholder here: copy through the first brace and go on, so
		 * "{{{x}}" still finds "{{x}}" */
		lit = open ? lit + 1 : lit;
		if (!bw_buf_append(&out, p, lit))
			rc = -1;
		p += lit;
	}
	if (rc == 0 && ctx == HOOK_CTX_HEADER && has_crlf(out.data, out.len)) {
		snprintf(err, errsz, "header template holds CR or LF");
		rc = -2;
	}
	if (rc != 0) {
		if (rc == -1)
			snprintf(err, errsz, "rendered template is larger than %u bytes",
				 HOOK_RENDER_MAX);
		bw_buf_free(&out);
		return NULL;
	}
	if (len)
		*len = out.len;
	return out.data;
}
