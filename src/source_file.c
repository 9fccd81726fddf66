/*
 * source_file.c - .eml files, directories, maildirs, mbox files and stdin.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "source_file.h"
#include "util.h"

#define STDIN_LIMIT (1024u * 1024u * 1024u)

static bool is_from_line(const char *p, const char *end)
{
	return end - p >= 5 && memcmp(p, "From ", 5) == 0;
}

/* A From_ line as MTAs write it: "From SENDER  Www Mmm dd hh:mm:ss yyyy".
 * Some writers forget the blank line before it; this shape is distinctive
 * enough to split on even then, where prose starting with "From " is not. */
static bool is_strict_from_line(const char *p, const char *end)
{
	static const char *const days[] = { "Mon ", "Tue ", "Wed ", "Thu ", "Fri ", "Sat ", "Sun " };
	if (!is_from_line(p, end))
		return false;
	const char *q = p + 5;
	const char *sender = q;
	while (q < end && *q != ' ' && *q != '\t' && *q != '\n')
		q++;
	if (q == sender)
		return false;
	while (q < end && (*q == ' ' || *q == '\t'))
		q++;
	if (end - q < 4)
		return false;
	for (size_t i = 0; i < sizeof(days) / sizeof(days[0]); i++)
		if (memcmp(q, days[i], 4) == 0)
			return true;
	return false;
}

/* Just past the line end at or after p (end if none).  eol is '\n', or '\r'
 * for a file with CR line ends only (a CRLF file splits on its LFs). */
static const char *after_line(const char *p, const char *end, char eol)
{
	const char *q = memchr(p, eol, (size_t)(end - p));
	return q ? q + 1 : end;
}

/* Whether the line that ends with the eol at q (q > buf) is blank: empty, or
 * a lone CR before the LF. */
static bool blank_before(const char *buf, const char *q, char eol)
{
	if (q == buf || q[-1] == eol)
		return true;
	return q[-1] == '\r' && (q - 1 == buf || q[-2] == eol);
}

/* The buffer starts with a From_ line.  Only a line that starts with
 * "From " can split, so the walk goes from one line end followed by an 'F'
 * to the next (bw_mempair: many lines a step, not a memchr per line) and
 * looks at the line before only there. */
int source_mbox_split(const char *name, const char *buf, size_t len, source_msg_fn fn, void *arg)
{
	const char *end = buf + len;
	char eol = memchr(buf, '\n', len) ? '\n' : '\r';
	unsigned index = 0;
	const char *start = is_from_line(buf, end) ? after_line(buf, end, eol) : buf;
	const char *q = buf;   /* from the top: line 2 may be a From_ line already */
	while (q < end && (q = bw_mempair(q, (size_t)(end - q), eol, 'F')) != NULL) {
		const char *line = q + 1;
		if (is_from_line(line, end) && (blank_before(buf, q, eol) || is_strict_from_line(line, end))) {
			int rc = fn(arg, name, ++index, start, (size_t)(line - start));
			if (rc)
				return rc;
			start = after_line(line, end, eol);
		}
		q = line;
	}
	if (start < end)
		return fn(arg, name, index ? index + 1 : 0, start, (size_t)(end - start));
	return 0;
}

/*
 * A large mbox is read through one buffer, reused for the whole file
 * (source_mbox_stream), not mapped: the pages of a mapping fault in 64 KB at
 * a time when the split first touches them, some 3,000 faults for a 200 MB
 * mbox at 10-15 us each, 8-10 % of a parse, where read() copies the same
 * bytes into pages that stay mapped.  The split is source_mbox_split()'s,
 * decided for a candidate line only once the buffer holds all of that line
 * (its From_ tests read no further), with the bytes just before it kept.
 */
#define STREAM_MIN (8u * 1024u * 1024u)      /* files this large and up */
#define STREAM_CHUNK (1024u * 1024u)
#define STREAM_FIRST (64u * 1024u)            /* where the first LF must be */

struct stream {
	int fd;
	char *buf;                  /* owned */
	size_t n, cap;              /* bytes held, allocated */
	bool eof;
};

