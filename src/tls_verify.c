/*
 * tls_verify.c - verify a TLS peer chain and host name with GnuTLS.
 *
 * libetpan (GnuTLS build) accepts any certificate; this module is the check
 * that happens between the handshake and LOGIN.  See tls_verify.h.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <libetpan/libetpan.h>

#include "tls_verify.h"

/* More than any sane server sends; bounds the work on a hostile chain. */
#define TLS_MAX_CHAIN 16

/* load_trust - a trust list with ca_file or the system store. */
static int load_trust(gnutls_x509_trust_list_t *tl, const char *ca_file,
		      char *err, size_t errsz)
{
	int rc = gnutls_x509_trust_list_init(tl, 0);
	if (rc < 0) {
		snprintf(err, errsz, "cannot create a trust list: %s", gnutls_strerror(rc));
		return -1;
	}
	if (ca_file && *ca_file) {
		rc = gnutls_x509_trust_list_add_trust_file(*tl, ca_file, NULL,
							   GNUTLS_X509_FMT_PEM, 0, 0);
		if (rc <= 0) {
			snprintf(err, errsz, "no certificate loaded from tls_ca_file %s%s%s",
				 ca_file, rc < 0 ? ": " : "",
				 rc < 0 ? gnutls_strerror(rc) : "");
			gnutls_x509_trust_list_deinit(*tl, 1);
			return -1;
		}
	} else {
		rc = gnutls_x509_trust_list_add_system_trust(*tl, 0, 0);
		if (rc <= 0) {
			snprintf(err, errsz, "the system trust store is empty or unreadable%s%s "
				 "(install ca-certificates or set tls_ca_file)",
				 rc < 0 ? ": " : "", rc < 0 ? gnutls_strerror(rc) : "");
			gnutls_x509_trust_list_deinit(*tl, 1);
			return -1;
		}
	}
	return 0;
}

/* import_chain - DER blobs to GnuTLS certificates; *n_ok is how many. */
static int import_chain(const struct tls_der *chain, size_t n, gnutls_x509_crt_t *crts,
			size_t *n_ok, char *err, size_t errsz)
{
	*n_ok = 0;
	for (size_t i = 0; i < n; i++) {
		gnutls_datum_t d = { (unsigned char *)chain[i].data, (unsigned)chain[i].len };
		int rc = gnutls_x509_crt_init(&crts[i]);
		if (rc < 0) {
			snprintf(err, errsz, "out of memory for certificates");
			return -1;
		}
		*n_ok = i + 1;
		rc = gnutls_x509_crt_import(crts[i], &d, GNUTLS_X509_FMT_DER);
		if (rc < 0) {
			snprintf(err, errsz, "the server sent a certificate that cannot be parsed "
				 "(#%zu: %s)", i, gnutls_strerror(rc));
			return -1;
		}
	}
	return 0;
}

/* check_chain - verify against the trust list; reason in err. */
static int check_chain(gnutls_x509_trust_list_t tl, gnutls_x509_crt_t *crts, size_t n,
		       char *err, size_t errsz)
{
	unsigned status = 0;
	int rc = gnutls_x509_trust_list_verify_crt2(tl, crts, (unsigned)n, NULL, 0, 0,
						    &status, NULL);
	if (rc < 0) {
		snprintf(err, errsz, "certificate verification failed: %s", gnutls_strerror(rc));
		return -1;
	}
	if (status == 0)
		return 0;
	gnutls_datum_t out = { NULL, 0 };
	if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &out, 0) == 0) {
		snprintf(err, errsz, "certificate not trusted: %s", (const char *)out.data);
		gnutls_free(out.data);
	} else {
		snprintf(err, errsz, "certificate not trusted (status 0x%x)", status);
	}
	return -1;
}

/* check_name - does the leaf name host (DNS name or IP literal)? */
static int check_name(gnutls_x509_crt_t leaf, const char *host, char *err, size_t errsz)
{
	unsigned char ip[16];
	unsigned ok;
	if (inet_pton(AF_INET, host, ip) == 1)
		ok = gnutls_x509_crt_check_ip(leaf, ip, 4, 0);
	else if (inet_pton(AF_INET6, host, ip) == 1)
		ok = gnutls_x509_crt_check_ip(leaf, ip, 16, 0);
	else
		ok = gnutls_x509_crt_check_hostname2(leaf, host, 0);
	if (ok)
		return 0;
	snprintf(err, errsz, "certificate does not match host name '%s'", host);
	return -1;
}

int tls_verify_chain(const struct tls_der *chain, size_t n, const char *host,
		     const char *ca_file, char *err, size_t errsz)
{
	gnutls_x509_trust_list_t tl = NULL;
	gnutls_x509_crt_t crts[TLS_MAX_CHAIN];
	size_t n_ok = 0;
	int ret = -1;

	if (n == 0) {
		snprintf(err, errsz, "the server sent no certificate");
		return -1;
	}
	if (n > TLS_MAX_CHAIN)
		n = TLS_MAX_CHAIN;   /* the extra ones can only be unneeded intermediates */
	if (load_trust(&tl, ca_file, err, errsz) < 0)
		return -1;
	if (import_chain(chain, n, crts, &n_ok, err, errsz) < 0)
		goto out;
	if (check_chain(tl, crts, n, err, errsz) < 0)
		goto out;
	if (check_name(crts[0], host, err, errsz) < 0)
		goto out;
	ret = 0;
out:
	for (size_t i = 0; i < n_ok; i++)
		gnutls_x509_crt_deinit(crts[i]);
	gnutls_x509_trust_list_deinit(tl, 1);
	return ret;
}

int tls_verify_mailstream(void *stream, const char *host, const char *ca_file,
			  char *err, size_t errsz)
{
	carray *certs = mailstream_get_certificate_chain((mailstream *)stream);
	if (!certs) {
		snprintf(err, errsz, "no TLS certificate chain on this connection");
		return -1;
	}
	unsigned n = carray_count(certs);
	struct tls_der chain[TLS_MAX_CHAIN];
	size_t k = 0;
	for (unsigned i = 0; i < n && k < TLS_MAX_CHAIN; i++) {
		MMAPString *s = carray_get(certs, i);
		if (!s || !s->str)
			continue;
		chain[k].data = (const unsigned char *)s->str;
		chain[k].len = s->len;
		k++;
	}
	int rc = tls_verify_chain(chain, k, host, ca_file, err, errsz);
	mailstream_certificate_chain_free(certs);
	return rc;
}
