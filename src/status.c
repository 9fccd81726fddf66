/*
 * status.c - RFC 3463 / RFC 5248 enhanced status codes -> reasons, and code
 * extraction from free text.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "status.h"
#include "util.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* The subject.detail part of a code and what it means for the recipient.
 * specific: the code alone is enough to name the reason. */
static const struct {
	const char *code;
	enum bw_reason reason;
	bool specific;
	const char *text;
} codes[] = {
	{ "0.0", BW_R_UNDEFINED, false, "Other undefined status" },
	{ "1.0", BW_R_USERUNKNOWN, false, "Other address status" },
	{ "1.1", BW_R_USERUNKNOWN, true, "Bad destination mailbox address" },
	{ "1.2", BW_R_HOSTUNKNOWN, true, "Bad destination system address" },
	{ "1.3", BW_R_USERUNKNOWN, true, "Bad destination mailbox address syntax" },
	{ "1.4", BW_R_USERUNKNOWN, false, "Destination mailbox address ambiguous" },
	{ "1.5", BW_R_DELIVERED, true, "Destination address valid" },
	{ "1.6", BW_R_HASMOVED, true, "Destination mailbox has moved, no forwarding address" },
	{ "1.7", BW_R_REJECTED, false, "Bad sender's mailbox address syntax" },
	{ "1.8", BW_R_REJECTED, false, "Bad sender's system address" },
	{ "1.9", BW_R_UNDEFINED, false, "Message relayed to non-compliant mailer" },
	/* not specific: Exchange Online says 5.1.10 for "recipient not found" */
	{ "1.10", BW_R_NOTACCEPT, false, "Recipient address has null MX" },
	{ "2.0", BW_R_UNDEFINED, false, "Other or undefined mailbox status" },
	{ "2.1", BW_R_SUSPEND, false, "Mailbox disabled, not accepting messages" },
	{ "2.2", BW_R_MAILBOXFULL, true, "Mailbox full" },
	{ "2.3", BW_R_EXCEEDLIMIT, true, "Message length exceeds administrative limit" },
	{ "2.4", BW_R_SYSTEMERROR, false, "Mailing list expansion problem" },
	{ "3.0", BW_R_SYSTEMERROR, false, "Other or undefined mail system status" },
	{ "3.1", BW_R_SYSTEMFULL, true, "Mail system full" },
	{ "3.2", BW_R_NOTACCEPT, false, "System not accepting network messages" },
	{ "3.3", BW_R_SYSTEMERROR, false, "System not capable of selected features" },
	{ "3.4", BW_R_MESGTOOBIG, true, "Message too big for system" },
	{ "3.5", BW_R_SYSTEMERROR, false, "System incorrectly configured" },
	{ "3.6", BW_R_SYSTEMERROR, false, "Requested priority was changed" },
	{ "4.0", BW_R_NETWORKERROR, false, "Other or undefined network or routing status" },
	{ "4.1", BW_R_NETWORKERROR, false, "No answer from host" },
	{ "4.2", BW_R_NETWORKERROR, false, "Bad connection" },
	{ "4.3", BW_R_SYSTEMERROR, false, "Directory server failure" },
	{ "4.4", BW_R_HOSTUNKNOWN, false, "Unable to route" },
	{ "4.5", BW_R_SYSTEMERROR, false, "Mail system congestion" },
	{ "4.6", BW_R_NETWORKERROR, true, "Routing loop detected" },
	{ "4.7", BW_R_EXPIRED, true, "Delivery time expired" },
	{ "5.0", BW_R_UNDEFINED, false, "Other or undefined protocol status" },
	{ "5.1", BW_R_SYNTAXERROR, false, "Invalid command" },
	{ "5.2", BW_R_SYNTAXERROR, false, "Syntax error" },
	{ "5.3", BW_R_EXCEEDLIMIT, false, "Too many recipients" },
	{ "5.4", BW_R_SYNTAXERROR, false, "Invalid command arguments" },
	{ "5.5", BW_R_SYNTAXERROR, false, "Wrong protocol version" },
	{ "5.6", BW_R_SYNTAXERROR, false, "Authentication exchange line is too long" },
	{ "6.0", BW_R_CONTENTERROR, false, "Other or undefined media error" },
	{ "6.1", BW_R_CONTENTERROR, false, "Media not supported" },
	{ "6.2", BW_R_CONTENTERROR, false, "Conversion required and prohibited" },
	{ "6.3", BW_R_CONTENTERROR, false, "Conversion required but not supported" },
	{ "6.4", BW_R_CONTENTERROR, false, "Conversion with loss performed" },
	{ "6.5", BW_R_CONTENTERROR, false, "Conversion failed" },
	{ "6.6", BW_R_CONTENTERROR, false, "Message content not available" },
	{ "6.7", BW_R_CONTENTERROR, false, "Non-ASCII addresses not permitted" },
	{ "7.0", BW_R_SECURITYERROR, false, "Other or undefined security status" },
	{ "7.1", BW_R_SECURITYERROR, false, "Delivery not authorized, message refused" },
	{ "7.2", BW_R_POLICYVIOLATION, false, "Mailing list expansion prohibited" },
	{ "7.3", BW_R_SECURITYERROR, false, "Security conversion required but not possible" },
	{ "7.4", BW_R_SECURITYERROR, false, "Security features not supported" },
	{ "7.5", BW_R_SECURITYERROR, false, "Cryptographic failure" },
	{ "7.6", BW_R_SECURITYERROR, false, "Cryptographic algorithm not supported" },
	{ "7.7", BW_R_SECURITYERROR, false, "Message integrity failure" },
	{ "7.8", BW_R_SECURITYERROR, false, "Authentication credentials invalid" },
	{ "7.9", BW_R_SECURITYERROR, true, "Authentication mechanism is too weak" },
	{ "7.10", BW_R_FAILEDSTARTTLS, false, "Encryption needed" },
	{ "7.11", BW_R_SECURITYERROR, false, "Encryption required for requested authentication mechanism" },
	{ "7.12", BW_R_SECURITYERROR, false, "A password transition is needed" },
	{ "7.13", BW_R_SUSPEND, true, "User account disabled" },
	{ "7.14", BW_R_SECURITYERROR, false, "Trust relationship required" },
	{ "7.15", BW_R_POLICYVIOLATION, false, "Priority level is too low" },
	{ "7.16", BW_R_MESGTOOBIG, true, "Message is too big for the specified priority" },
	{ "7.17", BW_R_HASMOVED, true, "Mailbox owner has changed" },
	{ "7.18", BW_R_HASMOVED, true, "Domain owner has changed" },
	{ "7.19", BW_R_UNDEFINED, false, "RRVS test cannot be completed" },
	{ "7.20", BW_R_AUTHFAILURE, true, "No passing DKIM signature found" },
	{ "7.21", BW_R_AUTHFAILURE, true, "No acceptable DKIM signature found" },
	{ "7.22", BW_R_AUTHFAILURE, true, "No valid author-matched DKIM signature found" },
	{ "7.23", BW_R_AUTHFAILURE, true, "SPF validation failed" },
	{ "7.24", BW_R_AUTHFAILURE, true, "SPF validation error" },
	{ "7.25", BW_R_REQUIREPTR, true, "Reverse DNS validation failed" },
	{ "7.26", BW_R_AUTHFAILURE, true, "Multiple authentication checks failed" },
	/* RFC 7505 3.4: the sender's own domain takes no mail, so no bounce
	 * could reach it: the sender's problem, not the recipient's */
	{ "7.27", BW_R_REJECTED, false, "Sender address has null MX" },
	{ "7.28", BW_R_SPEEDING, false, "Mail flood detected" },
	{ "7.29", BW_R_AUTHFAILURE, true, "ARC validation failure" },
	{ "7.30", BW_R_FAILEDSTARTTLS, true, "REQUIRETLS support required" },
};

