/*
 * mime.c - bounded MIME walk: normalise line ends, split parts, decode bodies.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "mime.h"
#include "util.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define BOUNDARY_MAX 200

struct walk {
	struct mime *m;
	const struct bw_limits *lim;
};

const char *mime_error_text(enum mime_error e)
{
	switch (e) {
	case MIME_OK: return "ok";
	case MIME_TOO_BIG: return "message larger than max_message_bytes";
	case MIME_TOO_DEEP: return "MIME nesting deeper than max_depth";
	case MIME_HEADER_TOO_BIG: return "header block larger than max_header_bytes";
	case MIME_TOO_MANY_PARTS: return "more MIME parts than max_parts";
	case MIME_EMPTY: return "empty message";
	}
	return "?";
}

/*
 * copy_run - copy in[0..len) to out up to the first byte a or b; returns
 * how many bytes that is (len when neither occurs).  One pass, 16 bytes a
 * step with SSE2, where a search and then a copy made two (three with two
 * searches).  It may write up to len bytes at out, past the bytes it
 * returns: callers whose output never runs ahead of their input (o <= i)
 * and whose out holds the input's length give it out + o and in + i.
 */
static size_t copy_run(const char *in, size_t len, char *out, char a, char b)
{
	size_t i = 0;
#ifdef __SSE2__
	const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b);
	for (; i + 16 <= len; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(in + i));
		_mm_storeu_si128((__m128i *)(void *)(out + i), x);
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, va), _mm_cmpeq_epi8(x, vb)));
		if (m)
			return i + (unsigned)__builtin_ctz(m);
	}
#endif
	for (; i < len && in[i] != a && in[i] != b; i++)
		out[i] = in[i];
	return i;
}

/* Copy with CRLF/CR -> LF and NUL -> space.  Runs without CR or NUL are
 * copied whole (the common case: LF-only mail). */
static size_t normalise(const char *in, size_t len, char *out)
{
	size_t o = 0, i = 0;
	while (i < len) {
		size_t run = copy_run(in + i, len - i, out + o, '\r', '\0');
		o += run;
		i += run;
		if (i >= len)
			break;
		if (in[i] == '\0') {
			out[o++] = ' ';
			i++;
		} else {                      /* CR or CRLF */
			out[o++] = '\n';
			i += (i + 1 < len && in[i + 1] == '\n') ? 2 : 1;
		}
	}
	out[o] = '\0';
	return o;
}

static char *chunk_new(struct mime *m, size_t n)
{
	if (m->n_chunks == m->cap_chunks) {
		m->cap_chunks = m->cap_chunks ? m->cap_chunks * 2 : 8;
		m->chunks = xrealloc(m->chunks, m->cap_chunks * sizeof(*m->chunks));
	}
	char *p = xmalloc(n + 1);
	m->chunks[m->n_chunks++] = p;
	return p;
}

/* The bytes of a header name: printable ASCII but the colon (RFC 5322 ftext). */
static const bool name_byte[256] = {
	['!' ... '9'] = true, [';' ... '~'] = true,
};

bool mime_looks_like_header(const char *p, size_t len)
{
	size_t i = 0;
#ifdef __SSE2__
	/* 16 bytes a step: a name byte is 0x21..0x7e but ':'; as signed
	 * bytes, everything below 0x21 (with 0x80..0xff) and 0x7f and ':'
	 * end the name */
	const __m128i lo = _mm_set1_epi8(0x21), del = _mm_set1_epi8(0x7f), colon = _mm_set1_epi8(':');
	for (; i + 16 <= len; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		__m128i stop = _mm_or_si128(_mm_cmplt_epi8(x, lo),
					    _mm_or_si128(_mm_cmpeq_epi8(x, del), _mm_cmpeq_epi8(x, colon)));
		unsigned m = (unsigned)_mm_movemask_epi8(stop);
		if (m) {
			i += (unsigned)__builtin_ctz(m);
			return i > 0 && p[i] == ':';
		}
	}
#endif
	while (i < len && name_byte[(unsigned char)p[i]])
		i++;
	return i > 0 && i < len && p[i] == ':';
}

static const char *line_end(const char *p, const char *end)
{
	return bw_eol(p, end);
}

