/*
 * util.c - allocation wrappers, bounded buffers, small string helpers.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

void fatal(const char *fmt, ...)
{
	va_list ap;
	fputs("bouncewatch: fatal: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		fatal("out of memory (%zu bytes)", n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		fatal("out of memory (%zu x %zu bytes)", n, size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		fatal("out of memory (%zu bytes)", n);
	return q;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatal("bad format");
	char *p = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

static bool casecmp_n(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (bw_lower((unsigned char)a[i]) != bw_lower((unsigned char)b[i]))
			return false;
	return true;
}

/*
 * The text scans below (bw_memcasemem_n and the phrase-trie walks) compare
 * every byte of every text they scan.  Under libFuzzer those compares are
 * traced one by one and took 40 % of fuzz_classify's time, feedback about
 * generic byte loops the unit tests already cover; fuzz builds skip coverage
 * in these few functions (ASan and UBSan still check them).  Clang >= 13
 * knows the attribute; gcc builds do not trace compares.
 */
#if defined(__clang__) && __clang_major__ >= 13
#define SCAN_NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define SCAN_NO_COVERAGE
#endif

#ifdef __SSE2__
/* The candidate positions x..x+15 of the filter below, as a bit mask. */
static inline unsigned memcasemem_block(const char *hay, size_t x, size_t nl, __m128i vf, __m128i vl)
{
	const __m128i fold = _mm_set1_epi8(0x20);
	__m128i a = _mm_or_si128(_mm_loadu_si128((const __m128i *)(const void *)(hay + x)), fold);
	__m128i b = _mm_or_si128(_mm_loadu_si128((const __m128i *)(const void *)(hay + x + nl - 1)), fold);
	return (unsigned)_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(a, vf), _mm_cmpeq_epi8(b, vl)));
}
#endif

/*
 * bw_memcasemem_n - the first case-insensitive occurrence of needle in
 * hay[0..len).  It filters positions 32 (then 16) at a time on the needle's
 * first and last bytes, folded by OR 0x20 (which maps 'A'-'Z' onto 'a'-'z'
 * and may let a few other bytes through), then checks each candidate
 * exactly; the last positions are one block that ends at the last one,
 * overlapping positions already looked at.  This is the classifier's hot
 * loop: phrase and marker searches over bounce text.
 */
SCAN_NO_COVERAGE const char *bw_memcasemem_n(const char *hay, size_t len, const char *needle, size_t nl)
{
	if (nl == 0)
		return hay;
	if (nl > len)
		return NULL;
	const unsigned char f = (unsigned char)needle[0] | 0x20;
	const unsigned char l = (unsigned char)needle[nl - 1] | 0x20;
	size_t i = 0;
	const size_t last = len - nl;            /* the last position a match may start */
#ifdef __SSE2__
	const __m128i vf = _mm_set1_epi8((char)f), vl = _mm_set1_epi8((char)l);
	for (; i + 32 <= last + 1; i += 32) {
		unsigned mask = memcasemem_block(hay, i, nl, vf, vl) |
				memcasemem_block(hay, i + 16, nl, vf, vl) << 16;
		while (mask) {
			unsigned bit = (unsigned)__builtin_ctz(mask);
			if (casecmp_n(hay + i + bit, needle, nl))
				return hay + i + bit;
			mask &= mask - 1;
		}
	}
	for (; i + 16 <= last + 1; i += 16) {
		unsigned mask = memcasemem_block(hay, i, nl, vf, vl);
		while (mask) {
			unsigned bit = (unsigned)__builtin_ctz(mask);
			if (casecmp_n(hay + i + bit, needle, nl))
				return hay + i + bit;
			mask &= mask - 1;
		}
	}
	if (i <= last && last + 1 >= 16) {
		/* positions i..last: the block last-15..last, without those before i */
		size_t t = last + 1 - 16;
		unsigned mask = memcasemem_block(hay, t, nl, vf, vl) & ~((1u << (i - t)) - 1);
		while (mask) {
			unsigned bit = (unsigned)__builtin_ctz(mask);
			if (casecmp_n(hay + t + bit, needle, nl))
				return hay + t + bit;
			mask &= mask - 1;
		}
		return NULL;
	}
#endif
	for (; i <= last; i++)
		if (((unsigned char)hay[i] | 0x20) == f && ((unsigned char)hay[i + nl - 1] | 0x20) == l &&
		    casecmp_n(hay + i, needle, nl))
			return hay + i;
	return NULL;
}

