/*
 * fuzz_imap_fetch.c - libFuzzer target: the UID FETCH reply reader on what
 * a server (or whatever answers on its port) may send.  The first byte sets
 * the size of the reads the input is cut into (a response may end anywhere
 * in one); the rest is the reply.  Every kept body must lie inside the
 * input, with its length and its NUL.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imap_fetch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct feed {
	const uint8_t *p;
	size_t len, off, chunk;
};

static ssize_t feed_read(void *arg, char *buf, size_t max)
{
	struct feed *f = arg;
	size_t n = f->len - f->off;
	if (n == 0)
		return -1;
	if (n > f->chunk)
		n = f->chunk;
	if (n > max)
		n = max;
	memcpy(buf, f->p + f->off, n);
	f->off += n;
	return (ssize_t)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct feed f = { data + 1, size - 1, 0, (size_t)data[0] % 64 + 1 };
	struct imap_fetch_src src = { feed_read, &f };
	struct imap_fetch_reply r;
	imap_fetch_read(&src, "bw1", 16, 4096, &r);
	for (size_t i = 0; i < r.n; i++)
		if (r.msg[i].len > f.len || r.msg[i].data[r.msg[i].len] != '\0')
			abort();
	if (r.rest_len > f.len || strnlen(r.text, sizeof(r.text)) == sizeof(r.text))
		abort();
	imap_fetch_reply_free(&r);
	return 0;
}