/* Record the line at q in the index h of the block at h->hdr, as
 * mime_hdrs_init() would (past MIME_HDRS_LINES, only where the rest begins). */
static inline void index_line(struct mime_hdrs *h, const char *q)
{
	if (h->n < MIME_HDRS_LINES) {
		h->first[h->n] = (unsigned char)bw_lower((unsigned char)*q);
		h->line[h->n++] = (uint32_t)(q - h->hdr);
	} else if (!h->rest) {
		h->rest = (size_t)(q - h->hdr);
	}
}

/* first[] past the lines indexed, up to the next multiple of 16, is zero:
 * the lookups read it 16 bytes at a time. */
static inline void index_pad(struct mime_hdrs *h)
{
	size_t pad = MIME_HDRS_LINES - h->n < 16 ? MIME_HDRS_LINES - h->n : 16;
	memset(h->first + h->n, 0, pad);
}

/* The index of the block p..p+hl whose lines index_line() recorded. */
static size_t index_done(struct mime_hdrs *h, size_t hl)
{
	index_pad(h);
	h->len = hl;
	if (h->n < MIME_HDRS_LINES || !h->rest)
		h->rest = hl;
	if (hl > UINT32_MAX)
		mime_hdrs_init(h, h->hdr, hl);    /* too long for the index: as it does */
	return hl;
}

/* Find the end of the header block starting at p; *body gets the body start.
 * The block's lines are indexed into h on the way (as mime_hdrs_init). */
static size_t header_len(const char *p, const char *end, const char **body, struct mime_hdrs *h)
{
	const char *q = p;
	h->hdr = p;
	h->n = 0;
	h->rest = 0;
	if (q < end && *q == '\n') {
		*body = q + 1;
		return index_done(h, 0);
	}
	if (!mime_looks_like_header(q, (size_t)(end - q))) {
		*body = p;
		return index_done(h, 0);
	}
	while (q < end) {
		const char *e = line_end(q, end);
		if (e == q) {                     /* blank line */
			*body = q + 1 <= end ? q + 1 : end;
			return index_done(h, (size_t)(q - p));
		}
		/* a line that is neither a header nor a continuation ends the block;
		 * "param=value" after a line that ends in ';' is a continuation a
		 * careless mailer forgot to indent */
		if (q != p && *q != ' ' && *q != '\t' && !mime_looks_like_header(q, (size_t)(e - q)) &&
		    !(q >= p + 2 && q[-2] == ';' && memchr(q, '=', (size_t)(e - q)))) {
			*body = q;
			return index_done(h, (size_t)(q - p));
		}
		index_line(h, q);
		q = e < end ? e + 1 : end;
	}
	*body = end;
	return index_done(h, (size_t)(end - p));
}

/* The value of a header line found at p (just past "Name:"), with its
 * continuation lines (and unindented ones a mailer wrapped after a ';'). */
static const char *header_value(const char *v, const char *end, size_t *vlen)
{
	const char *e = line_end(v, end);
	while (e < end && e + 1 < end &&
	       (e[1] == ' ' || e[1] == '\t' ||
		(e[-1] == ';' && !mime_looks_like_header(e + 1, (size_t)(end - e - 1)) &&
		 memchr(e + 1, '=', (size_t)(line_end(e + 1, end) - e - 1)))))
		e = line_end(e + 1, end);
	*vlen = (size_t)(e - v);
	return v;
}

const char *mime_header_raw(const char *hdr, size_t len, const char *name, size_t *vlen)
{
	if (!hdr)
		return NULL;
	size_t nl = strlen(name);
	const int first = bw_lower((unsigned char)name[0]);
	const char *p = hdr, *end = hdr + len;
	while (p < end) {
		const char *e = line_end(p, end);
		if (bw_lower((unsigned char)*p) == first && (size_t)(e - p) > nl && p[nl] == ':' &&
		    bw_prefixcase(p, (size_t)(e - p), name))
			return header_value(p + nl + 1, end, vlen);
		p = e < end ? e + 1 : end;
	}
	return NULL;
}

static inline bool fold_blank(char c)
{
	return c == '\n' || c == '\t' || c == ' ';
}

