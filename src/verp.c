/*
 * verp.c - VERP decoding, signed return paths, and the VERP detector.
 */
#include "config.h"

#include <nettle/hmac.h>
#include <stdio.h>
#include <string.h>

#include "detect.h"
#include "util.h"
#include "verp.h"

/* Split the format around {local} and {domain}. */
static bool format_parts(const char *format, const char **pre, size_t *prel,
			 const char **mid, size_t *midl, const char **suf)
{
	const char *l = strstr(format, "{local}");
	const char *d = strstr(format, "{domain}");
	if (!l || !d || d < l)
		return false;
	*pre = format;
	*prel = (size_t)(l - format);
	*mid = l + 7;
	*midl = (size_t)(d - *mid);
	*suf = d + 8;
	return *midl > 0;
}

static bool is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

bool verp_decode(const char *format, const char *envelope, char *rcpt, size_t rsz,
		 char tag[VERP_TAG_LEN + 1])
{
	const char *pre, *mid, *suf;
	size_t prel, midl;
	tag[0] = '\0';
	if (!format_parts(format, &pre, &prel, &mid, &midl, &suf))
		return false;
	size_t n = strlen(envelope);
	if (n < prel || strncasecmp(envelope, pre, prel) != 0)
		return false;
	const char *at = strrchr(envelope, '@');
	if (!at)
		return false;
	/* suffix up to '@' must match what the format puts before the '@' */
	size_t sufl = strlen(suf);
	if (sufl == 0 || suf[sufl - 1] != '@')
		return false;
	size_t before_at = sufl - 1;
	const char *local = envelope + prel;
	const char *dom_end = at - before_at;
	if (dom_end < local || strncasecmp(dom_end, suf, before_at) != 0)
		return false;
	/* the separator: the last occurrence before the domain */
	const char *sep = NULL;
	for (const char *p = local; p + midl <= dom_end; p++)
		if (strncmp(p, mid, midl) == 0)
			sep = p;
	if (!sep || sep == local || sep + midl >= dom_end)
		return false;
	if ((size_t)(sep - local) > VERP_TAG_LEN + 1 && local[VERP_TAG_LEN] == '-' &&
	    is_hex(local, VERP_TAG_LEN)) {
		memcpy(tag, local, VERP_TAG_LEN);
		tag[VERP_TAG_LEN] = '\0';
		local += VERP_TAG_LEN + 1;
	}
	int w = snprintf(rcpt, rsz, "%.*s@%.*s", (int)(sep - local), local,
			 (int)(dom_end - (sep + midl)), sep + midl);
	if (w < 0 || (size_t)w >= rsz || !addr_valid(rcpt))
		return false;
	addr_normalise(rcpt);
	return true;
}

void verp_tag(const char *secret, const char *addr, char tag[VERP_TAG_LEN + 1])
{
	struct hmac_sha256_ctx ctx;
	uint8_t digest[SHA256_DIGEST_SIZE];
	char lower[BW_ADDR_MAX + 1];
	size_t n = 0;
	for (; addr[n] && n < BW_ADDR_MAX; n++)
		lower[n] = (char)bw_lower((unsigned char)addr[n]);
	lower[n] = '\0';
	hmac_sha256_set_key(&ctx, strlen(secret), (const uint8_t *)secret);
	hmac_sha256_update(&ctx, n, (const uint8_t *)lower);
	hmac_sha256_digest(&ctx, sizeof(digest), digest);
	for (int i = 0; i < VERP_TAG_LEN / 2; i++)
		snprintf(tag + 2 * i, 3, "%02x", digest[i]);
}

bool verp_verify(const char *secret, const char *addr, const char *tag)
{
	char want[VERP_TAG_LEN + 1];
	if (strlen(tag) != VERP_TAG_LEN)
		return false;
	verp_tag(secret, addr, want);
	unsigned diff = 0;
	for (int i = 0; i < VERP_TAG_LEN; i++)
		diff |= (unsigned)(want[i] ^ tag[i]);
	return diff == 0;
}

bool verp_encode(const char *format, const char *secret, const char *addr,
		 const char *return_domain, char *out, size_t outsz)
{
	const char *pre, *mid, *suf;
	size_t prel, midl;
	if (!format_parts(format, &pre, &prel, &mid, &midl, &suf) || !addr_valid(addr))
		return false;
	const char *at = strrchr(addr, '@');
	char tag[VERP_TAG_LEN + 2] = "";
	if (secret && *secret) {
		verp_tag(secret, addr, tag);
		tag[VERP_TAG_LEN] = '-';
		tag[VERP_TAG_LEN + 1] = '\0';
	}
	char dom[256];
	bw_strlcpy(dom, at + 1, sizeof(dom));
	for (char *p = dom; *p; p++)
		*p = (char)bw_lower((unsigned char)*p);
	int w = snprintf(out, outsz, "%.*s%s%.*s%.*s%s%s%s", (int)prel, pre, tag, (int)(at - addr), addr,
			 (int)midl, mid, dom, suf, return_domain ? return_domain : "");
	return w > 0 && (size_t)w < outsz;
}

