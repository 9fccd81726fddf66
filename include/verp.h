/*
 * verp.h - VERP return paths: decoding the recipient from the address a
 * bounce was sent to, and signed return paths (SPEC §9) that a forged bounce
 * cannot produce.
 *
 * The format is "PREFIX{local}SEP{domain}@", default "bounces+{local}={domain}@".
 * A signed path carries TAG- before the local part: TAG is the first 5 bytes
 * of HMAC-SHA256(secret, lower-cased address), as 10 lower-case hex digits.
 */
#ifndef BW_VERP_H
#define BW_VERP_H

#include <stdbool.h>
#include <stddef.h>

#define VERP_TAG_LEN 10

/* Decode envelope (e.g. "bounces+kim=example.org@bounce.example.com").
 * Writes the recipient and, when the local part carries one, the tag
 * (else tag[0] = '\0').  Returns false when envelope does not fit format. */
bool verp_decode(const char *format, const char *envelope, char *rcpt, size_t rsz,
		 char tag[VERP_TAG_LEN + 1]);

/* The tag for addr under secret. */
void verp_tag(const char *secret, const char *addr, char tag[VERP_TAG_LEN + 1]);

/* Is tag valid for addr under secret?  Constant-time comparison. */
bool verp_verify(const char *secret, const char *addr, const char *tag);

/* Build the return path for addr at return_domain, signed when secret is set.
 * Returns false when addr is not an address or out is too small. */
bool verp_encode(const char *format, const char *secret, const char *addr,
		 const char *return_domain, char *out, size_t outsz);

#endif