#ifdef __SSE2__
/* The lanes of x that are '\n' or '\t' (bad) and ' ' (*sp), as bit masks. */
static inline unsigned blank_lanes(__m128i x, unsigned *sp)
{
	*sp = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(' ')));
	return (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('\n')),
							 _mm_cmpeq_epi8(x, _mm_set1_epi8('\t'))));
}
#endif

/* Is v[0..n) free of line ends, tabs and two blanks in a row (so already
 * unfolded)?  16 bytes at a time where SSE2 is there, the last ones as one
 * block that overlaps bytes already looked at (or, under 16 bytes, as two
 * overlapping 8-byte halves): every pair of neighbours lies inside one
 * block, so two spaces in a row are seen within it. */
static bool plain_value(const char *v, size_t n)
{
	size_t i = 0;
#ifdef __SSE2__
	unsigned sp;
	if (n >= 16) {
		for (; i + 16 <= n; i += 16) {
			unsigned bad = blank_lanes(_mm_loadu_si128((const __m128i *)(const void *)(v + i)), &sp);
			if (bad || (sp & (sp << 1)))
				return false;
			/* a pair across two blocks: the last block below, or the next */
			if (i + 16 < n && (sp >> 15) && v[i + 16] == ' ')
				return false;
		}
		if (i == n)
			return true;
		unsigned bad = blank_lanes(_mm_loadu_si128((const __m128i *)(const void *)(v + n - 16)), &sp);
		return !bad && !(sp & (sp << 1));
	}
	if (n >= 8) {
		__m128i x = _mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)(const void *)v),
					       _mm_loadl_epi64((const __m128i *)(const void *)(v + n - 8)));
		unsigned bad = blank_lanes(x, &sp);
		/* lane 8 (v[n - 8]) does not follow lane 7 in v; its pair with
		 * v[n - 9] lies inside the first half (n - 9 <= 6) */
		return !bad && !(sp & (sp << 1) & ~(1u << 8));
	}
#endif
	for (; i < n; i++)
		if (v[i] == '\n' || v[i] == '\t' || (v[i] == ' ' && i > 0 && v[i - 1] == ' '))
			return false;
	return true;
}

/* The first blank (' ', '\t', '\n') in v[i..n), or n. */
static inline size_t next_fold_blank(const char *v, size_t i, size_t n)
{
#ifdef __SSE2__
	for (; i + 16 <= n; i += 16) {
		unsigned sp, bad = blank_lanes(_mm_loadu_si128((const __m128i *)(const void *)(v + i)), &sp);
		if (bad | sp)
			return i + (unsigned)__builtin_ctz(bad | sp);
	}
#endif
	while (i < n && !fold_blank(v[i]))
		i++;
	return i;
}

/* Copy a raw header value into out (outsz > 0), unfolded: runs of blanks
 * become one space, none at the start; truncated to outsz - 1 bytes. */
static void unfold_value(const char *v, size_t vlen, char *out, size_t outsz)
{
	size_t o = 0, i = 0;
	/* the common case: one line, single spaces; only the ends to trim */
	size_t b = 0, e = vlen;
	while (b < e && fold_blank(v[b]))
		b++;
	while (e > b && fold_blank(v[e - 1]))
		e--;
	if (plain_value(v + b, e - b)) {
		size_t n = e - b < outsz - 1 ? e - b : outsz - 1;
		memcpy(out, v + b, n);
		out[n] = '\0';
		return;
	}
	while (i < vlen && o + 1 < outsz) {
		bool space = false;
		while (i < vlen && fold_blank(v[i])) {
			space = true;
			i++;
		}
		if (i >= vlen)
			break;
		if (space && o > 0) {
			out[o++] = ' ';
			if (o + 1 >= outsz)
				break;
		}
		size_t j = next_fold_blank(v, i, vlen);
		size_t n = j - i < outsz - 1 - o ? j - i : outsz - 1 - o;
		memcpy(out + o, v + i, n);
		o += n;
		i = j;
	}
	out[o] = '\0';
}

