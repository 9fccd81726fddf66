/*
 * tls_verify.h - verify a TLS peer ourselves.
 *
 * Debian's libetpan is built with GnuTLS and checks nothing: it completes a
 * handshake with any certificate.  Before we send a password we take the peer
 * chain from the libetpan stream and verify it with GnuTLS against the system
 * trust store (or a CA file), then check that the leaf certificate names the
 * host we meant to reach (DNS name, or IP address for an IP literal).
 */
#ifndef BW_TLS_VERIFY_H
#define BW_TLS_VERIFY_H

#include <stddef.h>

/* One DER-encoded certificate, borrowed. */
struct tls_der {
	const unsigned char *data;
	size_t len;
};

/*
 * tls_verify_chain - verify chain[0..n) (leaf first, as the peer sent it)
 * against ca_file (PEM, one or more certificates) or, when ca_file is NULL or
 * "", the system trust store; then check host against the leaf.  now is the
 * verification time (0: the current time).  Returns 0 when trusted; -1 with a
 * one-line human reason in err (never NULL-terminated beyond errsz).
 */
int tls_verify_chain(const struct tls_der *chain, size_t n, const char *host,
		     const char *ca_file, char *err, size_t errsz);

/*
 * tls_verify_mailstream - the same for an established libetpan stream
 * (a mailstream *, passed as void * so that this header needs no libetpan).
 * A stream that is not TLS is an error.
 */
int tls_verify_mailstream(void *stream, const char *host, const char *ca_file,
			  char *err, size_t errsz);

#endif
