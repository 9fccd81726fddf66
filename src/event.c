/*
 * event.c - names of kinds, reasons and verdicts; bounded copies.
 */
#include "config.h"

#include <string.h>

#include "event.h"
#include "util.h"

static const char *const kind_names[BW_KIND__COUNT] = {
	"unknown", "hard", "soft", "block", "delayed", "complaint", "autoreply", "delivered",
};

static const char *const reason_names[BW_R__COUNT] = {
	"undefined", "userunknown", "hostunknown", "mailboxfull", "mesgtoobig", "filtered",
	"rejected", "blocked", "spamdetected", "virusdetected", "policyviolation",
	"securityerror", "authfailure", "requireptr", "badreputation", "speeding",
	"toomanyconn", "expired", "suspend", "hasmoved", "notaccept", "norelaying",
	"networkerror", "systemerror", "systemfull", "exceedlimit", "syntaxerror",
	"contenterror", "mailererror", "notcompliantrfc", "failedstarttls", "onhold",
	"vacation", "feedback", "delivered",
};

static const char *const verdict_names[BW_VERDICT__COUNT] = {
	"bounce", "complaint", "autoreply", "not-bounce", "unparsed",
};

const char *bw_kind_name(enum bw_kind k)
{
	return (unsigned)k < BW_KIND__COUNT ? kind_names[k] : "unknown";
}

const char *bw_reason_name(enum bw_reason r)
{
	return (unsigned)r < BW_R__COUNT ? reason_names[r] : "undefined";
}

const char *bw_verdict_name(enum bw_verdict v)
{
	return (unsigned)v < BW_VERDICT__COUNT ? verdict_names[v] : "unparsed";
}

static int lookup(const char *const *names, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

int bw_kind_from_name(const char *name)
{
	return lookup(kind_names, BW_KIND__COUNT, name);
}

int bw_reason_from_name(const char *name)
{
	return lookup(reason_names, BW_R__COUNT, name);
}

size_t bw_strlcpyn(char *dst, size_t dstsz, const char *src, size_t len)
{
	if (dstsz == 0)
		return 0;
	size_t n = len < dstsz - 1 ? len : dstsz - 1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = (c < 32 || c == 127) ? ' ' : (char)c;
	}
	dst[n] = '\0';
	return n;
}
