/* fuzz_classify.c - libFuzzer target: the whole classifier (MIME walk, ARF,
 * RFC 3464, auto-reply, MTA rules, heuristics, VERP, reason tables), with the
 * explain trace on so its formatting is exercised too. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "classify.h"
#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct bw_config cfg;
static struct bw_classifier *cl;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!cl) {
		conf_defaults(&cfg);
		cfg.classify.verp.require_signed = true;
		cl = classifier_new(&cfg.classify, "fuzz-secret");
	}
	struct bw_report rep;
	memset(&rep, 0, sizeof(rep));
	rep.want_trace = true;
	classify_message(cl, (const char *)data, size, &rep);
	for (unsigned i = 0; i < rep.n_events; i++) {
		/* every text field stays NUL-terminated within its array */
		if (memchr(rep.events[i].recipient, 0, sizeof(rep.events[i].recipient)) == NULL ||
		    memchr(rep.events[i].diagnostic, 0, sizeof(rep.events[i].diagnostic)) == NULL)
			__builtin_trap();
	}
	report_free(&rep);
	return 0;
}