#ifdef __SSE2__
/* The positions x..x+15 whose byte is f, whose next byte is s and whose
 * byte nl - 1 further on is l, as a bit mask (nl >= 2). */
static inline unsigned memmem_block(const char *hay, size_t x, size_t nl, __m128i vf, __m128i vs, __m128i vl)
{
	__m128i a = _mm_loadu_si128((const __m128i *)(const void *)(hay + x));
	__m128i s = _mm_loadu_si128((const __m128i *)(const void *)(hay + x + 1));
	__m128i b = _mm_loadu_si128((const __m128i *)(const void *)(hay + x + nl - 1));
	return (unsigned)_mm_movemask_epi8(_mm_and_si128(_mm_and_si128(_mm_cmpeq_epi8(a, vf), _mm_cmpeq_epi8(s, vs)),
							  _mm_cmpeq_epi8(b, vl)));
}
#endif

/*
 * bw_memmem - memmem by the first two and the last byte of the needle,
 * as bw_memcasemem_n without the folding: a MIME delimiter ("\n--" and the
 * boundary) is looked for once per part, over the whole multipart body,
 * and libc's memmem spends more on its set-up and its general search than
 * this filter, which lets through little but the delimiter lines.
 */
SCAN_NO_COVERAGE const char *bw_memmem(const char *hay, size_t len, const char *needle, size_t nl)
{
	if (nl == 0)
		return hay;
	if (nl > len)
		return NULL;
	const char f = needle[0], l = needle[nl - 1];
	size_t i = 0;
	const size_t last = len - nl;            /* the last position a match may start */
#ifdef __SSE2__
	const __m128i vf = _mm_set1_epi8(f), vs = _mm_set1_epi8(nl > 1 ? needle[1] : f), vl = _mm_set1_epi8(l);
	for (; nl > 1 && i + 32 <= last + 1; i += 32) {
		unsigned mask = memmem_block(hay, i, nl, vf, vs, vl) | memmem_block(hay, i + 16, nl, vf, vs, vl) << 16;
		while (mask) {
			unsigned bit = (unsigned)__builtin_ctz(mask);
			if (memcmp(hay + i + bit, needle, nl) == 0)
				return hay + i + bit;
			mask &= mask - 1;
		}
	}
#endif
	for (; i <= last; i++)
		if (hay[i] == f && hay[i + nl - 1] == l && memcmp(hay + i, needle, nl) == 0)
			return hay + i;
	return NULL;
}

/*
 * bw_mempair - the first place where byte a is followed by byte b.  32
 * positions a step where SSE2 is there (two loads, one a byte further on),
 * so a search for line starts beginning with 'F' in an mbox tests a whole
 * run of lines without a call per line.
 */
SCAN_NO_COVERAGE const char *bw_mempair(const char *p, size_t len, char a, char b)
{
	size_t i = 0;
	if (len < 2)
		return NULL;
	const size_t last = len - 2;             /* the last position a pair may start */
#ifdef __SSE2__
	const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b);
	for (; i + 32 <= last + 1; i += 32) {
		const __m128i *x = (const __m128i *)(const void *)(p + i);
		const __m128i *y = (const __m128i *)(const void *)(p + i + 1);
		__m128i lo = _mm_and_si128(_mm_cmpeq_epi8(_mm_loadu_si128(x), va), _mm_cmpeq_epi8(_mm_loadu_si128(y), vb));
		__m128i hi = _mm_and_si128(_mm_cmpeq_epi8(_mm_loadu_si128(x + 1), va),
					   _mm_cmpeq_epi8(_mm_loadu_si128(y + 1), vb));
		unsigned mask = (unsigned)_mm_movemask_epi8(lo) | (unsigned)_mm_movemask_epi8(hi) << 16;
		if (mask)
			return p + i + (unsigned)__builtin_ctz(mask);
	}