static bool parse_code(const char *s, int *cls, int *subj, int *det, size_t *used)
{
	size_t i = 0;
	if (!(s[i] == '2' || s[i] == '4' || s[i] == '5') || s[i + 1] != '.')
		return false;
	*cls = s[i] - '0';
	i += 2;
	int v = 0, n = 0;
	while (bw_isdigit((unsigned char)s[i]) && n < 3)
		v = v * 10 + (s[i++] - '0'), n++;
	if (!n || s[i] != '.')
		return false;
	*subj = v;
	i++;
	v = 0, n = 0;
	while (bw_isdigit((unsigned char)s[i]) && n < 3)
		v = v * 10 + (s[i++] - '0'), n++;
	if (!n || bw_isdigit((unsigned char)s[i]))
		return false;
	*det = v;
	*used = i;
	return true;
}

/* The numbers (each 0..999, as parse_code reads them) joined by dots,
 * without leading zeros: "%d.%d.%d" without the cost of printf.  out must
 * hold 12 bytes. */
static void join_numbers(char *out, const int *v, int n)
{
	size_t o = 0;
	for (int k = 0; k < n; k++) {
		char digits[3];
		int x = v[k], nd = 0;
		do {
			digits[nd++] = (char)('0' + x % 10);
			x /= 10;
		} while (x && nd < 3);
		if (k)
			out[o++] = '.';
		while (nd)
			out[o++] = digits[--nd];
	}
	out[o] = '\0';
}