bool mime_header(const char *hdr, size_t len, const char *name, char *out, size_t outsz)
{
	size_t vlen;
	const char *v = mime_header_raw(hdr, len, name, &vlen);
	if (!v) {
		if (outsz)
			out[0] = '\0';
		return false;
	}
	unfold_value(v, vlen, out, outsz);
	return true;
}

void mime_hdrs_init(struct mime_hdrs *h, const char *hdr, size_t len)
{
	h->hdr = hdr;
	h->len = hdr ? len : 0;
	h->n = 0;
	h->rest = 0;
	if (!hdr || h->len > UINT32_MAX)
		return;                           /* nothing, or searched the plain way */
	const char *p = hdr, *end = hdr + h->len;
	while (p < end && h->n < MIME_HDRS_LINES) {
		h->first[h->n] = (unsigned char)bw_lower((unsigned char)*p);
		h->line[h->n++] = (uint32_t)(p - hdr);
		const char *e = bw_eol(p, end);
		p = e < end ? e + 1 : end;
	}
	h->rest = (size_t)(p - hdr);
	index_pad(h);
}

/* Is p[0..nl) the name (nl bytes), ignoring ASCII case?  Most mail writes a
 * field's name as we look it up: one memcmp settles those. */
static inline bool name_at(const char *p, const char *name, size_t nl)
{
	return memcmp(p, name, nl) == 0 || bw_prefixcase(p, nl, name);
}

/* The indexed lines k0..k0+15 whose first byte is first, as a bit mask
 * (lines past h->n left out).  first[] is MIME_HDRS_LINES bytes whatever
 * h->n is, so the block may read past the lines indexed. */
static inline unsigned first_block(const struct mime_hdrs *h, size_t k0, unsigned char first)
{
	unsigned m;
#ifdef __SSE2__
	_Static_assert(MIME_HDRS_LINES % 16 == 0, "first[] is read 16 bytes at a time");
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(h->first + k0));
	m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8((char)first)));
#else
	m = 0;
	for (unsigned i = 0; i < 16; i++)
		m |= (unsigned)(h->first[k0 + i] == first) << i;
#endif
	if (h->n - k0 < 16)
		m &= (1u << (h->n - k0)) - 1;
	return m;
}

/* The same walk as mime_header_raw, over the indexed lines first: only the
 * lines whose first byte is the name's are looked at, found 16 lines at a
 * time. */
const char *mime_hdrs_rawn(const struct mime_hdrs *h, const char *name, size_t nl, size_t *vlen)
{
	if (!h->hdr)
		return NULL;
	const unsigned char first = (unsigned char)bw_lower((unsigned char)name[0]);
	const char *end = h->hdr + h->len;
	for (size_t k0 = 0; k0 < h->n; k0 += 16) {
		for (unsigned m = first_block(h, k0, first); m; m &= m - 1) {
			size_t k = k0 + (unsigned)__builtin_ctz(m);
			const char *p = h->hdr + h->line[k];
			const char *e = h->hdr + (k + 1 < h->n ? h->line[k + 1] : h->rest);
			if (e > p && e[-1] == '\n')
				e--;                      /* the line ends at its LF */
			if ((size_t)(e - p) > nl && p[nl] == ':' && name_at(p, name, nl))
				return header_value(p + nl + 1, end, vlen);
		}
	}
	if (h->rest >= h->len)
		return NULL;
	return mime_header_raw(h->hdr + h->rest, h->len - h->rest, name, vlen);
}

bool mime_hdrs_getn(const struct mime_hdrs *h, const char *name, size_t nl, char *out, size_t outsz)
{
	size_t vlen;
	const char *v = mime_hdrs_rawn(h, name, nl, &vlen);
	if (!v) {
		if (outsz)
			out[0] = '\0';
		return false;
	}
	unfold_value(v, vlen, out, outsz);
	return true;
}

/* Parse "type/subtype; a=b; c="d"" into the part. */
static void parse_param_value(const char **pp, const char *end, char *out, size_t outsz)
{
	const char *p = *pp;
	size_t o = 0;
	if (p < end && *p == '"') {
		p++;
		while (p < end && *p != '"') {
			if (*p == '\\' && p + 1 < end)
				p++;
			if (o + 1 < outsz)
				out[o++] = *p;
			p++;
		}
		if (p < end)
			p++;
	} else {
		while (p < end && *p != ';' && !bw_isspace((unsigned char)*p)) {
			if (o + 1 < outsz)
				out[o++] = *p;
			p++;
		}
	}
	out[o] = '\0';
	*pp = p;
}