/* Envelope headers that name the address the bounce was delivered to. */
static const char *const envelope_headers[] = { "Delivered-To", "X-Original-To", "Envelope-To", "To" };

static bool find_verp(const struct det_ctx *c, char *rcpt, size_t rsz, char tag[VERP_TAG_LEN + 1],
		      const char **hdr)
{
	char v[BW_ADDR_MAX * 2], a[BW_ADDR_MAX + 1];
	const char *pre, *mid, *suf;
	size_t prel, midl;
	/* a format verp_decode() cannot use decodes nothing */
	if (!format_parts(c->conf->verp.format, &pre, &prel, &mid, &midl, &suf))
		return false;
	for (size_t i = 0; i < ARRAY_LEN(envelope_headers); i++) {
		if (!mime_hdrs_get(c->top_h, envelope_headers[i], v, sizeof(v)))
			continue;
		size_t vl = strlen(v);
		/* verp_decode() takes an address that opens with the format's
		 * prefix (either case): a value without it holds none (most
		 * envelopes are the list's or the user's own address) */
		if (prel && !bw_memcasemem_n(v, vl, pre, prel))
			continue;
		/* addr_extract lower-cases only the domain; VERP local parts keep case */
		if (!addr_extract(v, vl, a, sizeof(a)))
			continue;
		if (verp_decode(c->conf->verp.format, a, rcpt, rsz, tag)) {
			*hdr = envelope_headers[i];
			return true;
		}
	}
	return false;
}

void det_verp(struct det_ctx *c)
{
	char rcpt[BW_ADDR_MAX + 1], tag[VERP_TAG_LEN + 1];
	const char *hdr = NULL;
	bool have = find_verp(c, rcpt, sizeof(rcpt), tag, &hdr);
	bool signed_ok = have && tag[0] && c->verp_secret && verp_verify(c->verp_secret, rcpt, tag);

	if (have)
		report_trace(c->rep, "verp: %s names %s%s", hdr, rcpt,
			     !tag[0] ? " (unsigned)" : signed_ok ? " (valid signature)" :
			     c->verp_secret ? " (INVALID signature)" : " (signed, no secret to check)");
	const char *why;
	if (have && c->rep->n_events == 0 && det_looks_like_bounce(c, &why)) {
		/* a bounce that names nobody: the return path says who failed */
		struct bw_event *ev = det_event(c, "verp");
		if (ev) {
			bw_strlcpy(ev->recipient, rcpt, sizeof(ev->recipient));
			snprintf(ev->matched, sizeof(ev->matched), "%s: VERP return path (%s)", hdr, why);
			const char *end = c->text_end;
			for (const char *q = c->text; q < end;) {
				const char *nl = memchr(q, '\n', (size_t)(end - q));
				const char *le = nl ? nl : end;
				if (le > q && det_failure_line(q, (size_t)(le - q))) {
					det_set_diagnostic(ev, q, (size_t)(le - q));
					break;
				}
				q = nl ? nl + 1 : end;
			}
			report_trace(c->rep, "verp: the bounce (%s) names no recipient; %s from %s", why, rcpt, hdr);
		}
	}
	for (unsigned i = 0; i < c->rep->n_events; i++) {
		struct bw_event *ev = &c->rep->events[i];
		if (ev->kind == BW_KIND_AUTOREPLY || ev->reason == BW_R_VACATION)
			continue;
		if (!ev->recipient[0] && have) {
			bw_strlcpy(ev->recipient, rcpt, sizeof(ev->recipient));
			report_trace(c->rep, "verp: recipient of event %u taken from %s", i + 1, hdr);
		} else if (have && strcasecmp(ev->recipient, rcpt) != 0) {
			report_trace(c->rep, "verp: event %u names %s, the return path %s", i + 1,
				     ev->recipient, rcpt);
		}
		if (c->conf->verp.require_signed) {
			bool vouched = signed_ok && strcasecmp(ev->recipient, rcpt) == 0;
			if (!vouched) {
				ev->unverified = true;
				report_trace(c->rep, "verp: %s is unverified (require_signed, %s)", ev->recipient,
					     !have ? "no VERP return path" : !tag[0] ? "no signature" :
					     !signed_ok ? "bad signature" : "recipient differs");
			}
		}
	}
}
