/* fuzz_mime.c - libFuzzer target: the bounded MIME walk and header access. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "conf.h"
#include "mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct bw_limits lim = { .max_message_bytes = 1 << 20, .max_depth = 32,
					      .max_header_bytes = 65536, .max_parts = 256, .max_events = 1000,
					      .max_diagnostic_bytes = 1023 };
	struct mime m;
	mime_parse(&m, (const char *)data, size, &lim);
	for (unsigned i = 0; i < m.n_parts; i++) {
		char v[128];
		mime_header(m.parts[i].hdr, m.parts[i].hdr_len, "Content-Type", v, sizeof(v));
		mime_header(m.parts[i].hdr, m.parts[i].hdr_len, "Subject", v, sizeof(v));
		mime_decode_words(v);
	}
	mime_free(&m);
	return 0;
}