/* Read more after the bytes held; false on a read error (errno set). */
static bool stream_fill(struct stream *s)
{
	if (s->n == s->cap) {
		s->cap *= 2;
		s->buf = xrealloc(s->buf, s->cap);
	}
	for (;;) {
		ssize_t r = read(s->fd, s->buf + s->n, s->cap - s->n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return false;
		if (r == 0)
			s->eof = true;
		s->n += (size_t)r;
		return true;
	}
}

int source_mbox_stream(const char *name, int fd, size_t chunk, source_msg_fn fn, void *arg, int *error)
{
	struct stream s = { fd, xmalloc(chunk), 0, chunk, false };
	int rc = 0;
	*error = 0;
	/* the first line, and the first LF: up to STREAM_FIRST bytes */
	while (!s.eof && s.n < STREAM_FIRST && memchr(s.buf, '\n', s.n) == NULL)
		if (!stream_fill(&s))
			goto failed;
	if (s.n < 5 || memcmp(s.buf, "From ", 5) != 0 || !memchr(s.buf, '\n', s.n)) {
		*error = EINVAL;            /* no mbox with LF line ends */
		goto out;
	}
	unsigned index = 0;
	size_t start = (size_t)((const char *)memchr(s.buf, '\n', s.n) - s.buf) + 1;  /* past the first From_ line */
	size_t scan = 0;                    /* where the search for candidates goes on */
	for (;;) {
		const char *buf = s.buf, *end = s.buf + s.n, *q = buf + scan;
		while (q < end && (q = bw_mempair(q, (size_t)(end - q), '\n', 'F')) != NULL) {
			const char *line = q + 1;
			const char *le = memchr(line, '\n', (size_t)(end - line));
			if (!le && !s.eof)
				break;              /* its line is not all here yet */
			/* q == file start never holds: the file opens with 'F' */
			if (is_from_line(line, end) && (blank_before(buf, q, '\n') || is_strict_from_line(line, end))) {
				if ((rc = fn(arg, name, ++index, buf + start, (size_t)(line - (buf + start)))) != 0)
					goto out;
				start = le ? (size_t)(le - buf) + 1 : s.n;
			}
			q = line;
		}
		if (s.eof)
			break;
		/* the next round goes on from the candidate that waits for its
		 * line, else from the last byte (a line end before an 'F' to come) */
		scan = q ? (size_t)(q - buf) : s.n - 1;
		/* keep the message begun and three bytes before the next
		 * candidate (blank_before() looks two back) */
		size_t keep = start < scan ? start : scan;
		keep = keep > 3 ? keep - 3 : 0;
		if (keep) {
			memmove(s.buf, s.buf + keep, s.n - keep);
			s.n -= keep;
			start -= keep;
			scan -= keep;
		}
		if (!stream_fill(&s))
			goto failed;
	}
	if (start < s.n)
		rc = fn(arg, name, index ? index + 1 : 0, s.buf + start, s.n - start);
	goto out;
failed:
	*error = errno ? errno : EIO;
out:
	free(s.buf);
	return rc;
}

static int one_buffer(const char *name, const char *buf, size_t len, source_msg_fn fn, void *arg)
{
	if (len >= 5 && memcmp(buf, "From ", 5) == 0)
		return source_mbox_split(name, buf, len, fn, arg);
	return fn(arg, name, 0, buf, len);
}

/* A mapped mbox is read once, front to back: once a message begins past
 * RELEASE_STEP bytes not yet given back, the pages wholly before it are
 * given back, so memory stays flat however large the file (the kernel reads
 * them again should anything touch them).  Giving back after every message
 * cost a system call and a TLB flush per message, for a page or two. */
#define RELEASE_STEP (1024u * 1024u)
struct release_ctx {
	source_msg_fn fn;
	void *arg;
	const char *base;       /* the mapping */
	size_t released;        /* bytes from base already given back */
};

static int release_behind(void *arg, const char *name, unsigned index, const char *raw, size_t len)
{
	struct release_ctx *rc = arg;
	int r = rc->fn(rc->arg, name, index, raw, len);
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t upto = (size_t)(raw - rc->base) / page * page;
	if (upto >= rc->released + RELEASE_STEP) {
		madvise((void *)(rc->base + rc->released), upto - rc->released, MADV_DONTNEED);
		rc->released = upto;
	}
	return r;
}

static int one_file(const char *path, source_msg_fn fn, void *arg, FILE *err, unsigned *failures)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(err, "bouncewatch: %s: %s\n", path, strerror(errno));
		(*failures)++;
		return 0;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		fprintf(err, "bouncewatch: %s: %s\n", path, strerror(errno));
		close(fd);
		(*failures)++;
		return 0;
	}
	if (st.st_size == 0) {
		close(fd);
		return fn(arg, path, 0, "", 0);
	}
	if ((size_t)st.st_size >= STREAM_MIN) {
		char head[5];
		if (pread(fd, head, 5, 0) == 5 && memcmp(head, "From ", 5) == 0) {
			int error;
			int rc = source_mbox_stream(path, fd, STREAM_CHUNK, fn, arg, &error);
			if (error != EINVAL) {
				if (error) {
					fprintf(err, "bouncewatch: %s: %s\n", path, strerror(error));
					(*failures)++;
				}
				close(fd);
				return rc;
			}
			/* no LF in the first chunk (CR line ends): the mapping below */
		}
	}
	void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		fprintf(err, "bouncewatch: %s: %s\n", path, strerror(errno));
		(*failures)++;
		return 0;
	}
	madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL);
	struct release_ctx ctx = { fn, arg, map, 0 };
	int rc = one_buffer(path, map, (size_t)st.st_size, release_behind, &ctx);
	munmap(map, (size_t)st.st_size);
	return rc;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk(const char *path, source_msg_fn fn, void *arg, FILE *err, unsigned *failures,
		unsigned depth);