static void lower_str(char *s)
{
	for (; *s; s++)
		*s = (char)bw_lower((unsigned char)*s);
}

static void parse_content_type(struct mime_part *pt, const struct mime_hdrs *hx, char *boundary, size_t bsz)
{
	char v[1024];
	boundary[0] = '\0';
	if (!mime_hdrs_get(hx, "Content-Type", v, sizeof(v)))
		return;
	const char *p = v, *end = v + strlen(v);
	size_t o = 0;
	while (p < end && bw_isspace((unsigned char)*p))
		p++;
	while (p < end && *p != ';' && !bw_isspace((unsigned char)*p) && o + 1 < sizeof(pt->type))
		pt->type[o++] = (char)bw_lower((unsigned char)*p++);
	pt->type[o] = '\0';
	if (!strchr(pt->type, '/'))
		strcpy(pt->type, "text/plain");
	while (p < end) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		if (!semi)
			break;
		p = semi + 1;
		while (p < end && bw_isspace((unsigned char)*p))
			p++;
		char name[32];
		size_t n = 0;
		while (p < end && *p != '=' && *p != ';' && !bw_isspace((unsigned char)*p)) {
			if (n + 1 < sizeof(name))
				name[n++] = (char)bw_lower((unsigned char)*p);
			p++;
		}
		name[n] = '\0';
		while (p < end && bw_isspace((unsigned char)*p))
			p++;
		if (p >= end || *p != '=')
			continue;
		p++;
		while (p < end && bw_isspace((unsigned char)*p))
			p++;
		char val[BOUNDARY_MAX + 1];
		parse_param_value(&p, end, val, sizeof(val));
		if (strcmp(name, "boundary") == 0)
			bw_strlcpy(boundary, val, bsz);
		else if (strcmp(name, "charset") == 0) {
			bw_strlcpy(pt->charset, val, sizeof(pt->charset));
			lower_str(pt->charset);
		} else if (strcmp(name, "report-type") == 0) {
			bw_strlcpy(pt->report_type, val, sizeof(pt->report_type));
			lower_str(pt->report_type);
		}
	}
}

static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+' || c == '-') return 62;
	if (c == '/' || c == '_') return 63;
	return -1;
}

size_t mime_decode_base64(const char *in, size_t inlen, char *out)
{
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0;
	for (size_t i = 0; i < inlen; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c == '=')
			break;
		int v = b64val(c);
		if (v < 0)
			continue;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	return o;
}

size_t mime_decode_qp(const char *in, size_t inlen, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < inlen; i++) {
		/* the bytes up to the next '=' are copied as they are */
		size_t run = copy_run(in + i, inlen - i, out + o, '=', '=');
		o += run;
		i += run;
		if (i >= inlen)
			break;
		if (i + 1 < inlen && in[i + 1] == '\n') {
			i++;                               /* soft line break */
		} else if (i + 2 < inlen && bw_hexval((unsigned char)in[i + 1]) >= 0 &&
			   bw_hexval((unsigned char)in[i + 2]) >= 0) {
			char d = (char)(bw_hexval((unsigned char)in[i + 1]) * 16 + bw_hexval((unsigned char)in[i + 2]));
			out[o++] = d ? d : ' ';
			i += 2;
		} else {
			out[o++] = '=';
		}
	}
	return o;
}

