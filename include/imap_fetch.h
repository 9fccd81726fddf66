/*
 * imap_fetch.h - the reply to one UID FETCH of message bodies (RFC 3501
 * §6.4.5, §7.4.2), read as it comes: each "* n FETCH (UID u BODY[]<0>
 * {len}" response's literal is copied once, straight into the message's own
 * buffer, and nothing else of the reply is kept.  (libetpan's parser builds a
 * structure for every response and copies each body twice; for a mailbox of
 * bounces that was most of the fetch stage's time.)
 *
 * The reader is pure apart from its source of bytes: source_imap.c feeds it
 * from the connection, the unit tests from memory.  The server is not
 * trusted further than the connection: lines, literals and the number of
 * messages kept are bounded, and anything that is not IMAP ends the reply
 * with IMAP_FETCH_PARSE.
 */
#ifndef BW_IMAP_FETCH_H
#define BW_IMAP_FETCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define IMAP_FETCH_LINE_MAX 65536   /* one response line, literals aside */

/* Where the reply comes from: read(arg, buf, max) gives at least 1 and at
 * most max bytes, or -1 (error, timeout, end of stream). */
struct imap_fetch_src {
	ssize_t (*read)(void *arg, char *buf, size_t max);
	void *arg;
};

struct imap_fetched {
	uint32_t uid;
	char *data;                 /* owned: len bytes and a NUL */
	size_t len;
};

enum imap_fetch_rc {
	IMAP_FETCH_OK = 0,          /* tagged OK */
	IMAP_FETCH_NO,              /* tagged NO or BAD: text says why */
	IMAP_FETCH_STREAM,          /* the source failed, or the server said BYE */
	IMAP_FETCH_PARSE,           /* not IMAP, or past a bound */
};

struct imap_fetch_reply {
	struct imap_fetched *msg;   /* owned: in the order they came */
	size_t n, cap;
	char text[256];             /* the tagged response's text, or what broke */
	char *rest;                 /* owned: bytes read past the tagged line */
	size_t rest_len;
};

/*
 * imap_fetch_command - "TAG UID FETCH set (UID BODY.PEEK[]<0.cap>)\r\n" for
 * uids[0..n) (ascending; runs become ranges).  Returns a malloc'd string.
 */
char *imap_fetch_command(const char *tag, const uint32_t *uids, size_t n, uint32_t cap);

/*
 * imap_fetch_read - read the reply to the command tagged tag from src into
 * *out (zeroed first; release with imap_fetch_reply_free()).  Every FETCH
 * response with a UID and a BODY[] section is kept, up to max_msgs of them
 * (more are read and dropped); a body literal longer than max_literal is
 * IMAP_FETCH_PARSE.  Untagged responses of other kinds are skipped.  The
 * bytes read past the tagged line are in out->rest (give them back to
 * whoever reads the connection next).
 */
enum imap_fetch_rc imap_fetch_read(const struct imap_fetch_src *src, const char *tag,
				   size_t max_msgs, size_t max_literal,
				   struct imap_fetch_reply *out);

void imap_fetch_reply_free(struct imap_fetch_reply *r);

#endif