static int one_dir(const char *path, source_msg_fn fn, void *arg, FILE *err, unsigned *failures,
		   unsigned depth)
{
	DIR *d = opendir(path);
	if (!d) {
		fprintf(err, "bouncewatch: %s: %s\n", path, strerror(errno));
		(*failures)++;
		return 0;
	}
	size_t n = 0, cap = 64;
	char **names = xmalloc(cap * sizeof(*names));
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap *= 2;
			names = xrealloc(names, cap * sizeof(*names));
		}
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);
	/* a maildir: only its new/ and cur/ hold messages */
	bool maildir = false;
	for (size_t i = 0; i < n; i++)
		maildir = maildir || strcmp(names[i], "cur") == 0;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (maildir && strcmp(names[i], "new") != 0 && strcmp(names[i], "cur") != 0)
			continue;
		char *child = xasprintf("%s/%s", path, names[i]);
		rc = walk(child, fn, arg, err, failures, depth + 1);
		free(child);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

static int walk(const char *path, source_msg_fn fn, void *arg, FILE *err, unsigned *failures,
		unsigned depth)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		fprintf(err, "bouncewatch: %s: %s\n", path, strerror(errno));
		(*failures)++;
		return 0;
	}
	if (S_ISDIR(st.st_mode)) {
		if (depth > 16) {
			fprintf(err, "bouncewatch: %s: directories nested too deep\n", path);
			(*failures)++;
			return 0;
		}
		return one_dir(path, fn, arg, err, failures, depth);
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(err, "bouncewatch: %s: not a regular file or directory\n", path);
		(*failures)++;
		return 0;
	}
	return one_file(path, fn, arg, err, failures);
}

int source_files(char *const *paths, size_t n, source_msg_fn fn, void *arg, FILE *err,
		 unsigned *failures)
{
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (strcmp(paths[i], "-") == 0) {
			size_t len;
			bool too_big;
			char *buf = bw_read_file("-", STDIN_LIMIT, &len, &too_big);
			if (!buf || too_big) {
				fprintf(err, "bouncewatch: stdin: %s\n", buf ? "more than 1 GiB" : strerror(errno));
				(*failures)++;
				free(buf);
				continue;
			}
			rc = one_buffer("-", buf, len, fn, arg);
			free(buf);
			continue;
		}
		rc = walk(paths[i], fn, arg, err, failures, 0);
	}
	return rc;
}