void mime_decode_words(char *s)
{
	/* nothing before the first "=?" changes: start there (most values
	 * hold no encoded word at all) */
	s = strstr(s, "=?");
	if (!s)
		return;
	char *r = s, *w = s;
	bool last_was_word = false;
	while (*r) {
		if (r[0] == '=' && r[1] == '?') {
			char *q1 = strchr(r + 2, '?');
			char *q2 = q1 && q1[1] && q1[2] == '?' ? q1 + 2 : NULL;
			char *e = q2 ? strstr(q2 + 1, "?=") : NULL;
			if (e) {
				char enc = (char)bw_lower((unsigned char)q1[1]);
				const char *data = q2 + 1;
				size_t dlen = (size_t)(e - data);
				if (enc == 'b' || enc == 'q') {
					/* whitespace between two encoded words is dropped */
					if (last_was_word) {
						while (w > s && (w[-1] == ' ' || w[-1] == '\t'))
							w--;
					}
					size_t n;
					if (enc == 'b') {
						n = mime_decode_base64(data, dlen, w);
					} else {
						n = 0;
						for (size_t i = 0; i < dlen; i++) {
							if (data[i] == '_')
								w[n++] = ' ';
							else if (data[i] == '=' && i + 2 < dlen &&
								 bw_hexval((unsigned char)data[i + 1]) >= 0 &&
								 bw_hexval((unsigned char)data[i + 2]) >= 0) {
								w[n++] = (char)(bw_hexval((unsigned char)data[i + 1]) * 16 +
									       bw_hexval((unsigned char)data[i + 2]));
								i += 2;
							} else
								w[n++] = data[i];
						}
					}
					for (size_t i = 0; i < n; i++)
						if (w[i] == '\0')
							w[i] = ' ';
					w += n;
					r = e + 2;
					last_was_word = true;
					continue;
				}
			}
		}
		if (*r != ' ' && *r != '\t')
			last_was_word = false;
		*w++ = *r++;
	}
	*w = '\0';
}

/* The subtypes a detector looks for, by type. */
static const struct {
	const char *type;            /* "text/" ... */
	size_t tl;
	unsigned kind;               /* of every subtype */
	struct { const char *sub; unsigned kind; } subs[5];
} type_kinds[] = {
	{ "text/", 5, MIME_K_TEXT,
	  { { "plain", MIME_K_PLAIN }, { "html", MIME_K_HTML }, { "rfc822-headers", MIME_K_RFC822_HEADERS } } },
	{ "multipart/", 10, MIME_K_MULTIPART, { { "report", MIME_K_REPORT } } },
	{ "message/", 8, MIME_K_MESSAGE,
	  { { "rfc822", MIME_K_RFC822 }, { "global", MIME_K_RFC822 }, { "delivery-status", MIME_K_DSN },
	    { "global-delivery-status", MIME_K_DSN }, { "feedback-report", MIME_K_FEEDBACK } } },
	{ "application/", 12, 0, { { "octet-stream", MIME_K_OCTET } } },
};

unsigned mime_type_kind(const char *type)
{
	for (size_t i = 0; i < ARRAY_LEN(type_kinds); i++) {
		if (strncmp(type, type_kinds[i].type, type_kinds[i].tl) != 0)
			continue;
		const char *sub = type + type_kinds[i].tl;
		unsigned k = type_kinds[i].kind;
		for (size_t j = 0; j < ARRAY_LEN(type_kinds[i].subs) && type_kinds[i].subs[j].sub; j++)
			if (strcmp(sub, type_kinds[i].subs[j].sub) == 0)
				return k | type_kinds[i].subs[j].kind;
		return k;
	}
	return 0;
}

static bool needs_decoding(unsigned kind)
{
	return (kind & (MIME_K_TEXT | MIME_K_MESSAGE | MIME_K_MULTIPART)) != 0;
}

static void decode_body(struct mime *m, struct mime_part *pt, const char *b, size_t blen)
{
	pt->body = b;
	pt->body_len = blen;
	if (!needs_decoding(pt->kind) && !(pt->kind & MIME_K_OCTET))
		return;
	if (strcmp(pt->encoding, "base64") == 0) {
		char *out = chunk_new(m, blen);
		pt->body_len = mime_decode_base64(b, blen, out);
		for (size_t i = 0; i < pt->body_len; i++)
			if (out[i] == '\0')
				out[i] = ' ';
		/* decoded text may carry CRLF again */
		char *norm = chunk_new(m, pt->body_len);
		pt->body_len = normalise(out, pt->body_len, norm);
		pt->body = norm;
	} else if (strcmp(pt->encoding, "quoted-printable") == 0) {
		char *out = chunk_new(m, blen);
		pt->body_len = mime_decode_qp(b, blen, out);
		out[pt->body_len] = '\0';
		pt->body = out;
	}
}

