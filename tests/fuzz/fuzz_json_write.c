/* fuzz_json_write.c - libFuzzer target: the streaming JSON writer against
 * jansson.  The input, hostile bytes, is written as a counted string
 * (jw_string: refused exactly when json_stringn refuses it, else the same
 * bytes as json_dumps) and, up to its first NUL, as untrusted text
 * (jw_text: the same bytes as output_json_string dumped). */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json_write.h"
#include "output.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* jansson's text of v (consumed) equals the writer's. */
static void same(json_t *v, struct jw *w)
{
	char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	size_t n;
	const char *got = jw_data(w, &n);
	if (!want || strlen(want) != n || memcmp(want, got, n) != 0)
		__builtin_trap();
	free(want);
	json_decref(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct jw *w = jw_new();
	json_t *j = json_stringn(s, size);
	bool ok = jw_string(w, s, size);
	if (ok != (j != NULL))
		__builtin_trap();
	if (j)
		same(j, w);
	char *t = strndup(s, size);
	jw_reset(w);
	jw_text(w, t, strlen(t));
	same(output_json_string(t), w);
	free(t);
	jw_free(w);
	return 0;
}