/* "C.S.D" into out, truncated like snprintf. */
static void format_code(char *out, size_t outsz, int c, int sj, int d)
{
	char tmp[16];
	const int v[3] = { c, sj, d };
	join_numbers(tmp, v, 3);
	bw_strlcpy(out, tmp, outsz);
}

/*
 * The first i in [from, to) where s[i] is '2', '4' or '5' (the first digit
 * of every code and reply these scans accept), else to.  Free text is mostly
 * other bytes: they are passed 16 at a time where SSE2 is there.
 */
static size_t next_code_digit(const char *s, size_t from, size_t to)
{
	size_t i = from;
#ifdef __SSE2__
	const __m128i d2 = _mm_set1_epi8('2'), d4 = _mm_set1_epi8('4'), d5 = _mm_set1_epi8('5');
	for (; i + 16 <= to; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		unsigned mask = (unsigned)_mm_movemask_epi8(_mm_or_si128(
			_mm_or_si128(_mm_cmpeq_epi8(x, d2), _mm_cmpeq_epi8(x, d4)), _mm_cmpeq_epi8(x, d5)));
		if (mask)
			return i + (unsigned)__builtin_ctz(mask);
	}
#endif
	for (; i < to; i++)
		if (s[i] == '2' || s[i] == '4' || s[i] == '5')
			return i;
	return to;
}

bool status_valid(const char *s)
{
	int c, sj, d;
	size_t used;
	return parse_code(s, &c, &sj, &d, &used) && s[used] == '\0';
}

bool status_find(const char *s, size_t len, char *out, size_t outsz)
{
	char tmp[16];
	for (size_t i = 0; i + 5 <= len; i++) {
		i = next_code_digit(s, i, len - 4);
		if (i + 5 > len)
			break;
		if (!(s[i] == '2' || s[i] == '4' || s[i] == '5') || s[i + 1] != '.')
			continue;
		if (i > 0 && (bw_isdigit((unsigned char)s[i - 1]) || s[i - 1] == '.' ||
			      bw_isalpha((unsigned char)s[i - 1])))
			continue;
		size_t n = len - i < sizeof(tmp) - 1 ? len - i : sizeof(tmp) - 1;
		memcpy(tmp, s + i, n);
		tmp[n] = '\0';
		int c, sj, d;
		size_t used;
		if (!parse_code(tmp, &c, &sj, &d, &used))
			continue;
		/* "5.1.1.2" is an address or version, not a code */
		if (tmp[used] == '.' && bw_isdigit((unsigned char)tmp[used + 1]))
			continue;
		if (sj > 7)
			continue;
		format_code(out, outsz, c, sj, d);
		return true;
	}
	return false;
}

/* Is there a well-formed code at s[0..len)?  Copies it as "C.S.D". */
static bool code_at(const char *s, size_t len, char *out, size_t outsz)
{
	char tmp[16];
	size_t n = len < sizeof(tmp) - 1 ? len : sizeof(tmp) - 1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	int c, sj, d;
	size_t used;
	if (!parse_code(tmp, &c, &sj, &d, &used) || sj > 7)
		return false;
	if (tmp[used] == '.' && bw_isdigit((unsigned char)tmp[used + 1]))
		return false;
	format_code(out, outsz, c, sj, d);
	return true;
}

bool status_find_remote(const char *s, size_t len, char *out, size_t outsz, size_t *at)
{
	bool found = false;
	for (size_t i = 0; i + 9 <= len; i++) {
		i = next_code_digit(s, i, len - 8);
		if (i + 9 > len)
			break;
		if (!(s[i] == '2' || s[i] == '4' || s[i] == '5') || !bw_isdigit((unsigned char)s[i + 1]) ||
		    !bw_isdigit((unsigned char)s[i + 2]))
			continue;
		if (i > 0 && (bw_isdigit((unsigned char)s[i - 1]) || s[i - 1] == '.' ||
			      bw_isalpha((unsigned char)s[i - 1])))
			continue;
		size_t j = i + 3;
		if (s[j] != ' ' && s[j] != '-')
			continue;
		j++;
		if (j < len && (s[j] == '\'' || s[j] == '"'))
			j++;
		char code[BW_STATUS_MAX];
		/* "550 4.4.7" contradicts itself: a summary, not a server's reply */
		if (j < len && code_at(s + j, len - j, code, sizeof(code)) && code[0] == s[i]) {
			bw_strlcpy(out, code, outsz);
			if (at)
				*at = i;
			found = true;
			i = j;
		}
	}
	return found;
}

