/* fuzz_template.c - libFuzzer target: hook templates.  The input is split at
 * the first NUL: a template, then a JSON event; both are hostile.  Every
 * context is rendered; a header rendering must never hold CR or LF. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nul = memchr(data, 0, size);
	size_t tl = nul ? (size_t)(nul - (const char *)data) : size;
	char *tpl = strndup((const char *)data, tl);
	json_t *ev = NULL;
	if (nul)
		ev = json_loadb(nul + 1, size - tl - 1, 0, NULL);
	if (!ev) {
		ev = json_object();
		json_object_set_new(ev, "recipient", json_stringn((const char *)data, tl > 64 ? 64 : tl));
	}
	struct hook_vars v = { ev, "[]" };
	for (int ctx = HOOK_CTX_JSON; ctx <= HOOK_CTX_HEADER; ctx++) {
		char err[128];
		size_t len = 0;
		char *out = hook_render(tpl, (enum hook_ctx)ctx, &v, &len, err, sizeof(err));
		if (out && ctx == HOOK_CTX_HEADER && strlen(tpl) == strcspn(tpl, "\r\n") &&
		    strcspn(out, "\r\n") != strlen(out))
			__builtin_trap();     /* a value smuggled a line break into a header */
		free(out);
	}
	json_decref(ev);
	free(tpl);
	return 0;
}
