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
 * text.  The table is indexed by byte classes (the bytes that begin a
 * pattern, the bytes that stand second in one; all others class 0), so it
 * holds a few kilobytes where a table of all 65,536 pairs took 128 KB, a
 * quarter of a core's L2 cache for the four sets of the classifier.  Deeper nodes live in a double array (Aoe's): the child of node n
 * by byte c is slot base[n] + c when that slot's check names n, one step a
 * byte with no list to search.  Each node also knows the lowest pattern in
 * its subtree, so a walk for the best pattern stops where nothing below can
 * beat the best one found so far.
 */
#define PSET_NONE UINT16_MAX
#define PSET_MAX_SLOTS 65000u     /* slot numbers stay below PSET_NONE, base + 255 too */
#define PSET_BIGRAMS 16

/* One slot of the double array: a node, or free (check PSET_NONE). */
struct pset_slot {
	uint16_t base;            /* its children are at base + byte */
	uint16_t check;           /* the parent's slot; PSET_NONE when free */
	uint16_t pat;             /* lowest pattern ending here, PSET_NONE if none */
	uint16_t low;             /* lowest pattern ending here or below */
};

struct bw_pset {
	bool blanks;              /* BW_PSET_BLANKS */
	bool has_one;             /* some pattern is one byte long */
	unsigned char fold[256];  /* a text byte as the trie reads it */
	uint16_t one[256];        /* pattern that is this one byte, or PSET_NONE */
	uint16_t cls1[256];       /* a text byte's class as a pattern's first byte, 0 none */
	uint16_t cls2[256];       /* ... as a pattern's second byte, 0 none */
	unsigned n_cls2;          /* classes of second bytes, with 0 */
	uint16_t *two;            /* owned: [cls1 * n_cls2 + cls2] -> slot of the node two bytes deep, 0 none */
	struct pset_slot *slot;   /* owned: the double array; slot 0 is the root */
	size_t n_slots;           /* allocated (every base + 255 lies below it) */
	/* The distinct first two bytes of the patterns, OR 0x20, when there are
	 * few: a vector filter finds the positions worth a walk.  The list is
	 * padded to a multiple of 4 by repeating its last pair. */
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
	if (t->n >= PSET_MAX_SLOTS)
		fatal("pattern set: more than %u trie nodes", PSET_MAX_SLOTS);
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

/* Make room for slots below n; new slots are free. */
static void pset_grow(struct bw_pset *s, size_t n)
{
	if (n <= s->n_slots)
		return;
	size_t cap = s->n_slots ? s->n_slots : 1024;
	while (cap < n)
		cap *= 2;
	s->slot = xrealloc(s->slot, cap * sizeof(*s->slot));
	for (size_t i = s->n_slots; i < cap; i++)
		s->slot[i] = (struct pset_slot){ 0, PSET_NONE, PSET_NONE, PSET_NONE };
	s->n_slots = cap;
}

/* The lowest pattern at node u of the tmp trie or below it. */
static uint16_t pset_tmp_low(const struct pset_tmp *t, uint16_t *low, unsigned u)
{
	uint16_t m = t->pat[u];
	for (unsigned c = t->child[u]; c; c = t->sib[c]) {
		uint16_t x = pset_tmp_low(t, low, c);
		if (x < m)
			m = x;
	}
	low[u] = m;
	return m;
}

/*
 * The double array from the tmp trie, breadth first: each node's children
 * go to the first base at which all their slots are free (first fit: the
 * lowest child on each free slot in turn, the free slots kept in a list so
 * that the search passes only those).
 * slot_of gets every tmp node's slot.
 */
#define PSET_END UINT32_MAX        /* the free list's end */
struct pset_free {
	uint32_t *next, *prev;    /* the free slots, in order */
	uint32_t head, tail;      /* the first and the last, PSET_END when none */
	size_t cap;               /* slots the list covers */
};

/* Grow the array (and the free list with it) to n slots or more. */
static void pset_free_grow(struct bw_pset *s, struct pset_free *f, size_t n)
{
	size_t old = f->cap;
	pset_grow(s, n);
	if (s->n_slots == old)
		return;
	f->next = xrealloc(f->next, s->n_slots * sizeof(*f->next));
	f->prev = xrealloc(f->prev, s->n_slots * sizeof(*f->prev));
	for (size_t i = old; i < s->n_slots; i++) {
		f->prev[i] = i == old ? f->tail : (uint32_t)(i - 1);
		f->next[i] = i + 1 < s->n_slots ? (uint32_t)(i + 1) : PSET_END;
	}
	if (f->tail == PSET_END)
		f->head = (uint32_t)old;
	else
		f->next[f->tail] = (uint32_t)old;
	f->tail = (uint32_t)(s->n_slots - 1);
	f->cap = s->n_slots;
}

static void pset_free_take(struct pset_free *f, uint32_t x)
{
	uint32_t p = f->prev[x], n = f->next[x];
	if (p == PSET_END)
		f->head = n;
	else
		f->next[p] = n;
	if (n == PSET_END)
		f->tail = p;
	else
		f->prev[n] = p;
}

static void pset_place(struct bw_pset *s, const struct pset_tmp *t, uint16_t *slot_of)
{
	uint16_t *low = xmalloc(t->n * sizeof(*low));
	pset_tmp_low(t, low, 0);
	uint16_t *queue = xmalloc(t->n * sizeof(*queue));
	size_t qh = 0, qt = 0;
	struct pset_free f = { NULL, NULL, PSET_END, PSET_END, 0 };
	pset_free_grow(s, &f, 1024);
	/* slot 0 is the root; 1..255 stay free: a child byte c lands on a
	 * slot x >= 256 with base x - c >= 1 always, and the search for a
	 * base does not pass the low slots again for every node */
	for (uint32_t x = 0; x < 256; x++)
		pset_free_take(&f, x);
	s->slot[0] = (struct pset_slot){ 0, PSET_NONE, t->pat[0], low[0] };
	slot_of[0] = 0;
	queue[qt++] = 0;
	while (qh < qt) {
		unsigned u = queue[qh++], su = slot_of[u];
		unsigned char bytes[256];
		unsigned nb = 0, lo = 255;
		for (unsigned c = t->child[u]; c; c = t->sib[c]) {
			bytes[nb++] = t->byte[c];
			if (t->byte[c] < lo)
				lo = t->byte[c];
		}
		if (!nb)
			continue;                    /* a leaf: no slot names it as parent */
		/* the lowest child byte on a free slot, the others where they fall */
		size_t b = 0;
		for (uint32_t x = f.head;; x = f.next[x]) {
			if (x + 256 > f.cap)
				pset_free_grow(s, &f, x + 256);   /* x is never the last */
			b = x - lo;
			unsigned k = 0;
			while (k < nb && s->slot[b + bytes[k]].check == PSET_NONE)
				k++;
			if (k == nb)
				break;
		}
		if (b + 255 >= PSET_MAX_SLOTS)
			fatal("pattern set: more than %u trie slots", PSET_MAX_SLOTS);
		s->slot[su].base = (uint16_t)b;
		for (unsigned c = t->child[u]; c; c = t->sib[c]) {
			size_t x = b + t->byte[c];
			s->slot[x] = (struct pset_slot){ 0, (uint16_t)su, t->pat[c], low[c] };
			pset_free_take(&f, (uint32_t)x);
			slot_of[c] = (uint16_t)x;
			queue[qt++] = (uint16_t)c;
		}
	}
	free(f.next);
	free(f.prev);
	free(queue);
	free(low);
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
 * least shift, which is only slower.  Short windows do not pay: with m = 3 (the reason phrases)
 * the skip cut instructions but its branches cost more time than the pair
 * table or the vector filter.
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
 * PSET_BIGRAMS pairs, goes without the filter (n_big stays 0).  The list is
 * padded to a multiple of 4 with its last pair, so that the filter tests
 * four pairs a step.
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
	while (s->n_big % 4) {
		s->big[s->n_big][0] = s->big[s->n_big - 1][0];
		s->big[s->n_big][1] = s->big[s->n_big - 1][1];
		s->n_big++;
	}
}

/* The pair table and its byte classes, from the first two levels of the
 * trie; one[] from the first. */
static void pset_two(struct bw_pset *s, const struct pset_tmp *t, const uint16_t *slot_of)
{
	uint16_t c1[256] = { 0 }, c2[256] = { 0 };     /* folded byte -> class */
	unsigned n1 = 1, n2 = 1;
	for (unsigned d1 = t->child[0]; d1; d1 = t->sib[d1]) {
		c1[t->byte[d1]] = (uint16_t)n1++;
		for (unsigned d2 = t->child[d1]; d2; d2 = t->sib[d2])
			if (!c2[t->byte[d2]])
				c2[t->byte[d2]] = (uint16_t)n2++;
	}
	for (unsigned c = 0; c < 256; c++) {
		s->cls1[c] = c1[s->fold[c]];
		s->cls2[c] = c2[s->fold[c]];
	}
	s->n_cls2 = n2;
	s->two = xcalloc((size_t)n1 * n2, sizeof(*s->two));
	for (unsigned d1 = t->child[0]; d1; d1 = t->sib[d1]) {
		s->one[t->byte[d1]] = t->pat[d1];
		s->has_one = s->has_one || t->pat[d1] != PSET_NONE;
		for (unsigned d2 = t->child[d1]; d2; d2 = t->sib[d2])
			s->two[(size_t)c1[t->byte[d1]] * n2 + c2[t->byte[d2]]] = slot_of[d2];
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
	uint16_t *slot_of = xmalloc(t.n * sizeof(*slot_of));
	pset_place(s, &t, slot_of);
	pset_two(s, &t, slot_of);
	pset_bigrams(s, &t);
	pset_skip(s, pats, n);
	pset_tri_build(s, pats, n);
	free(slot_of);
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
	free(s->slot);
	free(s->shift);
	free(s->tri);
	free(s);
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
 * lowers *best; the walk ends where no pattern below the node could.
 */
static inline __attribute__((always_inline)) void
pset_at(const struct bw_pset *s, const char *text, size_t len, size_t i, unsigned *best)
{
	unsigned c = s->fold[(unsigned char)text[i + 1]];
	unsigned n = s->two[s->cls1[(unsigned char)text[i]] * s->n_cls2 + s->cls2[(unsigned char)text[i + 1]]];
	size_t j = i + 2;
	while (n && s->slot[n].low < *best) {
		if (s->blanks && c == ' ')
			j = pset_skip_blanks(text, len, j);
		unsigned k = s->slot[n].pat;
		if (k < *best)
			*best = k;
		if (j >= len)
			break;
		c = s->fold[(unsigned char)text[j++]];
		unsigned x = s->slot[n].base + c;
		n = s->slot[x].check == n ? x : 0;
	}
}

#ifdef __SSE2__
/* The positions x..x+15 whose two bytes (OR 0x20) are one of the filter's
 * pairs, as a bit mask (text[x..x+16] readable). */
static inline unsigned pset_big_block(const char *text, size_t x, const __m128i *va, const __m128i *vb, unsigned nb)
{
	const __m128i fold = _mm_set1_epi8(0x20);
	__m128i a = _mm_or_si128(_mm_loadu_si128((const __m128i *)(const void *)(text + x)), fold);
	__m128i b = _mm_or_si128(_mm_loadu_si128((const __m128i *)(const void *)(text + x + 1)), fold);
	__m128i hit = _mm_setzero_si128();
	for (unsigned k = 0; k < nb; k += 4) {
		__m128i h0 = _mm_and_si128(_mm_cmpeq_epi8(a, va[k]), _mm_cmpeq_epi8(b, vb[k]));
		__m128i h1 = _mm_and_si128(_mm_cmpeq_epi8(a, va[k + 1]), _mm_cmpeq_epi8(b, vb[k + 1]));
		__m128i h2 = _mm_and_si128(_mm_cmpeq_epi8(a, va[k + 2]), _mm_cmpeq_epi8(b, vb[k + 2]));
		__m128i h3 = _mm_and_si128(_mm_cmpeq_epi8(a, va[k + 3]), _mm_cmpeq_epi8(b, vb[k + 3]));
		hit = _mm_or_si128(hit, _mm_or_si128(_mm_or_si128(h0, h1), _mm_or_si128(h2, h3)));
	}
	return (unsigned)_mm_movemask_epi8(hit);
}
#endif

/*
 * The scans: the walks from every position of the text, in order, each
 * path (one-byte patterns, skip, three-byte filter, pair filter, plain) its
 * own function.  The scan for *best stops at 0, or, with at_hit, after the
 * first position where any pattern begins; it returns that position
 * (SIZE_MAX when it ran to the end).
 */
#define PSET_STOP() (*best == 0 || (at_hit && *best != PSET_NONE))

static inline __attribute__((always_inline)) size_t
pset_scan_one(const struct bw_pset *s, const char *text, size_t len, unsigned *best, bool at_hit)
{
	for (size_t i = 0; i < len; i++) {
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

static inline __attribute__((always_inline)) size_t
pset_scan_skip(const struct bw_pset *s, const char *text, size_t len, unsigned *best, bool at_hit)
{
	const size_t m = s->skip_len;
	size_t i = 0;
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

static inline __attribute__((always_inline)) size_t
pset_scan_tri(const struct bw_pset *s, const char *text, size_t len, unsigned *best, bool at_hit)
{
	if (len < 3)
		return SIZE_MAX;
	uint32_t x = (uint32_t)s->fold[(unsigned char)text[0]] << 8 | s->fold[(unsigned char)text[1]];
	for (size_t i = 0; i + 2 < len; i++) {
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

static inline __attribute__((always_inline)) size_t
pset_scan_plain(const struct bw_pset *s, const char *text, size_t len, unsigned *best, bool at_hit)
{
	for (size_t i = 0; i + 1 < len; i++) {
		pset_at(s, text, len, i, best);
		if (PSET_STOP())
			return i;
	}
	return SIZE_MAX;
}

static inline __attribute__((always_inline)) size_t
pset_scan_big(const struct bw_pset *s, const char *text, size_t len, unsigned *best, bool at_hit)
{
#ifdef __SSE2__
	if (len >= 17) {
		__m128i va[PSET_BIGRAMS], vb[PSET_BIGRAMS];
		for (unsigned k = 0; k < s->n_big; k++) {
			va[k] = _mm_set1_epi8((char)s->big[k][0]);
			vb[k] = _mm_set1_epi8((char)s->big[k][1]);
		}
		/* blocks of 16 positions, then one block that ends at the last
		 * position with a pair (len - 2), without those already looked at */
		for (size_t x = 0;; x += 16) {
			bool last = x + 17 > len;
			size_t at0 = last ? len - 17 : x;
			unsigned mask = pset_big_block(text, at0, va, vb, s->n_big);
			if (last)
				mask &= ~0u << (x - at0);
			while (mask) {
				size_t at = at0 + (unsigned)__builtin_ctz(mask);
				pset_at(s, text, len, at, best);
				if (PSET_STOP())
					return at;
				mask &= mask - 1;
			}
			if (last)
				return SIZE_MAX;
		}
	}
#endif
	return pset_scan_plain(s, text, len, best, at_hit);
}

/* One function per path and mode. */
#define PSET_PATH(name)                                                                                      \
	static __attribute__((noinline)) SCAN_NO_COVERAGE size_t name##_best(const struct bw_pset *s,          \
									    const char *text, size_t len,      \
									    unsigned *best)                    \
	{                                                                                                    \
		return name(s, text, len, best, false);                                                      \
	}                                                                                                    \
	static __attribute__((noinline)) SCAN_NO_COVERAGE size_t name##_hit(const struct bw_pset *s,           \
									   const char *text, size_t len,       \
									   unsigned *best)                     \
	{                                                                                                    \
		return name(s, text, len, best, true);                                                       \
	}
PSET_PATH(pset_scan_one)
PSET_PATH(pset_scan_skip)
PSET_PATH(pset_scan_tri)
PSET_PATH(pset_scan_big)
PSET_PATH(pset_scan_plain)
#undef PSET_PATH
#undef PSET_STOP

/* The path a set takes, as pset_scan once chose it inline. */
static size_t pset_scan(const struct bw_pset *s, const char *text, size_t len, unsigned *best, bool at_hit)
{
	if (s->has_one)
		return at_hit ? pset_scan_one_hit(s, text, len, best) : pset_scan_one_best(s, text, len, best);
	if (s->skip_len)
		return at_hit ? pset_scan_skip_hit(s, text, len, best) : pset_scan_skip_best(s, text, len, best);
	if (s->tri && !s->n_big)
		return at_hit ? pset_scan_tri_hit(s, text, len, best) : pset_scan_tri_best(s, text, len, best);
	if (s->n_big)
		return at_hit ? pset_scan_big_hit(s, text, len, best) : pset_scan_big_best(s, text, len, best);
	return at_hit ? pset_scan_plain_hit(s, text, len, best) : pset_scan_plain_best(s, text, len, best);
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
