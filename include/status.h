/*
 * status.h - RFC 3463 enhanced status codes and SMTP reply codes.
 */
#ifndef BW_STATUS_H
#define BW_STATUS_H

#include <stdbool.h>
#include <stddef.h>

#include "event.h"

/* Is s a well-formed code "C.SSS.DDD" with class 2, 4 or 5? */
bool status_valid(const char *s);

/*
 * Find the first enhanced status code in s[0..len) that stands as a word of
 * its own (not inside an IP address or a version number).  Copies it into
 * out and returns true.
 */
bool status_find(const char *s, size_t len, char *out, size_t outsz);

/*
 * Find the enhanced status code a quoted SMTP reply carries: a reply code
 * followed by a status code ("550 5.7.1", "550-5.7.1", "550-'5.7.1",
 * "<421 4.4.2"), both of the same class.  When the text quotes several
 * replies, the last one is the innermost (the remote server's own words).
 * Copies it into out; *at (may be NULL) gets the offset of its reply code.
 */
bool status_find_remote(const char *s, size_t len, char *out, size_t outsz, size_t *at);

/*
 * Find an SMTP reply code: three digits, class 2/4/5, second digit 0-5,
 * standing alone at the start of the text or of a line, or followed by '-'
 * or ' '.  Copies it into out[4] and returns true.
 */
bool reply_find(const char *s, size_t len, char out[4]);

/* Is the diagnostic only a number of 1 to 3 digits?  Then it is a local
 * program's exit status (DSN "X-Unix; 75"), not an SMTP reply. */
bool status_exit_only(const char *d);

/*
 * The reason an enhanced status code implies.  *specific is set when the code
 * names the failure precisely (X.1.1, X.2.2, ...) rather than a family
 * (X.0.0, X.7.1, ...): a specific code outranks a generic phrase.
 * Returns BW_R_UNDEFINED when the code says nothing useful.
 */
enum bw_reason status_reason(const char *status, bool *specific);

/*
 * Does the code say the recipient's address itself failed: X.1.0 (other
 * address status), X.1.1, X.1.3, X.1.10 (Microsoft's "RecipientNotFound")
 * or a provider's own X.1.N beyond RFC 3463's (Microsoft's X.1.351)?  Such a
 * code confirms an "unknown user" phrase; X.1.2 (the domain), X.1.4
 * (ambiguous), X.1.6 (moved) and the sender's X.1.7/X.1.8 do not.
 */
bool status_names_address(const char *status);

/* Name of a code's meaning per RFC 3463/RFC 5248 ("Bad destination mailbox
 * address"), or NULL. */
const char *status_text(const char *status);

#endif