#endif
	for (; i <= last; i++)
		if (p[i] == a && p[i + 1] == b)
			return p + i;
	return NULL;
}

bool bw_prefixcase(const char *hay, size_t len, const char *word)
{
	size_t i = 0;
	for (; word[i]; i++)
		if (i >= len || bw_lower((unsigned char)hay[i]) != bw_lower((unsigned char)word[i]))
			return false;
	return true;
}

/* --- pattern sets ---------------------------------------------------------
 *
 * A trie of the patterns (folded).  The first two bytes of a candidate are
 * one load from a dense table of byte pairs, so the common case (no pattern
 * starts with these two bytes) costs a few instructions per position of the
 * text; deeper nodes keep their children as a short list sorted by byte.
 */
#define PSET_NONE UINT16_MAX
#define PSET_MAX_NODES 65535u
#define PSET_BIGRAMS 16

struct bw_pset {
	bool blanks;              /* BW_PSET_BLANKS */
	bool has_one;             /* some pattern is one byte long */
	unsigned char fold[256];  /* a text byte as the trie reads it */
	uint16_t one[256];        /* pattern that is this one byte, or PSET_NONE */
	uint16_t *two;            /* owned: [b0 << 8 | b1] -> node two bytes deep, 0 none */
	uint16_t *pat;            /* owned: node -> lowest pattern ending there */
	uint32_t *efirst;         /* owned: node -> its first edge */
	uint16_t *en;             /* owned: node -> its number of edges */
	unsigned char *ebyte;     /* owned: edge -> byte (sorted per node) */
	uint16_t *echild;         /* owned: edge -> child node */
	/* The distinct first two bytes of the patterns, OR 0x20, when there are
	 * few: a vector filter finds the positions worth a walk. */
	unsigned n_big;
	unsigned char big[PSET_BIGRAMS][2];
	/* The skip (a window of skip_len bytes moved by the shift of its last
	 * two bytes) when every pattern's fixed part is at least PSET_SKIP_MIN
	 * bytes long, else skip_len is 0 and shift NULL. */
	unsigned skip_len;
	unsigned char *shift;     /* owned: [pset_pair()] -> how far the window may move */
	/* When every pattern's fixed part is 3 bytes or more: a bit for the
	 * hashed first three bytes (folded) of each pattern (pset_tri()), else
	 * NULL.  A position whose three bytes hash to a clear bit begins no
	 * pattern. */
	uint32_t *tri;            /* owned: PSET_TRI_SLOTS bits */
};

/* The trie while it is built: children as sibling lists; node 0 is the root. */
struct pset_tmp {
	unsigned char *byte;
	uint16_t *child, *sib, *pat;
	size_t n, cap;
};

static unsigned pset_tmp_node(struct pset_tmp *t, unsigned char b)
{
	if (t->n >= PSET_MAX_NODES)
		fatal("pattern set: more than %u trie nodes", PSET_MAX_NODES);
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 256;
		t->byte = xrealloc(t->byte, t->cap);
		t->child = xrealloc(t->child, t->cap * sizeof(*t->child));
		t->sib = xrealloc(t->sib, t->cap * sizeof(*t->sib));
		t->pat = xrealloc(t->pat, t->cap * sizeof(*t->pat));
	}
	size_t n = t->n++;
	t->byte[n] = b;
	t->child[n] = 0;
	t->sib[n] = 0;
	t->pat[n] = PSET_NONE;
	return (unsigned)n;
}

