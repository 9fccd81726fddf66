/*
 * json_write.h - a streaming JSON writer: compact JSON text (no spaces)
 * appended to a growable buffer, keys and values in the order written.
 *
 * Strings come out byte for byte as jansson's json_dumps(JSON_COMPACT)
 * writes them (RFC 8259): '"' and '\' escaped, the control characters
 * below 0x20 as \b \f \n \r \t or \u00XX (upper-case hex), everything else
 * (DEL, '/', UTF-8 sequences) as it is.  For output only: parsing JSON stays
 * with jansson.
 *
 * Separators are the writer's business: a value after a value at the same
 * level gets its ',', a key its ':'.  The writer does not check the nesting
 * (a key outside an object, an unclosed array): its callers write fixed
 * shapes.  Out of memory is fatal.
 */
#ifndef BW_JSON_WRITE_H
#define BW_JSON_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* All members are private: they are here for the inline functions below
 * (a key or a null is a few stores, cheaper than a call). */
struct jw {
	char *buf;   /* owned; cap > len whenever buf is not NULL */
	size_t len, cap;
	bool sep;    /* the last thing written was a value: a ',' before the next */
};

/* A writer with an empty buffer.  jw_free(NULL) is a no-op. */
struct jw *jw_new(void);
void jw_free(struct jw *w);

/* Empty the buffer (its memory is kept) to start a new JSON text. */
void jw_reset(struct jw *w);
/* The text written since jw_reset: a pointer to (not a copy of) the buffer,
 * valid until the next call that writes.  *len gets its length; the text is
 * NUL-terminated. */
const char *jw_data(const struct jw *w, size_t *len);

void jw_object_begin(struct jw *w);
void jw_object_end(struct jw *w);
void jw_array_begin(struct jw *w);
void jw_array_end(struct jw *w);
/* A member's key; its value is the next thing written.  The key is
 * written as it is, unescaped: it must be plain printable ASCII with no '"'
 * or '\' (our keys are literals in the program, never input). */
static inline void jw_key(struct jw *w, const char *key);

/* s[0..n) as a JSON string when it is valid UTF-8 (as jansson checks it:
 * no overlong forms, no surrogates, nothing above U+10FFFF).  When it is
 * not, returns false and writes nothing: jansson's json_stringn refuses
 * such text (returns NULL). */
bool jw_string(struct jw *w, const char *s, size_t n);
/* s[0..n), untrusted text, as a JSON string: valid UTF-8 as jw_string,
 * other text read as Latin-1 (each byte from 0x80 up is the character of
 * that number), as output_json_string does. */
void jw_text(struct jw *w, const char *s, size_t n);
static inline void jw_null(struct jw *w);
static inline void jw_bool(struct jw *w, bool v);
void jw_int(struct jw *w, int64_t v);

/* End a JSON text with '\n' (JSON lines): the next value begins a new text
 * in the same buffer. */
void jw_newline(struct jw *w);

/* Undo: jw_mark remembers the writer's state, jw_rewind forgets everything
 * written after it (for a member left out when its value turns out not to
 * be UTF-8, as jansson leaves it out). */
struct jw_mark {
	size_t len;
	bool sep;
};
struct jw_mark jw_mark(const struct jw *w);
void jw_rewind(struct jw *w, struct jw_mark m);

/* Private: room for n more bytes and a NUL (grows the buffer). */
void jw_grow_(struct jw *w, size_t n);

/* Private: the end of the text, with room for n more bytes and a ',' when
 * a value comes before them at this level; w->sep is cleared. */
static inline char *jw_item_(struct jw *w, size_t n)
{
	if (__builtin_expect(n + 1 >= w->cap - w->len, 0))   /* also with no buffer yet: cap 0 */
		jw_grow_(w, n + 1);
	char *d = w->buf + w->len;
	if (w->sep)
		*d++ = ',';
	w->sep = false;
	return d;
}

static inline void jw_key(struct jw *w, const char *key)
{
	size_t n = strlen(key);
	char *d = jw_item_(w, n + 3);
	*d++ = '"';
	memcpy(d, key, n);
	d += n;
	*d++ = '"';
	*d++ = ':';
	w->len = (size_t)(d - w->buf);
}

static inline void jw_word_(struct jw *w, const char *word, size_t n)
{
	char *d = jw_item_(w, n);
	memcpy(d, word, n);
	w->len = (size_t)(d + n - w->buf);
	w->sep = true;
}

static inline void jw_null(struct jw *w)
{
	jw_word_(w, "null", 4);
}

static inline void jw_bool(struct jw *w, bool v)
{
	if (v)
		jw_word_(w, "true", 4);
	else
		jw_word_(w, "false", 5);
}

#endif