/* Does the colon at s[colon] end a label such as "ERROR_CODE :" or
 * "Reply code:" (blanks before the colon allowed)? */
static bool after_code_label(const char *s, size_t colon)
{
	size_t j = colon;
	while (j > 0 && s[j - 1] == ' ')
		j--;
	return j >= 4 && bw_prefixcase(s + j - 4, 4, "code");
}

static bool reply_at(const char *s, size_t len, size_t i)
{
	if (i + 3 > len)
		return false;
	if (!(s[i] == '2' || s[i] == '4' || s[i] == '5'))
		return false;
	if (!(s[i + 1] >= '0' && s[i + 1] <= '5') || !bw_isdigit((unsigned char)s[i + 2]))
		return false;
	/* "550: <a@b>: User unknown" (a colon, then a blank) too */
	bool colon = i + 4 < len && s[i + 3] == ':' && s[i + 4] == ' ';
	if (i + 3 < len && s[i + 3] != ' ' && s[i + 3] != '-' && s[i + 3] != '\n' && !colon &&
	    s[i + 3] != '\t' && s[i + 3] != ',' && s[i + 3] != ')' && s[i + 3] != ']')
		return false;
	if (i > 0 && s[i - 1] == ':' && after_code_label(s, i - 1))
		return true;
	if (i > 0 && (bw_isdigit((unsigned char)s[i - 1]) || s[i - 1] == '.' || s[i - 1] == '-' ||
		      bw_isalpha((unsigned char)s[i - 1]) || s[i - 1] == ':' || s[i - 1] == '/'))
		return false;
	return true;
}

bool reply_find(const char *s, size_t len, char out[4])
{
	bool have_ok = false;   /* a 2xx seen: kept unless a failure code follows */
	for (size_t i = 0; i < len; i++) {
		i = next_code_digit(s, i, len);      /* reply_at() needs one */
		if (i >= len)
			break;
		if (reply_at(s, len, i)) {
			/* a year or a count in prose is not a reply code: need SMTP-ish context */
			bool at_start = i == 0 || s[i - 1] == '\n' || s[i - 1] == ' ' || s[i - 1] == ';' ||
					s[i - 1] == '(' || s[i - 1] == '<' || s[i - 1] == '"' || s[i - 1] == '[' ||
					s[i - 1] == '\t' || s[i - 1] == '=' || s[i - 1] == '#' || s[i - 1] == '\'' ||
					(s[i - 1] == ':' && after_code_label(s, i - 1));
			if (!at_start)
				continue;
			if (s[i] == '2') {
				/* "Size (in bytes): 222" in a summary: a failure code
				 * later in the text says more */
				if (!have_ok) {
					memcpy(out, s + i, 3);
					out[3] = '\0';
					have_ok = true;
				}
				continue;
			}
			memcpy(out, s + i, 3);
			out[3] = '\0';
			return true;
		}
	}
	return have_ok;
}

bool status_exit_only(const char *d)
{
	size_t n = 0;
	for (; d[n]; n++)
		if (!bw_isdigit((unsigned char)d[n]))
			return false;
	return n > 0 && n <= 3;
}

enum bw_reason status_reason(const char *status, bool *specific)
{
	int c, sj, d;
	size_t used;
	*specific = false;
	if (!status || !parse_code(status, &c, &sj, &d, &used))
		return BW_R_UNDEFINED;
	char key[12];
	join_numbers(key, (const int[]){ sj, d }, 2);
	for (size_t i = 0; i < ARRAY_LEN(codes); i++) {
		if (strcmp(codes[i].code, key) == 0) {
			*specific = codes[i].specific;
			return codes[i].reason;
		}
	}
	return BW_R_UNDEFINED;
}

bool status_names_address(const char *status)
{
	int c, sj, d;
	size_t used;
	if (!status || !parse_code(status, &c, &sj, &d, &used) || sj != 1)
		return false;
	return d == 0 || d == 1 || d == 3 || d >= 10;
}

const char *status_text(const char *status)
{
	int c, sj, d;
	size_t used;
	if (!status || !parse_code(status, &c, &sj, &d, &used))
		return NULL;
	char key[12];
	join_numbers(key, (const int[]){ sj, d }, 2);
	for (size_t i = 0; i < ARRAY_LEN(codes); i++)
		if (strcmp(codes[i].code, key) == 0)
			return codes[i].text;
	return NULL;
}
