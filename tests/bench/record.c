/*
 * record.c - the record stage of `scan` alone, without a server: N messages
 * (the files given, in turn, each with its own Message-ID as
 * tests/bench/scan.sh seeds them) are classified a batch at a time
 * (pipeline_prepare), then recorded in one store transaction per batch, as
 * source_imap.c does (pipeline_batch_begin, pipeline_record,
 * pipeline_batch_commit).  Prints the CPU time of this thread in each
 * stage, per message.  Built on request: make tests/bench/record.
 *   tests/bench/record N STATE BATCH FILE...
 * (STATE is removed first; put it on tmpfs to leave the disk out.)
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "classify.h"
#include "conf.h"
#include "log.h"
#include "pipeline.h"
#include "store.h"
#include "util.h"

struct msg {
	char *raw;
	size_t len;
	size_t id_at;            /* where "<" of the Message-ID opens; 0: none */
};

static double cpu_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void load(const char *path, struct msg *m)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fatal("%s: cannot open", path);
	size_t cap = 1 << 16;
	m->raw = xmalloc(cap);
	m->len = 0;
	size_t got;
	while ((got = fread(m->raw + m->len, 1, cap - m->len, f)) > 0) {
		m->len += got;
		if (m->len == cap)
			m->raw = xrealloc(m->raw, cap *= 2);
	}
	fclose(f);
	const char *id = bw_memcasemem(m->raw, m->len, "\nMessage-ID: <");
	m->id_at = id ? (size_t)(id - m->raw) + 13 : 0;
}

/* Message i: its file with "b<i>." put in front of the Message-ID. */
static size_t make(const struct msg *m, unsigned i, char *out)
{
	if (!m->id_at) {
		memcpy(out, m->raw, m->len);
		return m->len;
	}
	char tag[24];
	int n = snprintf(tag, sizeof tag, "b%u.", i);
	memcpy(out, m->raw, m->id_at + 1);
	memcpy(out + m->id_at + 1, tag, (size_t)n);
	memcpy(out + m->id_at + 1 + (size_t)n, m->raw + m->id_at + 1, m->len - m->id_at - 1);
	return m->len + (size_t)n;
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: record N STATE BATCH FILE...\n");
		return 2;
	}
	unsigned n = (unsigned)strtoul(argv[1], NULL, 10);
	const char *state = argv[2];
	unsigned batch = (unsigned)strtoul(argv[3], NULL, 10);
	size_t nf = (size_t)(argc - 4), maxlen = 0;
	struct msg *files = xcalloc(nf, sizeof *files);
	for (size_t i = 0; i < nf; i++) {
		load(argv[4 + i], &files[i]);
		if (files[i].len > maxlen)
			maxlen = files[i].len;
	}
	if (!n || !batch)
		return 2;
	char path[600];
	static const char *const suffix[] = { "", "-wal", "-shm" };
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s%s", state, suffix[i]);
		unlink(path);
	}
	struct bw_config cfg;
	if (conf_load(&cfg, "/dev/null", true, stderr))
		return 1;
	char err[512];
	struct bw_store *st = store_open(state, err, sizeof err);
	if (!st)
		fatal("%s", err);
	struct bw_classifier *cl = classifier_new(&cfg.classify, NULL);
	struct bw_pipeline *p = pipeline_new(&cfg, st, cl, false);
	struct bw_prepared *pm = xcalloc(batch, sizeof *pm);
	char *buf = xmalloc(maxlen + 32);
	double prepare = 0, record = 0;
	for (unsigned b0 = 0; b0 < n; b0 += batch) {
		unsigned k = n - b0 < batch ? n - b0 : batch;
		double t0 = cpu_s();
		for (unsigned j = 0; j < k; j++)
			pipeline_prepare(cl, buf, make(&files[(b0 + j) % nf], b0 + j, buf), &pm[j]);
		double t1 = cpu_s();
		if (pipeline_batch_begin(p) < 0)
			fatal("begin failed");
		for (unsigned j = 0; j < k; j++) {
			struct bw_origin o = { "bench", "INBOX", 1, b0 + j + 1 };
			struct bw_pipeline_result res;
			if (pipeline_record(p, &o, &pm[j], 1700000000, &res) < 0 ||
			    res.outcome != BW_PROCESSED)
				fatal("message %u was not recorded", b0 + j);
		}
		if (pipeline_batch_commit(p) < 0)
			fatal("commit failed");
		double t2 = cpu_s();
		for (unsigned j = 0; j < k; j++)
			pipeline_prepared_free(&pm[j]);
		prepare += t1 - t0;
		record += t2 - t1;
	}
	printf("n=%u batch=%u prepare %.1f us/msg record %.1f us/msg (%.3f s)\n", n, batch,
	       prepare * 1e6 / n, record * 1e6 / n, record);
	free(buf);
	free(pm);
	pipeline_free(p);
	classifier_free(cl);
	store_close(st);
	conf_free(&cfg);
	for (size_t i = 0; i < nf; i++)
		free(files[i].raw);
	free(files);
	return 0;
}