static unsigned pset_tmp_insert(struct pset_tmp *t, const unsigned char *fold, const char *p)
{
	unsigned node = 0;
	for (; *p; p++) {
		unsigned char b = fold[(unsigned char)*p];
		unsigned c = t->child[node];
		while (c && t->byte[c] != b)
			c = t->sib[c];
		if (!c) {
			c = pset_tmp_node(t, b);
			t->sib[c] = t->child[node];
			t->child[node] = (uint16_t)c;
		}
		node = c;
	}
	return node;
}

/*
 * The skip (Wu and Manber's).  The window is text[i..i + m), m no longer
 * than any pattern's fixed part (the bytes that match one text byte each:
 * with BW_PSET_BLANKS, up to and with the first space).  shift[] takes the
 * folded pair of the window's last two bytes to the least distance from
 * that pair's end to byte m of a pattern in which it stands among the
 * first m bytes, or to m - 1 when it stands in none: a pattern that begins
 * at i + 1 .. i + d - 1 would hold the pair closer to its byte m, so the
 * window moves d bytes with no occurrence passed, and a shift of 0 is the
 * one place a pattern may begin at i (the walk decides).  The pair is
 * hashed into PSET_SKIP_SLOTS slots; pairs that share a slot keep the
 * least shift, which is only slower.  Short windows do not pay: with m = 3
 * (the reason phrases) the skip cut instructions but its branches cost
 * more time than the pair table or the vector filter.
 */
#define PSET_SKIP_MIN 6
#define PSET_SKIP_MAXLEN 32
#define PSET_SKIP_SLOTS 16384u

static inline unsigned pset_pair(unsigned a, unsigned b)
{
	return (a << 6 ^ b) & (PSET_SKIP_SLOTS - 1);
}

/* The fixed part of pattern p (folded by fold): its length. */
static size_t pset_fixed_len(const struct bw_pset *s, const char *p)
{
	size_t n = 0;
	while (p[n] && !(s->blanks && s->fold[(unsigned char)p[n]] == ' '))
		n++;
	return p[n] ? n + 1 : n;
}

static void pset_skip(struct bw_pset *s, const char *const *pats, size_t n)
{
	size_t m = PSET_SKIP_MAXLEN;
	for (size_t k = 0; k < n; k++)
		if (pats[k][0] && pset_fixed_len(s, pats[k]) < m)
			m = pset_fixed_len(s, pats[k]);
	if (m < PSET_SKIP_MIN)
		return;
	s->skip_len = (unsigned)m;
	s->shift = xmalloc(PSET_SKIP_SLOTS);
	memset(s->shift, (int)(m - 1), PSET_SKIP_SLOTS);
	for (size_t k = 0; k < n; k++) {
		if (!pats[k][0])
			continue;
		for (size_t q = 2; q <= m; q++) {
			unsigned h = pset_pair(s->fold[(unsigned char)pats[k][q - 2]], s->fold[(unsigned char)pats[k][q - 1]]);
			if (s->shift[h] > m - q)
				s->shift[h] = (unsigned char)(m - q);
		}
	}
}

/*
 * The three-byte filter.  The pair table alone sends a walk from every
 * position whose first two bytes begin a pattern; with hundreds of phrases
 * that is one position in four of an English text, and most walks end at
 * the third byte, at the cost of a branch the processor cannot foresee.
 * Three bytes, hashed into a bitmap, keep only the positions whose first
 * three bytes may begin a pattern.  x holds the three folded bytes, first
 * in bits 16..23.
 */
#define PSET_TRI_BITS 15
#define PSET_TRI_SLOTS (1u << PSET_TRI_BITS)

static inline uint32_t pset_tri(uint32_t x)
{
	return (x * 0x9e3779b1u) >> (32 - PSET_TRI_BITS);
}