static struct mime_part *part_new(struct walk *w, int parent, unsigned depth)
{
	struct mime *m = w->m;
	if (m->n_parts >= w->lim->max_parts) {
		m->error = MIME_TOO_MANY_PARTS;
		return NULL;
	}
	if (m->n_parts == m->cap_parts) {
		m->cap_parts = m->cap_parts ? m->cap_parts * 2 : 8;
		m->parts = xrealloc(m->parts, m->cap_parts * sizeof(*m->parts));
	}
	struct mime_part *pt = &m->parts[m->n_parts++];
	memset(pt, 0, sizeof(*pt));
	pt->parent = parent;
	pt->depth = depth;
	return pt;
}

/*
 * A new part for the entity at p..end: its header block (measured and
 * indexed in one pass), Content-Type and Content-Transfer-Encoding; *body
 * gets where its body begins.  NULL past a limit (m->error set).  The top
 * part's index is kept in the struct mime for the detectors; a nested
 * part's lives only in this (not inlined) frame, so recursion does not
 * stack it.
 */
static __attribute__((noinline)) struct mime_part *read_part(struct walk *w, const char *p, const char *end,
							     int parent, unsigned depth, bool is_message,
							     const char **body, char *boundary, size_t bsz)
{
	struct mime *m = w->m;
	struct mime_hdrs local, *hx = m->n_parts == 0 ? &m->top_hdrs :
				     is_message && !m->msg_hdrs.hdr ? &m->msg_hdrs : &local;
	size_t hl = header_len(p, end, body, hx);
	if (hx == &m->msg_hdrs && hl == 0)
		m->msg_hdrs.hdr = NULL;         /* no headers: the next message's may be */
	struct mime_part *pt = NULL;
	if (hl > w->lim->max_header_bytes)
		m->error = MIME_HEADER_TOO_BIG;
	else
		pt = part_new(w, parent, depth);
	if (!pt) {
		if (hx == &m->top_hdrs)
			memset(hx, 0, sizeof(*hx));   /* no top part: no index */
		if (hx == &m->msg_hdrs)
			m->msg_hdrs.hdr = NULL;
		return NULL;
	}
	pt->hdr = p;
	pt->hdr_len = hl;
	strcpy(pt->type, "text/plain");
	parse_content_type(pt, hx, boundary, bsz);
	pt->kind = mime_type_kind(pt->type);
	if (mime_hdrs_get(hx, "Content-Transfer-Encoding", pt->encoding, sizeof(pt->encoding)))
		lower_str(pt->encoding);
	return pt;
}

static void walk_entity(struct walk *w, const char *p, const char *end, int parent,
			unsigned depth, bool is_message);

/* The next line at or after p that begins with delim[0..dl), or NULL.
 * Lines begin at b and after every LF. */
static const char *next_delim_line(const char *b, const char *p, const char *end, const char *delim, size_t dl)
{
	if (p == b && (size_t)(end - p) >= dl && memcmp(p, delim, dl) == 0)
		return p;
	const char *from = p > b ? p - 1 : p;    /* the LF that begins the line at p */
	const char *hit = bw_memmem(from, (size_t)(end - from), delim - 1, dl + 1);
	return hit ? hit + 1 : NULL;
}

/* Split a multipart body on its boundary and walk each piece. */
static bool walk_multipart(struct walk *w, const char *b, const char *end, const char *boundary,
			   int self, unsigned depth, size_t *preamble)
{
	/* "\n--boundary": delim points past the LF */
	char buf[BOUNDARY_MAX + 5];
	size_t bl = strnlen(boundary, BOUNDARY_MAX);
	memcpy(buf, "\n--", 3);
	memcpy(buf + 3, boundary, bl);
	buf[3 + bl] = '\0';
	const char *delim = buf + 1;
	size_t dl = bl + 2;
	const char *p = b, *start = NULL;
	bool found = false;
	*preamble = (size_t)(end - b);
	while (p < end && (p = next_delim_line(b, p, end, delim, dl)) != NULL) {
		const char *e = line_end(p, end);
		bool closing = (size_t)(e - p) >= dl + 2 && p[dl] == '-' && p[dl + 1] == '-';
		if (!found)
			*preamble = (size_t)(p - b);
		found = true;
		if (start) {
			const char *stop = p > start ? p - 1 : p;  /* the LF before belongs to the delimiter */
			walk_entity(w, start, stop, self, depth + 1, false);
			if (w->m->error == MIME_TOO_MANY_PARTS)
				return true;
		}
		start = closing ? NULL : (e < end ? e + 1 : end);
		if (closing)
			break;
		p = e < end ? e + 1 : end;
	}
	if (start && start < end)               /* no closing delimiter: take the rest */
		walk_entity(w, start, end, self, depth + 1, false);
	return found;
}

