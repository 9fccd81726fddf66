/*
 * test_tls_verify.c - the peer check that stands between the TLS handshake
 * and LOGIN: a chain against a CA file or the system store, and the host
 * name (DNS or IP) against the leaf.  Certificates are made here with GnuTLS.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "tls_verify.h"

struct cert {
	gnutls_datum_t der;
	char pem_path[64];
};

/* A self-signed CA certificate for cn with a DNS and an IPv4 SAN, valid
 * from not_before to not_after; DER kept, PEM written to a temp file. */
static void make_cert(struct cert *c, const char *cn, const char *dns, const unsigned char ip[4],
		      time_t not_before, time_t not_after)
{
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt;
	assert_int_equal(gnutls_x509_privkey_init(&key), 0);
	assert_int_equal(gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
			 GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0), 0);
	assert_int_equal(gnutls_x509_crt_init(&crt), 0);
	gnutls_x509_crt_set_version(crt, 3);
	gnutls_x509_crt_set_serial(crt, "\x01\x02", 2);
	gnutls_x509_crt_set_activation_time(crt, not_before);
	gnutls_x509_crt_set_expiration_time(crt, not_after);
	gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn, (unsigned)strlen(cn));
	gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, dns, (unsigned)strlen(dns),
					     GNUTLS_FSAN_SET);
	gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip, 4, GNUTLS_FSAN_APPEND);
	gnutls_x509_crt_set_basic_constraints(crt, 1, -1);
	gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_KEY_CERT_SIGN);
	assert_int_equal(gnutls_x509_crt_set_key(crt, key), 0);
	assert_int_equal(gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0), 0);
	assert_int_equal(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &c->der), 0);
	gnutls_datum_t pem;
	assert_int_equal(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &pem), 0);
	snprintf(c->pem_path, sizeof c->pem_path, "/tmp/bw-tlstest-XXXXXX");
	int fd = mkstemp(c->pem_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, pem.data, pem.size), (ssize_t)pem.size);
	close(fd);
	gnutls_free(pem.data);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
}

static void free_cert(struct cert *c)
{
	unlink(c->pem_path);
	gnutls_free(c->der.data);
}

static const unsigned char LOOPBACK[4] = { 127, 0, 0, 1 };

static int verify(const struct cert *c, const char *host, const char *ca, char *err, size_t n)
{
	struct tls_der chain[1] = { { c->der.data, c->der.size } };
	err[0] = '\0';
	return tls_verify_chain(chain, 1, host, ca, err, n);
}

static void test_trusted_names(void **state)
{
	(void)state;
	struct cert c;
	char err[400];
	time_t now = time(NULL);
	make_cert(&c, "127.0.0.1", "localhost", LOOPBACK, now - 3600, now + 86400);
	assert_int_equal(verify(&c, "127.0.0.1", c.pem_path, err, sizeof err), 0);
	assert_int_equal(verify(&c, "localhost", c.pem_path, err, sizeof err), 0);
	assert_int_equal(verify(&c, "LOCALHOST", c.pem_path, err, sizeof err), 0);
	free_cert(&c);
}

static void test_wrong_name(void **state)
{
	(void)state;
	struct cert c;
	char err[400];
	time_t now = time(NULL);
	make_cert(&c, "imap.example.org", "imap.example.org", LOOPBACK, now - 3600, now + 86400);
	assert_int_equal(verify(&c, "mail.example.org", c.pem_path, err, sizeof err), -1);
	assert_non_null(strstr(err, "does not match host name 'mail.example.org'"));
	assert_int_equal(verify(&c, "127.0.0.2", c.pem_path, err, sizeof err), -1);
	assert_non_null(strstr(err, "does not match"));
	/* an IP literal is matched against IP SANs, never against DNS names */
	assert_int_equal(verify(&c, "127.0.0.1", c.pem_path, err, sizeof err), 0);
	free_cert(&c);
}

static void test_untrusted(void **state)
{
	(void)state;
	struct cert c, other;
	char err[400];
	time_t now = time(NULL);
	make_cert(&c, "127.0.0.1", "localhost", LOOPBACK, now - 3600, now + 86400);
	make_cert(&other, "127.0.0.1", "localhost", LOOPBACK, now - 3600, now + 86400);
	/* the system store does not know a certificate made a moment ago */
	assert_int_equal(verify(&c, "127.0.0.1", NULL, err, sizeof err), -1);
	assert_true(strlen(err) > 0);
	assert_int_equal(verify(&c, "127.0.0.1", "", err, sizeof err), -1);
	/* another CA with the same names is not this one */
	assert_int_equal(verify(&c, "127.0.0.1", other.pem_path, err, sizeof err), -1);
	assert_non_null(strstr(err, "not trusted"));
	free_cert(&c);
	free_cert(&other);
}

static void test_expired(void **state)
{
	(void)state;
	struct cert c;
	char err[400];
	time_t now = time(NULL);
	make_cert(&c, "127.0.0.1", "localhost", LOOPBACK, now - 10 * 86400, now - 86400);
	assert_int_equal(verify(&c, "127.0.0.1", c.pem_path, err, sizeof err), -1);
	assert_non_null(strstr(err, "not trusted"));
	free_cert(&c);
}

static void test_bad_input(void **state)
{
	(void)state;
	struct cert c;
	char err[400];
	time_t now = time(NULL);
	make_cert(&c, "127.0.0.1", "localhost", LOOPBACK, now - 3600, now + 86400);
	assert_int_equal(tls_verify_chain(NULL, 0, "127.0.0.1", c.pem_path, err, sizeof err), -1);
	assert_non_null(strstr(err, "no certificate"));
	struct tls_der junk[1] = { { (const unsigned char *)"\x30\x03\x02\x01\x00", 5 } };
	assert_int_equal(tls_verify_chain(junk, 1, "127.0.0.1", c.pem_path, err, sizeof err), -1);
	assert_non_null(strstr(err, "cannot be parsed"));
	assert_int_equal(verify(&c, "127.0.0.1", "/nonexistent/ca.pem", err, sizeof err), -1);
	assert_non_null(strstr(err, "tls_ca_file"));
	free_cert(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trusted_names),
		cmocka_unit_test(test_wrong_name),
		cmocka_unit_test(test_untrusted),
		cmocka_unit_test(test_expired),
		cmocka_unit_test(test_bad_input),
	};
	gnutls_global_init();
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	gnutls_global_deinit();
	return rc;
}