static void pset_tri_build(struct bw_pset *s, const char *const *pats, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (pats[k][0] && pset_fixed_len(s, pats[k]) < 3)
			return;
	s->tri = xcalloc(PSET_TRI_SLOTS / 32, sizeof(*s->tri));
	for (size_t k = 0; k < n; k++) {
		if (!pats[k][0])
			continue;
		const unsigned char *p = (const unsigned char *)pats[k];
		uint32_t h = pset_tri((uint32_t)s->fold[p[0]] << 16 | (uint32_t)s->fold[p[1]] << 8 | s->fold[p[2]]);
		s->tri[h / 32] |= 1u << (h % 32);
	}
}

/*
 * The filter's byte pairs.  (t | 0x20) == (b | 0x20) holds for every text
 * byte t that folds to b, except blanks folded to a space: a set whose
 * first two bytes hold a space, or a pattern one byte long, or more than
 * PSET_BIGRAMS pairs, goes without the filter (n_big stays 0).
 */
static void pset_bigrams(struct bw_pset *s, const struct pset_tmp *t)
{
	if (s->has_one)
		return;
	for (unsigned d1 = t->child[0]; d1; d1 = t->sib[d1]) {
		for (unsigned d2 = t->child[d1]; d2; d2 = t->sib[d2]) {
			unsigned char a = (unsigned char)(t->byte[d1] | 0x20), b = (unsigned char)(t->byte[d2] | 0x20);
			if (s->blanks && (t->byte[d1] == ' ' || t->byte[d2] == ' ')) {
				s->n_big = 0;
				return;
			}
			unsigned k = 0;
			while (k < s->n_big && !(s->big[k][0] == a && s->big[k][1] == b))
				k++;
			if (k < s->n_big)
				continue;
			if (s->n_big == PSET_BIGRAMS) {
				s->n_big = 0;
				return;
			}
			s->big[s->n_big][0] = a;
			s->big[s->n_big][1] = b;
			s->n_big++;
		}
	}
}

struct bw_pset *bw_pset_new(const char *const *pats, size_t n, unsigned flags)
{
	if (n >= PSET_NONE)
		fatal("pattern set: too many patterns (%zu)", n);
	struct bw_pset *s = xcalloc(1, sizeof(*s));
	struct pset_tmp t = { 0 };
	s->blanks = (flags & BW_PSET_BLANKS) != 0;
	for (unsigned c = 0; c < 256; c++) {
		s->fold[c] = (unsigned char)bw_lower((int)c);
		if (s->blanks && bw_isspace((int)c))
			s->fold[c] = ' ';
		s->one[c] = PSET_NONE;
	}
	pset_tmp_node(&t, 0);
	for (size_t k = 0; k < n; k++) {
		if (!pats[k][0])
			continue;                       /* an empty pattern never matches */
		if (s->blanks && s->fold[(unsigned char)pats[k][0]] == ' ')
			fatal("pattern set: \"%s\" begins with a blank", pats[k]);
		unsigned node = pset_tmp_insert(&t, s->fold, pats[k]);
		if (t.pat[node] == PSET_NONE)
			t.pat[node] = (uint16_t)k;      /* the same pattern twice: the first */
	}
	size_t nodes = t.n;
	s->two = xcalloc(65536, sizeof(*s->two));
	s->pat = xmalloc(nodes * sizeof(*s->pat));
	s->efirst = xcalloc(nodes, sizeof(*s->efirst));
	s->en = xcalloc(nodes, sizeof(*s->en));
	s->ebyte = xmalloc(nodes);
	s->echild = xmalloc(nodes * sizeof(*s->echild));
	memcpy(s->pat, t.pat, nodes * sizeof(*s->pat));
	for (unsigned d1 = t.child[0]; d1; d1 = t.sib[d1]) {
		s->one[t.byte[d1]] = t.pat[d1];
		s->has_one = s->has_one || t.pat[d1] != PSET_NONE;
		for (unsigned d2 = t.child[d1]; d2; d2 = t.sib[d2])
			s->two[(unsigned)t.byte[d1] << 8 | t.byte[d2]] = (uint16_t)d2;
	}
	pset_bigrams(s, &t);
	pset_skip(s, pats, n);
	pset_tri_build(s, pats, n);
	uint32_t edges = 0;
	for (size_t i = 0; i < nodes; i++) {
		s->efirst[i] = edges;
		for (unsigned c = t.child[i]; c; c = t.sib[c]) {
			uint32_t e = edges++;           /* insertion sort by byte */
			while (e > s->efirst[i] && s->ebyte[e - 1] > t.byte[c]) {
				s->ebyte[e] = s->ebyte[e - 1];
				s->echild[e] = s->echild[e - 1];
				e--;
			}
			s->ebyte[e] = t.byte[c];
			s->echild[e] = (uint16_t)c;
		}
		s->en[i] = (uint16_t)(edges - s->efirst[i]);
	}
	free(t.byte);
	free(t.child);
	free(t.sib);
	free(t.pat);
	return s;
}

