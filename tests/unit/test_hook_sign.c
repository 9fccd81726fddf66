/*
 * test_hook_sign.c - Standard Webhooks signatures: the published test vector,
 * whsec_ decoding, raw secrets, and that every signed part matters.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hook.h"

/* From the Standard Webhooks specification's reference libraries. */
#define VEC_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define VEC_ID     "msg_p5jXN8AQM9LWM0D4loKWxJek"
#define VEC_TS     1614265330LL
#define VEC_BODY   "{\"test\": 2432232314}"
#define VEC_SIG    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

static void sign_vec(const char *secret, const char *id, long long ts, const char *body,
		     char out[HOOK_SIG_MAX])
{
	size_t kl;
	uint8_t *key = hook_secret_decode(secret, &kl);
	assert_non_null(key);
	hook_sign(key, kl, id, ts, body, strlen(body), out);
	free(key);
}

static void test_reference_vector(void **state)
{
	(void)state;
	char sig[HOOK_SIG_MAX];
	sign_vec(VEC_SECRET, VEC_ID, VEC_TS, VEC_BODY, sig);
	assert_string_equal(sig, VEC_SIG);
}

static void test_whsec_decoding(void **state)
{
	(void)state;
	size_t kl;
	uint8_t *key = hook_secret_decode("whsec_aGVsbG8=", &kl);   /* "hello" */
	assert_non_null(key);
	assert_int_equal(kl, 5);
	assert_memory_equal(key, "hello", 5);
	free(key);
	assert_null(hook_secret_decode("whsec_not base64!!", &kl));
	assert_null(hook_secret_decode("whsec_", &kl));
}

static void test_raw_secret(void **state)
{
	(void)state;
	size_t kl;
	uint8_t *key = hook_secret_decode("plain-secret", &kl);
	assert_int_equal(kl, 12);
	assert_memory_equal(key, "plain-secret", 12);
	free(key);
	/* HMAC-SHA256("key", "id.1.body"), computed independently with Python's hmac */
	char sig[HOOK_SIG_MAX];
	sign_vec("key", "id", 1, "body", sig);
	assert_string_equal(sig, "v1,sYA3/+8KvyXbe4KAKZy0QWKFoLKSHDq/QWu0xQZyY7s=");
}

static void test_every_part_signed(void **state)
{
	(void)state;
	char a[HOOK_SIG_MAX], b[HOOK_SIG_MAX];
	sign_vec(VEC_SECRET, VEC_ID, VEC_TS, VEC_BODY, a);
	sign_vec(VEC_SECRET, VEC_ID "x", VEC_TS, VEC_BODY, b);
	assert_string_not_equal(a, b);
	sign_vec(VEC_SECRET, VEC_ID, VEC_TS + 1, VEC_BODY, b);
	assert_string_not_equal(a, b);
	sign_vec(VEC_SECRET, VEC_ID, VEC_TS, VEC_BODY " ", b);
	assert_string_not_equal(a, b);
	sign_vec("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSx", VEC_ID, VEC_TS, VEC_BODY, b);
	assert_string_not_equal(a, b);
}

static void test_empty_body(void **state)
{
	(void)state;
	char sig[HOOK_SIG_MAX];
	size_t kl;
	uint8_t *key = hook_secret_decode(VEC_SECRET, &kl);
	hook_sign(key, kl, VEC_ID, VEC_TS, NULL, 0, sig);
	free(key);
	assert_int_equal(strlen(sig), 47);
	assert_memory_equal(sig, "v1,", 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_vector),
		cmocka_unit_test(test_whsec_decoding),
		cmocka_unit_test(test_raw_secret),
		cmocka_unit_test(test_every_part_signed),
		cmocka_unit_test(test_empty_body),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