static void walk_entity(struct walk *w, const char *p, const char *end, int parent,
			unsigned depth, bool is_message)
{
	struct mime *m = w->m;
	if (depth > w->lim->max_depth) {
		m->error = MIME_TOO_DEEP;
		return;
	}
	const char *body;
	char boundary[BOUNDARY_MAX + 1];
	struct mime_part *pt = read_part(w, p, end, parent, depth, is_message, &body, boundary, sizeof(boundary));
	if (!pt)
		return;
	int self = (int)(pt - m->parts);
	pt->is_message = is_message;

	if ((pt->kind & MIME_K_MULTIPART) && boundary[0]) {
		size_t pre;
		pt->multipart = true;
		pt->body = body;
		pt->body_len = (size_t)(end - body);
		if (walk_multipart(w, body, end, boundary, self, depth, &pre)) {
			pt = &m->parts[self];        /* parts may have moved */
			pt->body_len = pre;          /* the preamble */
		} else {
			pt = &m->parts[self];
			pt->multipart = false;       /* no delimiter at all: treat as text */
			strcpy(pt->type, "text/plain");
			pt->kind = MIME_K_TEXT | MIME_K_PLAIN;
		}
		return;
	}
	decode_body(m, pt, body, (size_t)(end - body));
	if (pt->kind & MIME_K_RFC822) {
		const char *ib = pt->body, *ie = pt->body + pt->body_len;
		walk_entity(w, ib, ie, self, depth + 1, true);
	}
}

/* An empty struct mime.  Field by field: the two header indexes are 1.3 KB
 * each, and an index with no lines (hdr NULL, n 0) reads none of them. */
static void mime_clear(struct mime *m)
{
	m->parts = NULL;
	m->n_parts = m->cap_parts = 0;
	m->error = MIME_OK;
	m->text = NULL;
	m->text_len = 0;
	m->chunks = NULL;
	m->n_chunks = m->cap_chunks = 0;
	m->top_hdrs.hdr = m->msg_hdrs.hdr = NULL;
	m->top_hdrs.len = m->msg_hdrs.len = 0;
	m->top_hdrs.n = m->msg_hdrs.n = 0;
	m->top_hdrs.rest = m->msg_hdrs.rest = 0;
}

enum mime_error mime_parse(struct mime *m, const char *raw, size_t len,
			   const struct bw_limits *lim)
{
	mime_clear(m);
	if (len > lim->max_message_bytes)
		return m->error = MIME_TOO_BIG;
	m->text = xmalloc(len + 1);
	m->text_len = normalise(raw, len, m->text);
	size_t skip = 0;
	/* an mbox "From " line or leading blank lines are not headers */
	while (skip < m->text_len && m->text[skip] == '\n')
		skip++;
	if (m->text_len - skip >= 5 && memcmp(m->text + skip, "From ", 5) == 0) {
		const char *e = memchr(m->text + skip, '\n', m->text_len - skip);
		skip = e ? (size_t)(e - m->text) + 1 : m->text_len;
	}
	if (skip >= m->text_len)
		return m->error = MIME_EMPTY;
	struct walk w = { m, lim };
	walk_entity(&w, m->text + skip, m->text + m->text_len, -1, 0, true);
	return m->error;
}

void mime_free(struct mime *m)
{
	if (!m)
		return;
	for (unsigned i = 0; i < m->n_chunks; i++)
		free(m->chunks[i]);
	free(m->chunks);
	free(m->parts);
	free(m->text);
	mime_clear(m);
}
