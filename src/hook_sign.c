/*
 * hook_sign.c - Standard Webhooks signatures (https://www.standardwebhooks.com):
 * webhook-signature = "v1," base64(HMAC-SHA256(key, id "." timestamp "." body)).
 * The key of a "whsec_..." secret is the base64 after the prefix.  Pure: nettle
 * only, no I/O.
 */
#include "config.h"

#include <nettle/base64.h>
#include <nettle/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hook.h"
#include "util.h"

uint8_t *hook_secret_decode(const char *secret, size_t *keylen)
{
	static const char prefix[] = "whsec_";
	size_t n = strlen(secret);
	if (strncmp(secret, prefix, sizeof(prefix) - 1) != 0) {
		uint8_t *key = xmalloc(n ? n : 1);
		memcpy(key, secret, n);
		*keylen = n;
		return key;
	}
	const char *b64 = secret + sizeof(prefix) - 1;
	size_t b64len = n - (sizeof(prefix) - 1);
	struct base64_decode_ctx ctx;
	size_t outlen = BASE64_DECODE_LENGTH(b64len);
	uint8_t *key = xmalloc(outlen ? outlen : 1);
	base64_decode_init(&ctx);
	if (b64len == 0 || !base64_decode_update(&ctx, &outlen, key, b64len, b64) ||
	    !base64_decode_final(&ctx) || outlen == 0) {
		explicit_bzero(key, BASE64_DECODE_LENGTH(b64len));
		free(key);
		return NULL;
	}
	*keylen = outlen;
	return key;
}

void hook_sign(const uint8_t *key, size_t keylen, const char *id, long long timestamp,
	       const char *body, size_t bodylen, char out[HOOK_SIG_MAX])
{
	struct hmac_sha256_ctx ctx;
	uint8_t digest[SHA256_DIGEST_SIZE];
	char ts[32];
	int tl = snprintf(ts, sizeof(ts), "%lld", timestamp);

	hmac_sha256_set_key(&ctx, keylen, key);
	hmac_sha256_update(&ctx, strlen(id), (const uint8_t *)id);
	hmac_sha256_update(&ctx, 1, (const uint8_t *)".");
	hmac_sha256_update(&ctx, (size_t)tl, (const uint8_t *)ts);
	hmac_sha256_update(&ctx, 1, (const uint8_t *)".");
	if (bodylen)
		hmac_sha256_update(&ctx, bodylen, (const uint8_t *)body);
	hmac_sha256_digest(&ctx, sizeof(digest), digest);

	memcpy(out, "v1,", 3);
	base64_encode_raw(out + 3, sizeof(digest), digest);   /* 44 bytes */
	out[3 + BASE64_ENCODE_RAW_LENGTH(sizeof(digest))] = '\0';
	explicit_bzero(&ctx, sizeof(ctx));
}