void bw_pset_free(struct bw_pset *s)
{
	if (!s)
		return;
	free(s->two);
	free(s->pat);
	free(s->efirst);
	free(s->en);
	free(s->ebyte);
	free(s->echild);
	free(s->shift);
	free(s->tri);
	free(s);
}

static inline unsigned pset_child(const struct bw_pset *s, unsigned n, unsigned c)
{
	for (uint32_t e = s->efirst[n], end = e + s->en[n]; e < end && s->ebyte[e] <= c; e++)
		if (s->ebyte[e] == c)
			return s->echild[e];
	return 0;
}

/* Past the rest of a run of blanks a pattern's space stood for. */
static inline size_t pset_skip_blanks(const char *t, size_t len, size_t j)
{
	while (j < len && bw_isspace((unsigned char)t[j]))
		j++;
	return j;
}

/*
 * pset_at - the walk from position i (i + 1 < len).  Every pattern found
 * lowers *best.
 */
static inline __attribute__((always_inline)) void
pset_at(const struct bw_pset *s, const char *text, size_t len, size_t i, unsigned *best)
{
	unsigned c = s->fold[(unsigned char)text[i + 1]];
	unsigned n = s->two[(unsigned)s->fold[(unsigned char)text[i]] << 8 | c];
	size_t j = i + 2;
	while (n) {
		if (s->blanks && c == ' ')
			j = pset_skip_blanks(text, len, j);
		unsigned k = s->pat[n];
		if (k < *best)
			*best = k;
		if (j >= len)
			break;
		c = s->fold[(unsigned char)text[j++]];
		n = pset_child(s, n, c);
	}
}

/*
 * pset_scan - the walks from every position of the text, in order.  The scan
 * for *best stops at 0, or, with at_hit, after the first position where any
 * pattern begins; it returns that position (SIZE_MAX when it ran to the end).
 * Inlined into its callers, so each gets its own loop.
 */
