/*
 * mime.h - a bounded MIME walk over one message.
 *
 * mime_parse() copies the message once with every line ending (CRLF, CR, LF)
 * turned into LF and NUL bytes into spaces, then splits it into a flat list
 * of parts in document order.  message/rfc822 parts are descended into (their
 * header block becomes a part of its own, type "message/rfc822"), multiparts
 * are split on their boundary.  Bodies of text and message parts are decoded
 * (base64, quoted-printable); other bodies are left as they are.
 *
 * Everything is bounded by struct bw_limits.  The parser is pure: no I/O, no
 * globals.  Pointers in the parts point into memory the struct mime owns.
 */
#ifndef BW_MIME_H
#define BW_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "conf.h"

enum mime_error {
	MIME_OK = 0,
	MIME_TOO_BIG,        /* max_message_bytes */
	MIME_TOO_DEEP,       /* max_depth */
	MIME_HEADER_TOO_BIG, /* max_header_bytes */
	MIME_TOO_MANY_PARTS, /* max_parts */
	MIME_EMPTY,
};

/* What a part's type is, as bits (several hold: text/plain is MIME_K_TEXT
 * and MIME_K_PLAIN): the walk classifies each type once, the detectors
 * test bits instead of comparing type strings part after part. */
enum {
	MIME_K_TEXT = 1 << 0,            /* text/... */
	MIME_K_PLAIN = 1 << 1,           /* text/plain */
	MIME_K_HTML = 1 << 2,            /* text/html */
	MIME_K_RFC822_HEADERS = 1 << 3,  /* text/rfc822-headers */
	MIME_K_MULTIPART = 1 << 4,       /* multipart/... */
	MIME_K_REPORT = 1 << 5,          /* multipart/report */
	MIME_K_MESSAGE = 1 << 6,         /* message/... */
	MIME_K_RFC822 = 1 << 7,          /* message/rfc822, message/global */
	MIME_K_DSN = 1 << 8,             /* message/delivery-status, message/global-delivery-status */
	MIME_K_FEEDBACK = 1 << 9,        /* message/feedback-report */
	MIME_K_OCTET = 1 << 10,          /* application/octet-stream */
};
/* The MIME_K_* bits of a lower-case "type/subtype". */
unsigned mime_type_kind(const char *type);

struct mime_part {
	int parent;              /* index of the enclosing part, -1 for the top */
	unsigned depth;          /* 0 for the top-level message */
	char type[64];           /* lower-case "type/subtype"; "text/plain" by default */
	unsigned kind;           /* mime_type_kind(type) */
	char charset[32];        /* lower-case, "" when none */
	char report_type[40];    /* multipart/report's report-type, lower-case */
	char encoding[24];       /* Content-Transfer-Encoding, lower-case */
	bool multipart;
	bool is_message;         /* the header block of a message (top or rfc822) */
	const char *hdr;         /* header block, LF line ends (borrowed from mime) */
	size_t hdr_len;
	const char *body;        /* decoded body (borrowed from mime) */
	size_t body_len;
};

/*
 * A header block with its line starts indexed, for many lookups in one
 * block: the index is one pass, each lookup then finds the lines that begin
 * with the name's first byte by comparing the lines' first bytes 16 at a
 * time.
 * mime_hdrs_get/_raw answer exactly as mime_header/_raw on the same block.
 * Lines past MIME_HDRS_LINES are searched the plain way.  The block is
 * borrowed; the struct is a value (no allocation).
 */
#define MIME_HDRS_LINES 256
struct mime_hdrs {
	const char *hdr;                  /* borrowed, may be NULL (empty block) */
	size_t len;
	size_t n;                         /* lines indexed */
	size_t rest;                      /* offset of the first line not indexed */
	uint32_t line[MIME_HDRS_LINES];   /* offset of each indexed line */
	unsigned char first[MIME_HDRS_LINES]; /* each indexed line's first byte, lower-case */
};
void mime_hdrs_init(struct mime_hdrs *h, const char *hdr, size_t len);
/* As mime_hdrs_get/_raw, with the name's length given (nl == strlen(name)). */
bool mime_hdrs_getn(const struct mime_hdrs *h, const char *name, size_t nl, char *out, size_t outsz);
const char *mime_hdrs_rawn(const struct mime_hdrs *h, const char *name, size_t nl, size_t *vlen);
/* Inline, so that the length of a constant name is known when compiling. */
static inline bool mime_hdrs_get(const struct mime_hdrs *h, const char *name, char *out, size_t outsz)
{
	return mime_hdrs_getn(h, name, strlen(name), out, outsz);
}
static inline const char *mime_hdrs_raw(const struct mime_hdrs *h, const char *name, size_t *vlen)
{
	return mime_hdrs_rawn(h, name, strlen(name), vlen);
}

struct mime {
	struct mime_part *parts; /* owned */
	unsigned n_parts;
	enum mime_error error;
	char *text;              /* owned: the normalised copy */
	struct mime_hdrs top_hdrs; /* the top part's header block, indexed */
	/* The header block of the first message part after the top (a
	 * message/rfc822's headers, non-empty), indexed by the walk; hdr is
	 * NULL when there is none.  What mime_hdrs_init() would make of it. */
	struct mime_hdrs msg_hdrs;
	size_t text_len;
	/* private: decoded bodies */
	char **chunks;
	unsigned n_chunks, cap_chunks;
	unsigned cap_parts;
};

/* Parse raw[0..len).  Returns MIME_OK or the limit that stopped the walk;
 * parts found before a limit was hit stay available. */
enum mime_error mime_parse(struct mime *m, const char *raw, size_t len,
			   const struct bw_limits *lim);
void mime_free(struct mime *m);
const char *mime_error_text(enum mime_error e);

/*
 * Find header `name` (case-insensitive) in the block hdr[0..len) and copy its
 * value, unfolded, with leading/trailing blanks removed, into out (always
 * NUL-terminated, truncated to outsz-1).  Returns true when found.
 */
bool mime_header(const char *hdr, size_t len, const char *name, char *out, size_t outsz);
/* Same, but return a pointer to the raw (folded) value and its length. */
const char *mime_header_raw(const char *hdr, size_t len, const char *name, size_t *vlen);

/* Decode RFC 2047 encoded words in place (bytes, no charset conversion). */
void mime_decode_words(char *s);

/* Decoders; return the decoded length (out must hold inlen bytes). */
size_t mime_decode_base64(const char *in, size_t inlen, char *out);
size_t mime_decode_qp(const char *in, size_t inlen, char *out);

/* Is the line at p (up to the next LF) a "Name: value" header line? */
bool mime_looks_like_header(const char *p, size_t len);

#endif