static inline __attribute__((always_inline)) size_t
pset_scan(const struct bw_pset *s, const char *text, size_t len, unsigned *best, bool at_hit)
{
#define PSET_STOP() (*best == 0 || (at_hit && *best != PSET_NONE))
	size_t i = 0;
	if (s->has_one) {
		for (; i < len; i++) {
			unsigned k = s->one[s->fold[(unsigned char)text[i]]];
			if (k < *best)
				*best = k;
			if (i + 1 < len)
				pset_at(s, text, len, i, best);
			if (PSET_STOP())
				return i;
		}
		return SIZE_MAX;
	}
	if (s->skip_len) {
		const size_t m = s->skip_len;
		while (i + m <= len) {
			unsigned d = s->shift[pset_pair(s->fold[(unsigned char)text[i + m - 2]],
							s->fold[(unsigned char)text[i + m - 1]])];
			if (d) {
				i += d;
				continue;
			}
			pset_at(s, text, len, i, best);
			if (PSET_STOP())
				return i;
			i++;
		}
		return SIZE_MAX;        /* no pattern fits in the bytes left */
	}
	if (s->tri && !s->n_big) {
		if (len < 3)
			return SIZE_MAX;
		uint32_t x = (uint32_t)s->fold[(unsigned char)text[0]] << 8 | s->fold[(unsigned char)text[1]];
		for (; i + 2 < len; i++) {
			x = (x << 8 | s->fold[(unsigned char)text[i + 2]]) & 0xffffff;
			uint32_t h = pset_tri(x);
			if (!(s->tri[h / 32] >> (h % 32) & 1))
				continue;
			pset_at(s, text, len, i, best);
			if (PSET_STOP())
				return i;
		}
		return SIZE_MAX;
	}
#ifdef __SSE2__
	if (s->n_big) {
		__m128i va[PSET_BIGRAMS], vb[PSET_BIGRAMS];
		const __m128i fold = _mm_set1_epi8(0x20);
		for (unsigned k = 0; k < s->n_big; k++) {
			va[k] = _mm_set1_epi8((char)s->big[k][0]);
			vb[k] = _mm_set1_epi8((char)s->big[k][1]);
		}
		for (; i + 17 <= len; i += 16) {
			__m128i a = _mm_or_si128(_mm_loadu_si128((const __m128i *)(const void *)(text + i)), fold);
			__m128i b = _mm_or_si128(_mm_loadu_si128((const __m128i *)(const void *)(text + i + 1)), fold);
			__m128i hit = _mm_setzero_si128();
			for (unsigned k = 0; k < s->n_big; k++)
				hit = _mm_or_si128(hit, _mm_and_si128(_mm_cmpeq_epi8(a, va[k]), _mm_cmpeq_epi8(b, vb[k])));
			unsigned mask = (unsigned)_mm_movemask_epi8(hit);
			while (mask) {
				size_t at = i + (unsigned)__builtin_ctz(mask);
				pset_at(s, text, len, at, best);
				if (PSET_STOP())
					return at;
				mask &= mask - 1;
			}
		}
	}
#endif
	for (; i + 1 < len; i++) {
		pset_at(s, text, len, i, best);
		if (PSET_STOP())
			return i;
	}
	return SIZE_MAX;
#undef PSET_STOP
}

SCAN_NO_COVERAGE int bw_pset_best(const struct bw_pset *s, const char *text, size_t len)
{
	unsigned best = PSET_NONE;
	pset_scan(s, text, len, &best, false);
	return best == PSET_NONE ? -1 : (int)best;
}

SCAN_NO_COVERAGE size_t bw_pset_earliest(const struct bw_pset *s, const char *text, size_t len)
{
	unsigned best = PSET_NONE;
	return pset_scan(s, text, len, &best, true);
}

bool bw_buf_append(struct bw_buf *b, const void *p, size_t n)
{
	if (b->limit && b->len + n > b->limit)
		return false;
	if (b->len + n + 1 > b->cap) {
		size_t nc = b->cap ? b->cap : 256;
		while (nc < b->len + n + 1)
			nc *= 2;
		b->data = xrealloc(b->data, nc);
		b->cap = nc;
	}
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return true;
}

bool bw_buf_printf(struct bw_buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[512];
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return false;
	if ((size_t)n < sizeof(small))
		return bw_buf_append(b, small, (size_t)n);
	char *big = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	bool ok = bw_buf_append(b, big, (size_t)n);
	free(big);
	return ok;
}

void bw_buf_free(struct bw_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

char *bw_read_file(const char *path, size_t limit, size_t *len, bool *too_big)
{
	int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t cap = 65536, n = 0;
	char *buf = xmalloc(cap + 1);
	*too_big = false;
	for (;;) {
		if (n == cap) {
			if (limit && cap >= limit + 1) {
				*too_big = true;
				break;
			}
			cap *= 2;
			buf = xrealloc(buf, cap + 1);
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			if (fd != STDIN_FILENO)
				close(fd);
			free(buf);
			errno = e;
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (limit && n > limit) {
			*too_big = true;
			break;
		}
	}
	if (fd != STDIN_FILENO)
		close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
}
