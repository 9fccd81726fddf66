/*
 * reason.c - phrase tables (data) and the kind/reason/hard decision.
 *
 * Three tables, all data a user can read and extend:
 *
 *   phrases[]   diagnostic words -> reason.  Matched case-insensitively
 *               (ASCII) anywhere in the text.  Order is priority: when several
 *               phrases occur, the one listed first wins, so specific phrases
 *               come before general ones.  A STRONG phrase outranks even a
 *               specific status code (a 5.1.1 that says "mailbox full" is a
 *               full mailbox); a WEAK one only decides when the code is
 *               generic (X.0.0, X.7.1, ...) or absent.
 *   commands[]  words that say at which SMTP stage the remote refused
 *               ("after RCPT TO", "in reply to end of DATA command").  A
 *               "no such user" answered to DATA is a content filter speaking,
 *               one answered to MAIL FROM is about the sender.
 *   std_codes[] the code to report when the bounce carries none.
 *
 * Every phrase is our own, written from RFC 3463/5321/7505 wording and from
 * what MTAs say in their replies; non-English phrases cover the common
 * European and Asian providers.  Matching is one pass over the text with a
 * two-byte index of the table, so the cost does not grow with the table.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "reason.h"
#include "status.h"
#include "util.h"

struct phrase {
	enum bw_reason reason;
	unsigned flags;     /* PH_* */
	const char *text;   /* lower-case; ASCII letters fold, other bytes match as is */
};

enum {
	PH_STRONG = 1,      /* outranks even a specific status code (else weak) */
	PH_HOST = 2,        /* a host name just before it makes it hostunknown */
	PH_VAGUE = 8,       /* a last resort: gives way to any status code that
			     * names a reason, even a generic one (X.7.1) */
	PH_CODE = 4,        /* an MTA's or provider's own error code, or its own
			     * mailbox lookup: it names the reason as a specific
			     * status code does */
};

/* the table's shorthands */
#define S PH_STRONG
#define W 0
#define HOST PH_HOST
#define C (PH_STRONG | PH_CODE)
#define V PH_VAGUE

static const struct phrase phrases[] = {
	/* --- provider error codes ----------------------------------------------
	 * Large receiving providers put their own code in the reply and publish
	 * what each one means; the code names the cause more precisely than the
	 * words around it ("sender rejected ... AUP#CDRBL" is an IP block), so
	 * these come first, strong, and count as codes (C): a reason a code
	 * names needs no SMTP stage to confirm it.  Each entry carries the
	 * punctuation the provider writes around it ("AUP#", "OFR_",
	 * "[TSS09]", "(S3150)", a blank before "IB212"), so that a short code
	 * cannot match inside a word, a hex queue id or a base64 token.
	 * Meanings from the providers' postmaster and help pages (see git log
	 * for the addresses). */

	/* Cox: postmaster error codes ("... Refer to Error Codes section at
	 * https://www.cox.com/... AUP#CXBL") */
	{ BW_R_BLOCKED, C, "aup#cxbl" },          /* IP blocked for spam-like behaviour */
	{ BW_R_BLOCKED, C, "aup#cdrbl" },         /* IP temporarily blocked (up to 24 hours) */
	{ BW_R_BLOCKED, C, "ipbl0" },             /* IPBL0001..IPBL0111: IP on Spamhaus/Return Path/ivmSIP */
	{ BW_R_BLOCKED, C, "ipbl1" },             /* IPBL1000: IP on Cloudmark CSI */
	{ BW_R_REQUIREPTR, C, "aup#cxdns" },      /* reverse DNS of the sending IP fails */
	{ BW_R_AUTHFAILURE, C, "aup#cxsndr" },    /* sender domain fails SPF/DomainKeys/DKIM */
	{ BW_R_REJECTED, C, "aup#cxsmtp" },       /* SMTP violation: not a legitimate sender */
	{ BW_R_REJECTED, C, "aup#cxmj" },         /* the sending account is blocked */
	{ BW_R_TOOMANYCONN, C, "aup#cxcnct" },    /* over 10 concurrent connections per IP */
	{ BW_R_SPEEDING, C, "aup#cxmxrt" },       /* over the allowed number of messages */
	{ BW_R_SPAMDETECTED, C, "urlbl0" },       /* URLBL0xx/1xxx: a URL in the body is blocklisted */
	{ BW_R_SPAMDETECTED, C, "urlbl1" },
	/* Charter / Spectrum: the same AUP# form */
	{ BW_R_SPEEDING, C, "aup#mxrt" },         /* too many messages */

	/* Orange / Wanadoo: OFR codes (postmaster.orange.fr, replies bilingual) */
	{ BW_R_TOOMANYCONN, C, "ofr004_104" },    /* "Trop de connexions ... Too many connections, slow down" */
	{ BW_R_SPEEDING, C, "ofr004_408" },       /* message rate exceeded */
	{ BW_R_BLOCKED, C, "ofr006_" },           /* OFR006_1xx: the source IP blocked for spam */
	{ BW_R_SPAMDETECTED, C, "ofr_506" },      /* "Mail rejete. Mail rejected." spam or virus */
	{ BW_R_BLOCKED, C, "ofr_999" },           /* the IP suspended for two hours */
	/* La Poste (laposte.net): LPNnnn_nnn codes at the end of the reply */
	{ BW_R_USERUNKNOWN, C, "lpn007_416" },    /* "Adresse destinataire invalide. Invalid recipient." */
	{ BW_R_REJECTED, C, "lpn007_405" },       /* "Emetteur invalide / Invalid Sender": our address takes no mail */
	{ BW_R_POLICYVIOLATION, C, "lpn007_510" },/* service refused for the content or the policy */
	{ BW_R_AUTHFAILURE, C, "lpn007_517" },    /* DMARC policy of the sender's domain */
	{ BW_R_BLOCKED, C, "lpn027_503" },        /* "Service refuse": the client host, for a while */

	/* Microsoft Exchange 5.5-2003 IMS/IMC: "MSEXCH:IMS:org:site:server 0
	 * (000C05A6) Unknown Recipient": the code and its own label */
	{ BW_R_USERUNKNOWN, C, "(000c05a6)" },
	/* Sendmail's local mailer, which looks the user up itself:
	 * "mail.local: unknown user: kijitora" */
	{ BW_R_USERUNKNOWN, C, "mail.local: unknown user" },

	/* GoDaddy / secureserver.net: IB codes after the text ("... IB212") */
	{ BW_R_SYSTEMERROR, C, " ib101" },        /* "Server temporarily unavailable": queue overloaded */
	{ BW_R_TOOMANYCONN, C, " ib103" },        /* too many sessions from this IP */
	{ BW_R_SPAMDETECTED, C, " ib212" },       /* content judged to be spam */
	{ BW_R_SECURITYERROR, C, " ib401" },      /* "Authentication not allowed on IBSMTP Servers" */
	{ BW_R_NOTCOMPLIANTRFC, C, " ib501" },    /* "Blank From: addresses are not allowed" */
	{ BW_R_NOTCOMPLIANTRFC, C, " ib502" },    /* "IP addresses are not allowed as a From: Address" */
	{ BW_R_REJECTED, C, " ib506" },           /* "From: Domain is invalid" */
	{ BW_R_AUTHFAILURE, C, " ib508" },        /* "Invalid SPF record" */
	{ BW_R_VIRUSDETECTED, C, " ib705" },      /* "Virus infected message rejected" */

	/* Yahoo (and AOL on Yahoo's servers): bracketed codes */
	{ BW_R_BLOCKED, C, "[tss09]" },           /* "All messages from IP will be permanently deferred" */
	{ BW_R_BADREPUTATION, C, "[tss04]" },     /* "deferred due to unexpected volume or user complaints" */
	{ BW_R_BADREPUTATION, C, "[ts01]" },      /* deferred: user complaints */
	{ BW_R_BADREPUTATION, C, "[ts02]" },      /* deferred: unexpected volume */
	{ BW_R_BLOCKED, C, "[ts03]" },            /* "will be permanently deferred" */
	{ BW_R_BLOCKED, C, "[bl21]" },            /* "Connections will not be accepted from IP" (Spamhaus) */
	{ BW_R_BLOCKED, C, "[bl22]" },
	{ BW_R_BLOCKED, C, "[bl23]" },
	/* AOL's own servers: CAT:XX codes (postmaster.aol.com errors) */
	{ BW_R_BLOCKED, C, "rly:b1" },            /* complaints over the threshold: IP blocked */
	{ BW_R_REJECTED, C, "rly:sn" },           /* a banned sender address */
	{ BW_R_BLOCKED, C, "dyn:t1" },            /* dynamic / residential IP */
	{ BW_R_BLOCKED, C, "rtr:bb" },            /* dynamic / residential IP */
	{ BW_R_BLOCKED, C, "rtr:du" },            /* dynamic IP (Spamhaus) */
	{ BW_R_BLOCKED, C, "rtr:rd" },            /* rDNS typical of a dynamic IP */
	{ BW_R_BLOCKED, C, "rtr:ch" },            /* a compromised host on the network */
	{ BW_R_BLOCKED, C, "rtr:bg" },            /* IP not allocated */
	{ BW_R_BLOCKED, C, "hvu:b1" },            /* IP temporarily blocked */
	{ BW_R_BLOCKED, C, "con:b1" },            /* IP over the thresholds, blocked */
	{ BW_R_REQUIREPTR, C, "dns:nr" },         /* no reverse DNS */

	/* Microsoft Outlook.com: "550 SC-001 (BAY004-MC1F19) ..." */
	{ BW_R_BLOCKED, C, " sc-001" },           /* IP/domain reputation, network on the block list */
	{ BW_R_BLOCKED, C, " sc-002" },           /* namespace mining from the IP */
	{ BW_R_BLOCKED, C, " sc-003" },           /* open proxy / relay */
	{ BW_R_BLOCKED, C, " sc-004" },           /* complaints about the IP */
	{ BW_R_BLOCKED, C, " dy-001" },           /* dynamic IP */
	{ BW_R_BLOCKED, C, " dy-002" },           /* compromised sending host */
	{ BW_R_BLOCKED, C, " ou-001" },           /* on Outlook.com's block list */
	{ BW_R_BLOCKED, C, " ou-002" },           /* reputation of the IP/domain */
	{ BW_R_SPEEDING, C, " rp-001" },          /* over the rate limit */
	{ BW_R_SPEEDING, C, " rp-002" },          /* over the rate limit on this connection */
	{ BW_R_TOOMANYCONN, C, " rp-003" },       /* over the connection limit */
	{ BW_R_BLOCKED, C, "(s3140)" },           /* "part of their network is on our block list" */
	{ BW_R_BLOCKED, C, "(s3150)" },
	{ BW_R_BLOCKED, C, "(s775)" },
	{ BW_R_BLOCKED, C, "(s844)" },
	{ BW_R_BADREPUTATION, C, "(s3113)" },     /* "temporarily rate limited due to IP reputation" */
	{ BW_R_BADREPUTATION, C, "(s3114)" },
	{ BW_R_BADREPUTATION, C, "(s3115)" },
	/* Microsoft 365: 5.7.511 and 5.7.750 by their words */
	{ BW_R_BLOCKED, S, "access denied, banned sender" },  /* 5.7.511: "banned sender[IP]" */
	{ BW_R_REJECTED, S, "unregistered domain" },  /* "blocked from sending from unregistered domains" */

	/* Apple iCloud: "554 5.7.1 [CS01] Message rejected due to local policy" */
	{ BW_R_POLICYVIOLATION, S, "[cs01]" },
	{ BW_R_POLICYVIOLATION, S, "[hm07]" },

	/* Tencent QQ */
	{ BW_R_FILTERED, S, "mail is rejected by recipients" },  /* the recipient's own block setting */
	{ BW_R_SPAMDETECTED, S, "mail content denied" },
	{ BW_R_SPAMDETECTED, S, "suspected spam" },

	/* --- the sender's own sending quota, before the mailbox's quota words
	 * ("Daily user sending quota exceeded") --- */
	{ BW_R_SPEEDING, S, "sending quota" },
	{ BW_R_SPEEDING, S, "sending limit" },
	{ BW_R_SPEEDING, S, "limits for how many messages" },
	{ BW_R_SPEEDING, S, "limit on the number of messages" },

	/* --- the mailbox is full (strong: outranks 5.1.1 and friends) --- */
	{ BW_R_MAILBOXFULL, S, "mailbox full" },
	{ BW_R_MAILBOXFULL, S, "mailbox is full" },
	{ BW_R_MAILBOXFULL, S, "mailbox is over" },
	{ BW_R_MAILBOXFULL, S, "mailbox has exceeded" },
	{ BW_R_MAILBOXFULL, S, "mailbox size limit" },
	{ BW_R_MAILBOXFULL, S, "mailbox would exceed" },
	{ BW_R_MAILBOXFULL, S, "mailbox exceeds" },
	{ BW_R_MAILBOXFULL, S, "mailbox quota" },
	{ BW_R_MAILBOXFULL, S, "recipient's mailbox exceeded" },
	{ BW_R_MAILBOXFULL, S, "inbox is full" },
	{ BW_R_MAILBOXFULL, S, "inbox full" },
	{ BW_R_MAILBOXFULL, S, "over quota" },
	{ BW_R_MAILBOXFULL, S, "overquota" },
	{ BW_R_MAILBOXFULL, S, "over the quota" },
	{ BW_R_MAILBOXFULL, S, "over its quota" },
	{ BW_R_MAILBOXFULL, S, "over their quota" },
	{ BW_R_MAILBOXFULL, S, "quota exceeded" },
	{ BW_R_MAILBOXFULL, S, "exceeded quota" },
	{ BW_R_MAILBOXFULL, S, "exceeds quota" },
	{ BW_R_MAILBOXFULL, S, "quota exceed" },
	{ BW_R_MAILBOXFULL, S, "disk quota" },
	{ BW_R_MAILBOXFULL, S, "storage quota" },
	{ BW_R_MAILBOXFULL, S, "exceeded storage" },
	{ BW_R_MAILBOXFULL, S, "exceeded their storage" },
	{ BW_R_MAILBOXFULL, S, "out of storage" },
	{ BW_R_MAILBOXFULL, S, "not enough storage" },
	{ BW_R_MAILBOXFULL, S, "user is over" },
	{ BW_R_MAILBOXFULL, S, "account is full" },
	{ BW_R_MAILBOXFULL, S, "account is over" },
	{ BW_R_MAILBOXFULL, S, "not enough disk space" },
	{ BW_R_MAILBOXFULL, S, "full mailbox" },
	{ BW_R_MAILBOXFULL, S, "exceeding their quota" },
	{ BW_R_MAILBOXFULL, S, "exceeding its quota" },
	{ BW_R_MAILBOXFULL, S, "quota violation" },
	{ BW_R_MAILBOXFULL, S, "mail box full" },
	{ BW_R_MAILBOXFULL, S, "mailfolder is full" },
	{ BW_R_MAILBOXFULL, S, "boite pleine" },           /* fr */
	{ BW_R_MAILBOXFULL, S, "boite aux lettres pleine" },
	{ BW_R_MAILBOXFULL, S, "bo\xc3\xaete pleine" },
	{ BW_R_MAILBOXFULL, S, "bo\xc3\xaete aux lettres pleine" },
	{ BW_R_MAILBOXFULL, S, "bo\xc3\xaete aux lettres est pleine" },
	{ BW_R_MAILBOXFULL, S, "boite aux lettres est pleine" },
	{ BW_R_MAILBOXFULL, S, "quota d\xc3\xa9pass\xc3\xa9" },
	{ BW_R_MAILBOXFULL, S, "postfach voll" },          /* de */
	{ BW_R_MAILBOXFULL, S, "postfach ist voll" },
	{ BW_R_MAILBOXFULL, S, "mailbox ist voll" },
	{ BW_R_MAILBOXFULL, S, "speicherplatz" },
	{ BW_R_MAILBOXFULL, S, "buz\xc3\xb3n lleno" },     /* es */
	{ BW_R_MAILBOXFULL, S, "buzon lleno" },
	{ BW_R_MAILBOXFULL, S, "buz\xc3\xb3n est\xc3\xa1 lleno" },
	{ BW_R_MAILBOXFULL, S, "cuota excedida" },
	{ BW_R_MAILBOXFULL, S, "caixa postal cheia" },     /* pt */
	{ BW_R_MAILBOXFULL, S, "caixa de correio cheia" },
	{ BW_R_MAILBOXFULL, S, "casella piena" },          /* it */
	{ BW_R_MAILBOXFULL, S, "casella di posta piena" },
	{ BW_R_MAILBOXFULL, S, "mailbox vol" },            /* nl */
	{ BW_R_MAILBOXFULL, S, "postvak vol" },
	{ BW_R_MAILBOXFULL, S, "skrzynka pe\xc5\x82na" },  /* pl */
	{ BW_R_MAILBOXFULL, S, "\xd1\x8f\xd1\x89\xd0\xb8\xd0\xba \xd0\xbf\xd0\xb5\xd1\x80\xd0\xb5\xd0\xbf\xd0\xbe\xd0\xbb\xd0\xbd\xd0\xb5\xd0\xbd" }, /* ru: ящик переполнен */
	{ BW_R_MAILBOXFULL, S, "\xe9\x82\xae\xe7\xae\xb1\xe5\xb7\xb2\xe6\xbb\xa1" },  /* zh: 邮箱已满 */
	{ BW_R_MAILBOXFULL, S, "\xe5\xae\xb9\xe9\x87\x8f\xe3\x82\xaa\xe3\x83\xbc\xe3\x83\x90\xe3\x83\xbc" }, /* ja: 容量オーバー */

	/* --- the remote system itself is out of space --- */
	{ BW_R_SYSTEMFULL, S, "insufficient disk space" },
	{ BW_R_SYSTEMFULL, S, "insufficient system storage" },
	{ BW_R_SYSTEMFULL, S, "mail system full" },
	{ BW_R_SYSTEMFULL, S, "system is full" },
	{ BW_R_SYSTEMFULL, S, "file system full" },
	{ BW_R_SYSTEMFULL, S, "no space left on device" },

	/* --- sender authentication (SPF, DKIM, DMARC): the sender's problem --- */
	{ BW_R_AUTHFAILURE, S, "dmarc policy" },
	{ BW_R_AUTHFAILURE, S, "dmarc verification" },
	{ BW_R_AUTHFAILURE, S, "dmarc validation" },
	{ BW_R_AUTHFAILURE, S, "dmarc check" },
	{ BW_R_AUTHFAILURE, S, "dmarc fail" },
	{ BW_R_AUTHFAILURE, S, "dmarc reject" },
	{ BW_R_AUTHFAILURE, S, "failed dmarc" },
	{ BW_R_AUTHFAILURE, S, "fails dmarc" },
	{ BW_R_AUTHFAILURE, S, "per dmarc" },
	{ BW_R_AUTHFAILURE, S, "owner dmarc" },
	{ BW_R_AUTHFAILURE, S, "spf check" },
	{ BW_R_AUTHFAILURE, S, "spf validation" },
	{ BW_R_AUTHFAILURE, S, "spf fail" },
	{ BW_R_AUTHFAILURE, S, "bad spf record" },
	{ BW_R_AUTHFAILURE, S, "no spf record" },
	{ BW_R_AUTHFAILURE, S, "have spf record" },      /* "does not have SPF record" */
	{ BW_R_AUTHFAILURE, S, "have an spf record" },
	{ BW_R_AUTHFAILURE, S, "per it's spf record" },
	{ BW_R_AUTHFAILURE, S, "per its spf record" },
	{ BW_R_AUTHFAILURE, S, "spf record with a hard fail" },
	{ BW_R_AUTHFAILURE, S, "not permitted by spf" },
	{ BW_R_AUTHFAILURE, S, "spf: " },
	{ BW_R_AUTHFAILURE, S, "spf softfail" },
	{ BW_R_AUTHFAILURE, S, "spf hardfail" },
	{ BW_R_AUTHFAILURE, S, "spf policy" },
	{ BW_R_AUTHFAILURE, S, "sender policy framework" },
	{ BW_R_AUTHFAILURE, S, "dkim signature" },
	{ BW_R_AUTHFAILURE, S, "dkim validation" },
	{ BW_R_AUTHFAILURE, S, "dkim check" },
	{ BW_R_AUTHFAILURE, S, "dkim verification" },
	{ BW_R_AUTHFAILURE, S, "not authenticated with dkim" },
	{ BW_R_AUTHFAILURE, S, "unauthenticated email" },
	{ BW_R_AUTHFAILURE, S, "unauthenticated mail" },
	{ BW_R_AUTHFAILURE, S, "sender is unauthenticated" },
	{ BW_R_AUTHFAILURE, S, "authentication checks failed" },
	{ BW_R_AUTHFAILURE, S, "does not pass authentication" },
	{ BW_R_AUTHFAILURE, S, "authentication failed for the sender" },
	{ BW_R_AUTHFAILURE, S, "arc validation" },

	/* --- missing or wrong reverse DNS of the sending host --- */
	{ BW_R_REQUIREPTR, S, "ptr record" },
	{ BW_R_REQUIREPTR, S, "reverse dns" },
	{ BW_R_REQUIREPTR, S, "reverse lookup" },
	{ BW_R_REQUIREPTR, S, "reverse-lookup" },
	{ BW_R_REQUIREPTR, S, "rdns" },
	{ BW_R_REQUIREPTR, S, "no reverse" },
	{ BW_R_REQUIREPTR, S, "does not have a reverse" },
	{ BW_R_REQUIREPTR, S, "cannot resolve your address" },
	{ BW_R_REQUIREPTR, S, "cannot find your hostname" },
	{ BW_R_REQUIREPTR, S, "cannot find your reverse" },
	{ BW_R_REQUIREPTR, S, "unresolvable ip" },
	{ BW_R_REQUIREPTR, S, "mismatches client ip" },
	{ BW_R_REQUIREPTR, S, "ip name lookup failed" },
	{ BW_R_REQUIREPTR, S, "without a valid sender domain" },
	{ BW_R_REQUIREPTR, S, "hostname does not resolve" },
	{ BW_R_REQUIREPTR, S, "host name does not match" },
	{ BW_R_REQUIREPTR, S, "unverifyable sending ip" },
	{ BW_R_REQUIREPTR, S, "unverifiable sending ip" },
	{ BW_R_REQUIREPTR, S, "no ptr" },

	/* --- the sender's IP reputation --- */
	{ BW_R_BADREPUTATION, S, "ip reputation" },
	{ BW_R_BADREPUTATION, S, "poor reputation" },
	{ BW_R_BADREPUTATION, S, "bad reputation" },
	{ BW_R_BADREPUTATION, S, "low reputation" },
	{ BW_R_BADREPUTATION, S, "sender reputation" },
	{ BW_R_BADREPUTATION, S, "domain reputation" },
	{ BW_R_BADREPUTATION, S, "due to reputation" },
	{ BW_R_BADREPUTATION, S, "temporarily deferred due to unexpected volume" },
	{ BW_R_BADREPUTATION, S, "due to user complaints" },

	/* --- too many connections, sending too fast --- */
	{ BW_R_TOOMANYCONN, S, "too many connections" },
	{ BW_R_TOOMANYCONN, S, "too many concurrent" },
	{ BW_R_TOOMANYCONN, S, "too many simultaneous" },
	{ BW_R_TOOMANYCONN, S, "connection limit" },
	{ BW_R_TOOMANYCONN, S, "connection rate limit" },
	{ BW_R_TOOMANYCONN, S, "connection frequency" },
	{ BW_R_TOOMANYCONN, S, "frequency limited" },
	{ BW_R_TOOMANYCONN, S, "too many sessions" },
	{ BW_R_TOOMANYCONN, S, "too many open connections" },   /* Sendmail FEATURE(conncontrol) */
	{ BW_R_SPEEDING, S, "receiving mail at a rate" },
	{ BW_R_SPEEDING, S, "receiving mail too quickly" },
	{ BW_R_SPEEDING, S, "try again slower" },
	{ BW_R_SPEEDING, S, "slow down" },
	{ BW_R_SPEEDING, S, "rate limit" },
	{ BW_R_SPEEDING, S, "ratelimit" },
	{ BW_R_SPEEDING, S, "rate-limit" },
	{ BW_R_SPEEDING, S, "sending too fast" },
	{ BW_R_SPEEDING, S, "too many messages" },
	{ BW_R_SPEEDING, S, "too much mail" },
	{ BW_R_SPEEDING, S, "mail flood" },
	{ BW_R_SPEEDING, S, "throttl" },

	/* --- relaying --- */
	{ BW_R_NORELAYING, S, "insecure mail relay" },
	{ BW_R_NORELAYING, S, "relaying denied" },
	{ BW_R_NORELAYING, S, "relay access denied" },
	{ BW_R_NORELAYING, S, "relay not permitted" },
	{ BW_R_NORELAYING, S, "relaying not permitted" },
	{ BW_R_NORELAYING, S, "not permitted to relay" },
	{ BW_R_NORELAYING, S, "unable to relay" },
	{ BW_R_NORELAYING, S, "relaying not allowed" },
	{ BW_R_NORELAYING, S, "relay denied" },
	{ BW_R_NORELAYING, S, "no relaying" },
	{ BW_R_NORELAYING, S, "not configured to relay" },
	{ BW_R_NORELAYING, S, "we do not relay" },
	{ BW_R_NORELAYING, S, "relay prohibited" },
	{ BW_R_NORELAYING, S, "not a gateway" },
	{ BW_R_NORELAYING, S, "allowed rcpthosts" },     /* qmail: not a domain it accepts mail for */
	{ BW_R_NORELAYING, S, "email address is not verified" },

	/* --- TLS --- */
	{ BW_R_FAILEDSTARTTLS, S, "starttls" },
	{ BW_R_FAILEDSTARTTLS, S, "tls required" },
	{ BW_R_FAILEDSTARTTLS, S, "tls is required" },
	{ BW_R_FAILEDSTARTTLS, S, "requires tls" },
	{ BW_R_FAILEDSTARTTLS, S, "must issue a starttls" },
	{ BW_R_FAILEDSTARTTLS, S, "encryption required" },
	{ BW_R_FAILEDSTARTTLS, S, "tls handshake" },
	{ BW_R_FAILEDSTARTTLS, S, "does not support tls" },   /* Gmail: "Remote server does not support TLS" */
	{ BW_R_FAILEDSTARTTLS, S, "doesn't support tls" },

	/* --- SMTP authentication required of the sending client --- */
	{ BW_R_SECURITYERROR, S, "authentication required" },
	{ BW_R_SECURITYERROR, S, "authrequired" },
	{ BW_R_SECURITYERROR, S, "smtp authentication" },
	{ BW_R_SECURITYERROR, S, "unauthenticated senders" },
	{ BW_R_SECURITYERROR, S, "must be authenticated" },
	{ BW_R_SECURITYERROR, S, "authentication is required" },
	{ BW_R_SECURITYERROR, S, "user not authenticated" },
	{ BW_R_SECURITYERROR, S, "not authenticated to send" },
	{ BW_R_SECURITYERROR, S, "insecure" },
	{ BW_R_SECURITYERROR, S, "could not retrieve credentials" },  /* OpenSMTPD: no secret for the relay's AUTH */

	/* --- content --- */
	{ BW_R_VIRUSDETECTED, S, "virus" },
	{ BW_R_VIRUSDETECTED, S, "malware" },
	{ BW_R_VIRUSDETECTED, S, "infected" },
	{ BW_R_VIRUSDETECTED, S, "trojan" },
	{ BW_R_SPAMDETECTED, S, "blacklisted url" },        /* a URL blocklist judges the content */
	{ BW_R_SPAMDETECTED, S, "blacklisted link" },
	{ BW_R_SPAMDETECTED, S, "blocklisted url" },
	{ BW_R_SPAMDETECTED, S, "uribl" },
	{ BW_R_SPAMDETECTED, S, "surbl" },
	{ BW_R_SPAMDETECTED, S, "scored as spam" },
	{ BW_R_SPAMDETECTED, S, "spam classification" },
	{ BW_R_SPAMDETECTED, S, "classified as spam" },
	{ BW_R_SPAMDETECTED, S, "considered spam" },
	{ BW_R_SPAMDETECTED, S, "looks like spam" },
	{ BW_R_SPAMDETECTED, S, "detected as spam" },
	{ BW_R_SPAMDETECTED, S, "identified as spam" },
	{ BW_R_SPAMDETECTED, S, "spam content" },
	{ BW_R_SPAMDETECTED, S, "spam message" },
	{ BW_R_SPAMDETECTED, S, "spam score" },
	{ BW_R_SPAMDETECTED, S, "spamscore" },
	{ BW_R_SPAMDETECTED, S, "message is spam" },
	{ BW_R_SPAMDETECTED, S, "rejected as spam" },
	{ BW_R_SPAMDETECTED, S, "rejected: spam" },
	{ BW_R_SPAMDETECTED, S, "- spam" },
	{ BW_R_SPAMDETECTED, S, "likely spam" },
	{ BW_R_SPAMDETECTED, S, "junk mail" },
	{ BW_R_SPAMDETECTED, S, "unsolicited" },
	{ BW_R_SPAMDETECTED, S, "bulk mail" },
	{ BW_R_CONTENTERROR, S, "invalid mime" },       /* before "content rejected" */
	{ BW_R_CONTENTERROR, S, "mime structure" },
	{ BW_R_SPAMDETECTED, S, "content rejected" },
	{ BW_R_SPAMDETECTED, S, "spam detected" },
	{ BW_R_SPAMDETECTED, S, "spam policy" },
	{ BW_R_SPAMDETECTED, S, "spam-like" },
	{ BW_R_POLICYVIOLATION, S, "policy violation" },
	{ BW_R_POLICYVIOLATION, S, "violates our policy" },
	{ BW_R_POLICYVIOLATION, S, "violation of our policy" },
	{ BW_R_POLICYVIOLATION, S, "policy reasons" },
	{ BW_R_POLICYVIOLATION, S, "denied by policy" },
	{ BW_R_POLICYVIOLATION, S, "prohibited attachment" },
	{ BW_R_POLICYVIOLATION, S, "attachment not allowed" },
	{ BW_R_POLICYVIOLATION, S, "illegal attachment" },
	{ BW_R_POLICYVIOLATION, S, "executable attachment" },
	{ BW_R_POLICYVIOLATION, S, "content presents a potential" },
	{ BW_R_POLICYVIOLATION, S, "network not allowed" },
	{ BW_R_POLICYVIOLATION, S, "security policy" },
	{ BW_R_POLICYVIOLATION, S, "local policy" },
	{ BW_R_NOTCOMPLIANTRFC, S, "not rfc compliant" },
	{ BW_R_NOTCOMPLIANTRFC, S, "not rfc 5322 compliant" },
	{ BW_R_NOTCOMPLIANTRFC, S, "not rfc5322 compliant" },
	{ BW_R_NOTCOMPLIANTRFC, S, "rfc 5322" },
	{ BW_R_NOTCOMPLIANTRFC, S, "rfc5322" },
	{ BW_R_NOTCOMPLIANTRFC, S, "rfc 2822" },
	{ BW_R_NOTCOMPLIANTRFC, S, "multiple addresses in from" },
	{ BW_R_NOTCOMPLIANTRFC, S, "messages with multiple" },
	{ BW_R_NOTCOMPLIANTRFC, S, "missing required header" },
	{ BW_R_NOTCOMPLIANTRFC, S, "no date header" },
	{ BW_R_NOTCOMPLIANTRFC, S, "missing date header" },
	{ BW_R_NOTCOMPLIANTRFC, S, "no message-id" },
	{ BW_R_NOTCOMPLIANTRFC, S, "missing message-id" },
	{ BW_R_NOTCOMPLIANTRFC, S, "bare linefeed" },        /* LF without CR: RFC 5322 2.3 */
	{ BW_R_NOTCOMPLIANTRFC, S, "bare lf" },
	{ BW_R_NOTCOMPLIANTRFC, S, "bare line feed" },
	{ BW_R_NOTCOMPLIANTRFC, S, "bare newline" },         /* Cyrus: "Message contains bare newlines" */
	{ BW_R_CONTENTERROR, S, "media error" },
	{ BW_R_CONTENTERROR, S, "duplicate header" },
	{ BW_R_CONTENTERROR, S, "8-bit data in message header" },
	{ BW_R_CONTENTERROR, S, "8bit data in message header" },
	{ BW_R_CONTENTERROR, S, "header error" },
	{ BW_R_CONTENTERROR, S, "illegal header" },
	{ BW_R_CONTENTERROR, S, "invalid header" },
	{ BW_R_CONTENTERROR, S, "malformed header" },
	{ BW_R_CONTENTERROR, S, "header syntax" },
	{ BW_R_MESGTOOBIG, W, "message too large" },
	{ BW_R_MESGTOOBIG, W, "message too big" },
	{ BW_R_MESGTOOBIG, W, "message is too large" },
	{ BW_R_MESGTOOBIG, W, "message is too big" },
	{ BW_R_MESGTOOBIG, W, "message size exceeds" },
	{ BW_R_MESGTOOBIG, W, "message length exceeds" },
	{ BW_R_MESGTOOBIG, W, "maximum inbound message size" },
	{ BW_R_MESGTOOBIG, W, "maximum message size" },
	{ BW_R_MESGTOOBIG, W, "exceeds size limit" },
	{ BW_R_MESGTOOBIG, W, "size limit" },
	{ BW_R_MESGTOOBIG, W, "line limit exceeded" },
	{ BW_R_MESGTOOBIG, W, "line too long" },
	{ BW_R_MESGTOOBIG, W, "too large for" },
	{ BW_R_MESGTOOBIG, W, "message exceeds" },
	{ BW_R_EXCEEDLIMIT, W, "exceeded the limit" },
	{ BW_R_EXCEEDLIMIT, W, "exceeds administrative limit" },
	{ BW_R_TOOMANYCONN, W, "too many recipients" },

	/* --- the account exists but does not take mail --- */
	{ BW_R_SUSPEND, S, "account disabled" },
	{ BW_R_SUSPEND, S, "account has been disabled" },
	{ BW_R_SUSPEND, S, "account is disabled" },
	{ BW_R_SUSPEND, S, "account that you tried to reach is disabled" },
	{ BW_R_SUSPEND, S, "account that you tried to reach is inactive" },
	{ BW_R_SUSPEND, S, "has been disabled" },
	{ BW_R_SUSPEND, S, "mailbox disabled" },
	{ BW_R_SUSPEND, S, "mailbox is disabled" },
	{ BW_R_SUSPEND, S, "disabled recipient" },
	{ BW_R_SUSPEND, S, "disabled mailbox" },
	{ BW_R_SUSPEND, S, "account suspended" },
	{ BW_R_SUSPEND, S, "account is suspended" },
	{ BW_R_SUSPEND, S, "has been suspended" },
	{ BW_R_SUSPEND, S, "mailbox is frozen" },
	{ BW_R_SUSPEND, S, "account is frozen" },
	{ BW_R_SUSPEND, S, "account is locked" },
	{ BW_R_SUSPEND, S, "account locked" },
	{ BW_R_SUSPEND, S, "temporary locked" },
	{ BW_R_SUSPEND, S, "temporarily locked" },
	{ BW_R_SUSPEND, S, "account is blocked" },
	{ BW_R_SUSPEND, S, "account is expired" },
	{ BW_R_SUSPEND, S, "account expired" },
	{ BW_R_SUSPEND, S, "or discontinued" },
	{ BW_R_SUSPEND, S, "compte du destinataire est bloque" },  /* fr */
	{ BW_R_SUSPEND, S, "compte d\xc3\xa9sactiv\xc3\xa9" },
	{ BW_R_SUSPEND, S, "konto gesperrt" },                    /* de */
	{ BW_R_SUSPEND, S, "cuenta desactivada" },                /* es */
	{ BW_R_SUSPEND, W, "inactive" },
	{ BW_R_SUSPEND, W, "not active" },
	{ BW_R_SUSPEND, W, "is disabled" },
	{ BW_R_SUSPEND, W, "no longer active" },
	{ BW_R_SUSPEND, W, "mailbox is locked" },
	{ BW_R_SUSPEND, W, "mailbox is suspended" },
	{ BW_R_SUSPEND, W, "mailbox is temporarily suspended" },  /* not Postfix's "delivery temporarily suspended" */
	{ BW_R_HASMOVED, S, "has moved" },
	{ BW_R_HASMOVED, S, "no longer on server" },
	{ BW_R_HASMOVED, S, "moved permanently" },
	{ BW_R_HASMOVED, W, "user not local; please try" },   /* RFC 5321 551: the forward-path given */

	/* --- the domain takes no mail (null MX, RFC 7505) --- */
	{ BW_R_REJECTED, S, "sender domain has null mx" },   /* RFC 7505 3.4: 5.7.27, the sender's problem */
	{ BW_R_REJECTED, S, "sender address has null mx" },
	{ BW_R_REJECTED, S, "sender address rejected" },     /* Postfix, whatever follows ("... does not accept mail (nullMX)") */
	{ BW_R_NOTACCEPT, S, "null mx" },
	{ BW_R_NOTACCEPT, S, "does not accept mail" },
	{ BW_R_NOTACCEPT, S, "doesn't receive email" },
	{ BW_R_NOTACCEPT, S, "does not receive email" },
	{ BW_R_NOTACCEPT, S, "not accepting mail" },
	{ BW_R_NOTACCEPT, S, "indicated no smtp service" },   /* Exim: null MX; a bare "No SMTP service" is a refusal banner */
	{ BW_R_NOTACCEPT, S, "not accepting network messages" },
	{ BW_R_NOTACCEPT, W, "couldn't find a mail exchanger" },
	{ BW_R_NOTACCEPT, W, "no mx record" },
	{ BW_R_NOTACCEPT, W, "no mx found" },

	/* --- "the account or domain may not exist, they may be blacklisted":
	 * the domain comes first (before "blacklisted") --- */
	{ BW_R_HOSTUNKNOWN, W, "domain may not exist" },

	/* --- the sender is refused ("sender address rejected" is above) --- */
	{ BW_R_REJECTED, S, "sender rejected" },
	{ BW_R_REJECTED, S, "sender was rejected" },
	{ BW_R_REJECTED, S, "sender denied" },
	{ BW_R_REJECTED, S, "sender blocked" },
	{ BW_R_REJECTED, S, "domain of sender address" },
	{ BW_R_REJECTED, S, "sender verify failed" },
	{ BW_R_REJECTED, S, "unroutable sender" },
	{ BW_R_REJECTED, S, "sender domain" },
	{ BW_R_REJECTED, S, "invalid sender" },
	{ BW_R_REJECTED, S, "bad sender" },
	{ BW_R_REJECTED, S, "purported responsible address" },
	{ BW_R_REJECTED, S, "permission to post" },
	{ BW_R_REJECTED, S, "not allowed to post" },
	/* the same, as list servers say it in other languages */
	{ BW_R_REJECTED, S, "permisos necesarios para publicar" },                    /* es */
	{ BW_R_REJECTED, S, "permiss\xc3\xa3o para postar" },                          /* pt */
	{ BW_R_REJECTED, S, "autorisation de publier" },                              /* fr */
	{ BW_R_REJECTED, S, "berechtigung zum posten" },                              /* de */
	{ BW_R_REJECTED, S, "autorizzazione a pubblicare" },                          /* it */
	{ BW_R_REJECTED, S, "\xce\xb4\xce\xb9\xce\xba\xce\xb1\xce\xaf\xcf\x89\xce\xbc\xce\xb1 \xce\xb1\xce\xbd\xce\xac\xcf\x81\xcf\x84\xce\xb7\xcf\x83\xce\xb7\xcf\x82" }, /* el: δικαίωμα ανάρτησης */
	{ BW_R_REJECTED, S, "\xd9\x85\xd8\xac\xd9\x88\xd8\xb2 \xd9\x84\xd8\xa7\xd8\xb2\xd9\x85 \xd8\xa8\xd8\xb1\xd8\xa7\xdb\x8c \xd8\xa7\xd8\xb1\xd8\xb3\xd8\xa7\xd9\x84" }, /* fa: مجوز لازم برای ارسال */
	{ BW_R_REJECTED, S, "\xd7\x90\xd7\x99\xd7\xa9\xd7\x95\xd7\xa8 \xd7\x9c\xd7\xa4\xd7\xa8\xd7\xa1\xd7\x9d" }, /* he: אישור לפרסם */
	{ BW_R_REJECTED, S, "\xe0\xa4\xaa\xe0\xa5\x8b\xe0\xa4\xb8\xe0\xa5\x8d\xe0\xa4\x9f \xe0\xa4\x95\xe0\xa4\xb0\xe0\xa4\xa8\xe0\xa5\x87 \xe0\xa4\x95\xe0\xa5\x80 \xe0\xa4\x85\xe0\xa4\xa8\xe0\xa5\x81\xe0\xa4\xae\xe0\xa4\xa4\xe0\xa4\xbf" }, /* hi: पोस्ट करने की अनुमति */
	{ BW_R_REJECTED, S, "\xd0\xb4\xd0\xbe\xd0\xb7\xd0\xb2\xd0\xbe\xd0\xbb\xd1\x83 \xd0\xbf\xd1\x83\xd0\xb1\xd0\xbb\xd1\x96\xd0\xba\xd1\x83\xd0\xb2\xd0\xb0\xd1\x82\xd0\xb8" }, /* uk: дозволу публікувати */
	{ BW_R_REJECTED, S, "\xd1\x80\xd0\xb0\xd0\xb7\xd1\x80\xd0\xb5\xd1\x88\xd0\xb5\xd0\xbd\xd0\xb8\xd1\x8f \xd0\xbd\xd0\xb0 \xd0\xbf\xd1\x83\xd0\xb1\xd0\xbb\xd0\xb8\xd0\xba\xd0\xb0\xd1\x86\xd0\xb8\xd1\x8e" }, /* ru: разрешения на публикацию */
	{ BW_R_REJECTED, S, "\xe6\x8a\x95\xe7\xa8\xbf\xe3\x81\x99\xe3\x82\x8b\xe6\xa8\xa9\xe9\x99\x90" }, /* ja: 投稿する権限 */
	{ BW_R_REJECTED, S, "not a member of this mailing list" },
	{ BW_R_REJECTED, S, "not a member of this list" },
	{ BW_R_REJECTED, S, "address that has been blacklisted" },
	{ BW_R_REJECTED, S, "address has been blacklisted" },
	{ BW_R_REJECTED, S, "envelope sender" },

	/* --- directory lookups that found no such user (before "listed in") --- */
	{ BW_R_USERUNKNOWN, W, "not listed in public name" },
	{ BW_R_USERUNKNOWN, W, "not listed in the directory" },
	{ BW_R_USERUNKNOWN, W, "not listed in domino directory" },
	/* ja: ディレクトリのリストにありません, in UTF-8 and as ISO-2022-JP sends it */
	{ BW_R_USERUNKNOWN, W, "\xe3\x83\x87\xe3\x82\xa3\xe3\x83\xac\xe3\x82\xaf\xe3\x83\x88\xe3\x83\xaa\xe3\x81\xae\xe3\x83\xaa\xe3\x82\xb9\xe3\x83\x88\xe3\x81\xab\xe3\x81\x82\xe3\x82\x8a\xe3\x81\xbe\xe3\x81\x9b\xe3\x82\x93" },
	{ BW_R_USERUNKNOWN, W, "%g%#%l%/%h%j$n%j%9%h$k$\"$j$^$;$s" },

	/* --- the sending host or network is refused --- */
	{ BW_R_BLOCKED, S, "blacklisted" },
	{ BW_R_BLOCKED, S, "blocklisted" },
	{ BW_R_BLOCKED, S, "blacklist" },
	{ BW_R_BLOCKED, S, "blocklist" },
	{ BW_R_BLOCKED, S, "spamhaus" },
	{ BW_R_BLOCKED, S, "spamcop" },
	{ BW_R_BLOCKED, S, "sorbs" },
	{ BW_R_BLOCKED, S, "barracuda" },
	{ BW_R_BLOCKED, S, "dnsbl" },
	{ BW_R_BLOCKED, S, "blocked using" },
	{ BW_R_BLOCKED, S, "banned sending ip" },
	{ BW_R_BLOCKED, S, "not accepted from this ip" },
	{ BW_R_BLOCKED, S, "client host blocked" },
	{ BW_R_BLOCKED, S, "host blocked" },
	{ BW_R_BLOCKED, S, "ip blocked" },
	{ BW_R_BLOCKED, S, "blocked ip" },
	{ BW_R_BLOCKED, S, "ip address is blocked" },
	{ BW_R_BLOCKED, S, "ip address has been blocked" },
	{ BW_R_BLOCKED, S, "your ip" },
	{ BW_R_BLOCKED, S, "refused to talk to me" },
	{ BW_R_BLOCKED, S, "not accepting connections" },
	{ BW_R_BLOCKED, S, "connection refused" },
	{ BW_R_BLOCKED, S, "adresse ip source bloquee" },         /* fr */
	{ BW_R_BLOCKED, S, "block list" },
	{ BW_R_BLOCKED, S, "blocking list" },
	{ BW_R_BLOCKED, S, "smtp server of your isp" },
	{ BW_R_BLOCKED, S, "dynamic ip" },
	{ BW_R_BLOCKED, S, "dynamic address" },
	{ BW_R_BLOCKED, S, "dial-up" },
	{ BW_R_BLOCKED, S, "dialup" },
	{ BW_R_BLOCKED, S, "residential ip" },
	{ BW_R_BLOCKED, S, "weren't sent" },
	{ BW_R_BLOCKED, S, "listed at" },
	{ BW_R_BLOCKED, S, "listed in" },
	{ BW_R_BLOCKED, W, "client host rejected" },

	/* --- a filter answering in a user's name: ": User unknown" names no user --- */
	{ BW_R_FILTERED, S, "550 : user unknown" },

	/* --- the address does not exist (hard) --- */
	{ BW_R_USERUNKNOWN, W, "user unknown" },
	{ BW_R_USERUNKNOWN, W, "unknown user" },
	{ BW_R_USERUNKNOWN, W, "user not found" },
	{ BW_R_USERUNKNOWN, W, "user not exist" },
	{ BW_R_USERUNKNOWN, W, "user does not exist" },
	{ BW_R_USERUNKNOWN, W, "user doesn't exist" },
	{ BW_R_USERUNKNOWN, W, "user not known" },
	{ BW_R_USERUNKNOWN, W, "no such user" },
	{ BW_R_USERUNKNOWN, W, "no such recipient" },
	{ BW_R_USERUNKNOWN, W, "no such mailbox" },
	{ BW_R_USERUNKNOWN, W, "no such address" },
	{ BW_R_USERUNKNOWN, W, "no such account" },
	{ BW_R_USERUNKNOWN, W, "no such person" },
	{ BW_R_USERUNKNOWN, W, "no mailbox" },
	{ BW_R_USERUNKNOWN, W, "unknown recipient" },
	{ BW_R_USERUNKNOWN, W, "recipient unknown" },
	{ BW_R_USERUNKNOWN, W, "recipient not found" },
	{ BW_R_USERUNKNOWN, W, "recipnotfound" },
	{ BW_R_USERUNKNOWN, W, "recipient not recognized" },
	{ BW_R_USERUNKNOWN, W, "name is not recognized" },
	{ BW_R_USERUNKNOWN, W, "invalid recipient" },
	{ BW_R_USERUNKNOWN, W, "recipient invalid" },
	{ BW_R_USERUNKNOWN, W, "mailbox unavailable" },
	{ BW_R_USERUNKNOWN, W, "mailbox not found" },
	{ BW_R_USERUNKNOWN, W, "mailbox does not exist" },
	{ BW_R_USERUNKNOWN, W, "mailbox doesn't exist" },
	{ BW_R_USERUNKNOWN, W, "account does not exist" },
	{ BW_R_USERUNKNOWN, W, "address does not exist" },
	{ BW_R_USERUNKNOWN, W, "account that you tried to reach does not exist" },
	{ BW_R_USERUNKNOWN, W, "user doesn't have a" },           /* "... a yahoo.com account" */
	{ BW_R_USERUNKNOWN, W, "address is wrong or no longer valid" },
	{ BW_R_USERUNKNOWN, W, "no matches to nameserver query" },  /* phquery: a CSO directory, not DNS */
	{ BW_R_USERUNKNOWN, W, "not a valid mailbox" },
	{ BW_R_USERUNKNOWN, W, "unknown local part" },
	{ BW_R_USERUNKNOWN, W, "unknown address" },
	{ BW_R_USERUNKNOWN, W, "invalid mailbox" },
	{ BW_R_USERUNKNOWN, W, "invalid address" },
	{ BW_R_USERUNKNOWN, W, "address unknown" },
	{ BW_R_USERUNKNOWN, W, "address rejected: unknown" },
	{ BW_R_USERUNKNOWN, W, "recipient address rejected: user" },
	{ BW_R_USERUNKNOWN, W, "recipient address rejected: access denied" },
	{ BW_R_USERUNKNOWN, W, "wasn't found at the destination" },
	{ BW_R_USERUNKNOWN, W, "wasnt found at the destination" },
	{ BW_R_USERUNKNOWN, W, "wasn\xe2\x80\x99t found at the destination" },   /* typographic apostrophe */
	{ BW_R_USERUNKNOWN, W, "wasn\x92t found at the destination" },              /* the same in cp1252 */
	{ BW_R_USERUNKNOWN, W, "not found at the destination domain" },
	{ BW_R_USERUNKNOWN, W, "destination mailbox address" },
	{ BW_R_USERUNKNOWN, W, "no valid recipients" },
	{ BW_R_USERUNKNOWN, W, "final delivery userid" },
	{ BW_R_USERUNKNOWN, W, "invalid user address" },
	{ BW_R_USERUNKNOWN, W, "check if address is correct" },
	{ BW_R_USERUNKNOWN, W, "and other recipients in the same domain" },
	{ BW_R_USERUNKNOWN, W, "no longer exists" },
	{ BW_R_USERUNKNOWN, W, "no longer with the" },
	{ BW_R_USERUNKNOWN, W, "address couldn't be found" },
	{ BW_R_USERUNKNOWN, W, "address could not be found" },
	{ BW_R_USERUNKNOWN, W, "you entered couldn't be found" },   /* Outlook: "The email address you entered ..." */
	{ BW_R_USERUNKNOWN, W, "mailbox name not allowed" },     /* RFC 5321 553 */
	{ BW_R_USERUNKNOWN, W, "utilisateur inconnu" },            /* fr */
	{ BW_R_USERUNKNOWN, W, "destinataire inconnu" },
	{ BW_R_USERUNKNOWN, W, "adresse destinataire invalide" },
	{ BW_R_USERUNKNOWN, W, "adresse inconnue" },
	{ BW_R_USERUNKNOWN, W, "unbekannt" },                      /* de */
	{ BW_R_USERUNKNOWN, W, "existiert nicht" },
	{ BW_R_USERUNKNOWN, W, "usuario desconocido" },            /* es */
	{ BW_R_USERUNKNOWN, W, "usuario no existe" },
	{ BW_R_USERUNKNOWN, W, "usu\xc3\xa1rio desconhecido" },    /* pt */
	{ BW_R_USERUNKNOWN, W, "usuario desconhecido" },
	{ BW_R_USERUNKNOWN, W, "utente sconosciuto" },             /* it */
	{ BW_R_USERUNKNOWN, W, "utente inesistente" },
	{ BW_R_USERUNKNOWN, W, "onbekende gebruiker" },            /* nl */
	{ BW_R_USERUNKNOWN, W, "gebruiker onbekend" },
	{ BW_R_USERUNKNOWN, W, "ongeldige ontvanger" },
	{ BW_R_USERUNKNOWN, W, "\xd0\xbe\xd0\xbb\xd1\x8c\xd0\xb7\xd0\xbe\xd0\xb2\xd0\xb0\xd1\x82\xd0\xb5\xd0\xbb\xd1\x8c \xd0\xbd\xd0\xb5 \xd0\xbd\xd0\xb0\xd0\xb9\xd0\xb4\xd0\xb5\xd0\xbd" }, /* ru: (п)ользователь не найден */
	{ BW_R_USERUNKNOWN, W, "\xd0\xbe\xd0\xbb\xd1\x8c\xd0\xb7\xd0\xbe\xd0\xb2\xd0\xb0\xd1\x82\xd0\xb5\xd0\xbb\xd1\x8f \xd0\xbd\xd0\xb5\xd1\x82" }, /* ru: (п)ользователя нет */
	{ BW_R_USERUNKNOWN, W, "\xd0\xb5\xd1\x82 \xd1\x82\xd0\xb0\xd0\xba\xd0\xbe\xd0\xb3\xd0\xbe \xd0\xbf\xd0\xbe\xd0\xbb\xd1\x8c\xd0\xb7\xd0\xbe\xd0\xb2\xd0\xb0\xd1\x82\xd0\xb5\xd0\xbb\xd1\x8f" }, /* ru: (н)ет такого пользователя (Cyrillic does not fold: no first letter) */
	{ BW_R_USERUNKNOWN, W, "\xe7\x94\xa8\xe6\x88\xb7\xe4\xb8\x8d\xe5\xad\x98\xe5\x9c\xa8" },  /* zh: 用户不存在 */
	{ BW_R_USERUNKNOWN, W, "\xe6\x94\xb6\xe4\xbb\xb6\xe4\xba\xba\xe4\xb8\x8d\xe5\xad\x98\xe5\x9c\xa8" },  /* zh: 收件人不存在 */
	{ BW_R_USERUNKNOWN, W, "\xe5\xad\x98\xe5\x9c\xa8\xe3\x81\x97\xe3\x81\xbe\xe3\x81\x9b\xe3\x82\x93" },  /* ja: 存在しません */
	{ BW_R_USERUNKNOWN, W, "\xe5\xae\x9b\xe5\x85\x88\xe4\xb8\x8d\xe6\x98\x8e" },            /* ja: 宛先不明 */

	/* --- the domain does not exist (hard) --- */
	{ BW_R_BLOCKED, S, "helo command rejected" },      /* our HELO name, not the recipient's domain */
	{ BW_R_BLOCKED, S, "my name was rejected" },       /* Sendmail: our HELO name */
	{ BW_R_NETWORKERROR, S, "host not found, try again" },
	{ BW_R_HOSTUNKNOWN, W, "host unknown" },
	{ BW_R_HOSTUNKNOWN, W, "unrouteable address" },
	{ BW_R_HOSTUNKNOWN, W, "unknown host" },
	{ BW_R_HOSTUNKNOWN, W, "host not found" },
	{ BW_R_HOSTUNKNOWN, W, "find any host named" },
	{ BW_R_HOSTUNKNOWN, W, "domain not found" },
	{ BW_R_HOSTUNKNOWN, W, "no such domain" },
	{ BW_R_HOSTUNKNOWN, W, "domain does not exist" },
	{ BW_R_HOSTUNKNOWN, W, "dominio no existe" },
	{ BW_R_HOSTUNKNOWN, W, "domain doesn't exist" },
	{ BW_R_HOSTUNKNOWN, W, "unknown domain" },
	{ BW_R_HOSTUNKNOWN, W, "domain is not reachable" },
	{ BW_R_HOSTUNKNOWN, W, "name or service not known" },
	{ BW_R_HOSTUNKNOWN, W, "nxdomain" },
	{ BW_R_HOSTUNKNOWN, W, "unrouteable mail domain" },
	{ BW_R_HOSTUNKNOWN, W, "destination system address" },
	{ BW_R_HOSTUNKNOWN, W, "dns lookup failure" },
	{ BW_R_HOSTUNKNOWN, W, "domaine inexistant" },
	{ BW_R_HOSTUNKNOWN, W, "mx records point to non-existent hosts" },  /* Exim dnslookup router */
	{ BW_R_HOSTUNKNOWN, W, "address lookups failed permanently" },      /* Exim smtp transport: no host has an address */
	{ BW_R_HOSTUNKNOWN, W, "could not be found in domain name service" },  /* Exchange 2003 NDR */

	/* --- the message could not be delivered in time --- */
	{ BW_R_EXPIRED, S, "message expired" },
	{ BW_R_EXPIRED, S, "delivery time expired" },
	{ BW_R_EXPIRED, S, "retry timeout exceeded" },
	{ BW_R_EXPIRED, S, "could not deliver for the last" },
	{ BW_R_EXPIRED, S, "could not be delivered for" },
	{ BW_R_EXPIRED, S, "has not been delivered" },
	{ BW_R_EXPIRED, S, "was not delivered within" },
	{ BW_R_EXPIRED, S, "allowed queue period" },
	{ BW_R_EXPIRED, S, "attempt(s) to deliver over" },
	{ BW_R_EXPIRED, S, "after multiple retries" },
	{ BW_R_EXPIRED, S, "did not accept our requests to connect" },
	{ BW_R_EXPIRED, S, "was aborted after" },
	{ BW_R_EXPIRED, S, "after a long failure period" },     /* Exim: "retry time not reached for any host after ..." */
	{ BW_R_EXPIRED, S, "failing for a long time" },         /* Exim: "all hosts have been failing for a long time" */
	{ BW_R_EXPIRED, S, "envelope expired" },                /* OpenSMTPD's queue */
	{ BW_R_EXPIRED, S, "cannot send message for" },         /* Sendmail: "Cannot send message for 5 days" */
	{ BW_R_EXPIRED, W, "has been delayed" },
	{ BW_R_EXPIRED, W, "will be retried" },
	{ BW_R_EXPIRED, W, "giving up" },
	{ BW_R_EXPIRED, W, "gave up" },
	{ BW_R_EXPIRED, W, "connection timed out" },
	{ BW_R_EXPIRED, W, "operation timed out" },

	/* --- transport, DNS, loops --- */
	{ BW_R_NETWORKERROR, S, "mail loop" },
	{ BW_R_NETWORKERROR, S, "routing loop" },
	{ BW_R_NETWORKERROR, S, "loops back to myself" },
	{ BW_R_NETWORKERROR, S, "too many hops" },
	{ BW_R_NETWORKERROR, S, "hop count exceeded" },
	{ BW_R_NETWORKERROR, S, "message looping" },
	{ BW_R_NETWORKERROR, S, "message is looping" },         /* qmail-local: "already has my Delivered-To line" */
	{ BW_R_NETWORKERROR, S, "loops back to me" },           /* Sendmail "mail loops back to me (MX problem?)", Postfix "... to myself" */
	{ BW_R_NETWORKERROR, S, "loop detected" },              /* OpenSMTPD; RFC 3463 "Routing loop detected" */
	{ BW_R_NETWORKERROR, S, "mxloopback" },                 /* Exchange SMTPSEND.DNS.MxLoopback: the MX is this host */
	{ BW_R_NETWORKERROR, W, "network error" },
	{ BW_R_NETWORKERROR, W, "network is unreachable" },
	{ BW_R_NETWORKERROR, W, "no route to host" },
	{ BW_R_NETWORKERROR, W, "lost connection" },
	{ BW_R_NETWORKERROR, W, "establish an smtp connection" },
	{ BW_R_NETWORKERROR, W, "connection to mail exchanger failed" },
	{ BW_R_NETWORKERROR, W, "name service error" },
	{ BW_R_NETWORKERROR, W, "dns error" },
	{ BW_R_NETWORKERROR, W, "temporary lookup failure" },
	{ BW_R_NETWORKERROR, W, "deferred: name server" },      /* Sendmail's deferral: "Name server: x: host name lookup failure" */
	{ BW_R_NETWORKERROR, W, "host lookup did not complete" },  /* Exim: the DNS gave no answer */
	{ BW_R_NETWORKERROR, W, "failure in mx lookup" },       /* OpenSMTPD: "Temporary failure in MX lookup" */
	{ BW_R_NETWORKERROR, W, "no valid route to" },          /* OpenSMTPD: "... remote MX", "... destination" */
	{ BW_R_NETWORKERROR, W, "address family mismatch" },    /* OpenSMTPD: no MX reachable over our IP version */

	/* --- the receiving side broke --- */
	{ BW_R_MAILERERROR, S, "mailer error" },
	{ BW_R_MAILERERROR, S, "command died" },
	{ BW_R_MAILERERROR, S, "command failed" },
	{ BW_R_MAILERERROR, S, "command time limit exceeded" },  /* Postfix local/pipe */
	{ BW_R_MAILERERROR, S, "child process of" },             /* Exim: "Child process of X transport returned N" */
	{ BW_R_MAILERERROR, W, "pipe to" },
	{ BW_R_SYSTEMERROR, W, "internal system error" },
	{ BW_R_SYSTEMERROR, W, "system error" },
	{ BW_R_SYSTEMERROR, W, "internal error" },
	{ BW_R_SYSTEMERROR, W, "internal server error" },
	{ BW_R_SYSTEMERROR, W, "server error" },
	{ BW_R_SYSTEMERROR, W, "local error" },
	{ BW_R_SYSTEMERROR, W, "service refused" },
	{ BW_R_SYSTEMERROR, W, "service unavailable" },
	{ BW_R_ONHOLD, W, "on hold" },
	{ BW_R_ONHOLD, W, "due to a recipient error" },

	/* --- our own client spoke wrongly --- */
	{ BW_R_SYNTAXERROR, W, "malformed address" },
	{ BW_R_SYNTAXERROR, W, "incorrectly constructed" },
	{ BW_R_SYNTAXERROR, W, "syntax error" },
	{ BW_R_SYNTAXERROR, W, "malformed recipient address" },
	{ BW_R_SYNTAXERROR, W, "command parameter not implemented" },
	{ BW_R_SYNTAXERROR, W, "command not recognized" },
	{ BW_R_SYNTAXERROR, W, "sequence of commands" },        /* RFC 5321 503 */
	{ BW_R_SYNTAXERROR, W, "unrecognized command" },

	/* --- last resorts --- */
	{ BW_R_FILTERED, W, "was automatically rejected" },   /* a Sieve "reject" (Dovecot Pigeonhole): the recipient's rule */
	{ BW_R_FILTERED, W, "content filter" },
	{ BW_R_FILTERED, W, "filtered" },
	{ BW_R_FILTERED, W, "domain filter" },
	{ BW_R_SPAMDETECTED, W, "spam" },
	{ BW_R_BLOCKED, W, "connection reset by peer" },
	{ BW_R_REJECTED, W, "administrative prohibition" },   /* Exim: an ACL said no */
	{ BW_R_REJECTED, W, "not authorized to send to" },
	{ BW_R_REJECTED, W, "delivery not authorized" },       /* RFC 3463 5.7.1 */
	{ BW_R_BLOCKED, W, "blocked" },
	{ BW_R_BLOCKED, W, "rbl" },
	{ BW_R_REJECTED, V, "rejected" },
	{ BW_R_REJECTED, V, "denied" },
	{ BW_R_USERUNKNOWN, W | HOST, "does not exist" },
	{ BW_R_USERUNKNOWN, W | HOST, "doesn't exist" },
	{ BW_R_USERUNKNOWN, W, "n'existe pas" },                     /* fr */
	{ BW_R_USERUNKNOWN, W, "no existe" },                       /* es */
	{ BW_R_USERUNKNOWN, W, "inesistente" },                     /* it */
	{ BW_R_USERUNKNOWN, W, "nie istnieje" },                    /* pl */
};

#undef S
#undef W
#undef HOST
#undef C
#undef V

/* --- SMTP stage --------------------------------------------------------- */

enum smtp_stage { STAGE_NONE = 0, STAGE_CONN, STAGE_HELO, STAGE_MAIL, STAGE_RCPT, STAGE_DATA };

static const char *const stage_names[] = { "", "connection", "HELO", "MAIL FROM", "RCPT TO", "DATA" };

/* Words that say which command the remote answered.  Order is priority. */
static const struct {
	const char *text;
	enum smtp_stage stage;
} stages[] = {
	{ "after end of data", STAGE_DATA },
	{ "after pipelined end of data", STAGE_DATA },   /* Exim writes "pipelined" before a command sent in a batch */
	{ "after pipelined data", STAGE_DATA },
	{ "after data", STAGE_DATA },
	{ "end of data command", STAGE_DATA },
	{ "in reply to data command", STAGE_DATA },
	{ "failed after i sent the message", STAGE_DATA },
	{ "after rcpt to", STAGE_RCPT },
	{ "after pipelined rcpt to", STAGE_RCPT },
	{ "in reply to rcpt to", STAGE_RCPT },
	{ "does not like recipient", STAGE_RCPT },
	{ "[rcpt_to]", STAGE_RCPT },
	{ "rcpt to response", STAGE_RCPT },     /* qmail: "most progress was RCPT TO response" */
	{ "smtp:rcpt host", STAGE_RCPT },       /* "SMTP:RCPT host 192.0.2.8: 553 ..." */
	{ "recipient address rejected", STAGE_RCPT },  /* Postfix's words for its RCPT TO restrictions */
	{ "after mail from", STAGE_MAIL },
	{ "after pipelined mail from", STAGE_MAIL },
	{ "in reply to mail from", STAGE_MAIL },
	{ "sender was rejected", STAGE_MAIL },
	{ "[mail_from]", STAGE_MAIL },
	{ "after helo", STAGE_HELO },
	{ "after ehlo", STAGE_HELO },
	{ "in reply to helo", STAGE_HELO },
	{ "in reply to ehlo", STAGE_HELO },
	{ "after initial connection", STAGE_CONN },
	{ "after connect", STAGE_CONN },
	{ "refused to talk to me", STAGE_CONN },
	{ "greeting", STAGE_CONN },
};

/* --- the code to report when the bounce has none (class filled in) ------ */

static const struct {
	enum bw_reason reason;
	const char *subject_detail;
} std_codes[] = {
	{ BW_R_USERUNKNOWN, "1.1" },     { BW_R_HOSTUNKNOWN, "1.2" },
	{ BW_R_HASMOVED, "1.6" },        { BW_R_NOTACCEPT, "1.10" },
	{ BW_R_MAILBOXFULL, "2.2" },     { BW_R_SUSPEND, "2.1" },
	{ BW_R_EXCEEDLIMIT, "2.3" },     { BW_R_MESGTOOBIG, "3.4" },
	{ BW_R_SYSTEMFULL, "3.1" },      { BW_R_SYSTEMERROR, "3.0" },
	{ BW_R_MAILERERROR, "3.0" },     { BW_R_NETWORKERROR, "4.0" },
	{ BW_R_EXPIRED, "4.7" },         { BW_R_SYNTAXERROR, "5.2" },
	{ BW_R_CONTENTERROR, "6.0" },    { BW_R_NOTCOMPLIANTRFC, "6.0" },
	{ BW_R_NORELAYING, "7.1" },      { BW_R_SECURITYERROR, "7.0" },
	{ BW_R_AUTHFAILURE, "7.26" },    { BW_R_REQUIREPTR, "7.25" },
	{ BW_R_FAILEDSTARTTLS, "7.10" }, { BW_R_BLOCKED, "7.1" },
	{ BW_R_BADREPUTATION, "7.1" },   { BW_R_SPEEDING, "7.28" },
	{ BW_R_TOOMANYCONN, "4.5" },     { BW_R_SPAMDETECTED, "7.1" },
	{ BW_R_VIRUSDETECTED, "7.1" },   { BW_R_POLICYVIOLATION, "7.1" },
	{ BW_R_FILTERED, "7.1" },        { BW_R_REJECTED, "7.1" },
	{ BW_R_ONHOLD, "0.0" },
};

/* --- receiving providers whose servers answer in their own way ---------- */

enum {
	/* the provider's servers look their recipients up themselves: their
	 * "User unknown" is a verdict, whatever stage it came at */
	PROV_LOOKUP = 1,
	/* "Unknown user" after DATA is the recipient's reception filter
	 * refusing our sender address (it names no missing mailbox) */
	PROV_DATA_REFUSES_SENDER = 2,
};

static const struct {
	const char *domain;     /* the Remote-MTA host is it or ends in "." it */
	const char *name;
	unsigned flags;
} providers[] = {
	{ "docomo.ne.jp", "NTT docomo", PROV_DATA_REFUSES_SENDER },
	{ "ezweb.ne.jp", "au (KDDI)", PROV_LOOKUP },
};

/* The provider of the Remote-MTA ("dns; mx.example.jp (192.0.2.1)" was
 * read as "mx.example.jp (192.0.2.1)"), or -1. */
static int provider_of(const char *remote_mta)
{
	size_t n = strcspn(remote_mta, " \t([;");
	while (n > 0 && remote_mta[n - 1] == '.')
		n--;
	for (size_t i = 0; i < ARRAY_LEN(providers); i++) {
		size_t dl = strlen(providers[i].domain);
		if (n >= dl && bw_prefixcase(remote_mta + n - dl, dl, providers[i].domain) &&
		    (n == dl || remote_mta[n - dl - 1] == '.'))
			return (int)i;
	}
	return -1;
}

/* --- the index: the phrase and stage tables as pattern sets ------------- */

#define NPHRASES (sizeof(phrases) / sizeof(phrases[0]))

static struct bw_pset *phrase_set;   /* built once, read-only: shared by threads */
static struct bw_pset *stage_set;    /* the stage words; blanks match any run */
static pthread_once_t index_once = PTHREAD_ONCE_INIT;

static void build_index(void)
{
	const char *texts[NPHRASES > ARRAY_LEN(stages) ? NPHRASES : ARRAY_LEN(stages)];
	for (size_t i = 0; i < NPHRASES; i++)
		texts[i] = phrases[i].text;
	phrase_set = bw_pset_new(texts, NPHRASES, 0);
	for (size_t i = 0; i < ARRAY_LEN(stages); i++)
		texts[i] = stages[i].text;
	stage_set = bw_pset_new(texts, ARRAY_LEN(stages), BW_PSET_BLANKS);
}

size_t reason_table_size(void)
{
	return NPHRASES;
}

/*
 * "X does not exist" names what is missing: a host name just before the
 * phrase ("mx.example.com does not exist": a dot, not an address's domain)
 * is a domain, anything else a user.
 */
static bool host_named_before(const char *text, size_t len, const char *phrase)
{
	const char *p = bw_memcasemem(text, len, phrase);
	if (!p)
		return false;
	const char *e = p;
	while (e > text && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	const char *b = e;
	bool dot = false;
	while (b > text && (bw_isalpha((unsigned char)b[-1]) || bw_isdigit((unsigned char)b[-1]) ||
			    b[-1] == '.' || b[-1] == '-'))
		if (*--b == '.')
			dot = true;
	if (b > text && b[-1] == '@')
		return false;           /* the domain of an address: the user is missing */
	return dot && e - b >= 4 && e[-1] != '.';
}

/* The phrase listed first among those in the text (one pass). */
bool reason_from_text(const char *text, size_t len, struct reason_match *m)
{
	if (!text || len < 2)
		return false;
	pthread_once(&index_once, build_index);
	int best = bw_pset_best(phrase_set, text, len);
	if (best < 0)
		return false;
	m->reason = phrases[best].reason;
	m->strong = (phrases[best].flags & PH_STRONG) != 0;
	m->code = (phrases[best].flags & PH_CODE) != 0;
	m->vague = (phrases[best].flags & PH_VAGUE) != 0;
	m->phrase = phrases[best].text;
	if ((phrases[best].flags & PH_HOST) && host_named_before(text, len, m->phrase))
		m->reason = BW_R_HOSTUNKNOWN;
	return true;
}

/* The stage words listed first among those in the text, where any run of
 * blanks and line ends in the text matches one space ("end of DATA\n
 * command"). */
static enum smtp_stage stage_of(const char *text, size_t len, const char **why)
{
	pthread_once(&index_once, build_index);
	int best = bw_pset_best(stage_set, text, len);
	if (best < 0)
		return STAGE_NONE;
	*why = stages[best].text;
	return stages[best].stage;
}

/* SMTP command names as a transcript writes them. */
static enum smtp_stage stage_of_command(const char *p, size_t n)
{
	if (bw_prefixcase(p, n, "data"))
		return STAGE_DATA;
	if (bw_prefixcase(p, n, "rcpt"))
		return STAGE_RCPT;
	if (bw_prefixcase(p, n, "mail"))
		return STAGE_MAIL;
	if (bw_prefixcase(p, n, "helo") || bw_prefixcase(p, n, "ehlo"))
		return STAGE_HELO;
	return STAGE_NONE;
}

/* Compare two replies, ignoring what is inside <...> (addresses are often
 * rewritten between the transcript and the DSN) and case. */
static bool same_reply(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i = 0, j = 0;
	for (;;) {
		while (i < an && a[i] == '<')
			while (i < an && a[i++] != '>')
				;
		while (j < bn && b[j] == '<')
			while (j < bn && b[j++] != '>')
				;
		while (i < an && (a[i] == ' ' || a[i] == '\r'))
			i++;
		while (j < bn && (b[j] == ' ' || b[j] == '\r'))
			j++;
		if (i >= an || j >= bn)
			return i >= an && j >= bn;
		if (bw_lower((unsigned char)a[i]) != bw_lower((unsigned char)b[j]))
			return false;
		i++, j++;
	}
}

static const char *line_end(const char *p, const char *end)
{
	const char *e = memchr(p, '\n', (size_t)(end - p));
	return e ? e : end;
}

/* p..e with the blanks that open the line skipped: transcripts are often
 * indented ("    >>> RCPT TO:<a@b>"). */
static const char *skip_indent(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/*
 * A session transcript (">>> DATA" then "<<< 550 ..."): the command whose
 * first answer is this recipient's diagnostic, or names the recipient, or
 * an RCPT TO naming the recipient that was refused (4xx/5xx).
 */
static enum smtp_stage stage_in_transcript(const struct bw_event *ev, const char *text, size_t len,
					   const char *needle)
{
	const char *end = text + len, *p = text;
	size_t dl = strlen(ev->diagnostic);
	while (p < end) {
		const char *e = line_end(p, end);
		const char *c = skip_indent(p, e);
		if (e - c > 4 && memcmp(c, ">>> ", 4) == 0 && e < end) {
			enum smtp_stage s = stage_of_command(c + 4, (size_t)(e - c - 4));
			const char *qe = line_end(e + 1, end), *q = skip_indent(e + 1, qe);
			if (s != STAGE_NONE && qe - q > 4 && memcmp(q, "<<< ", 4) == 0) {
				size_t ql = (size_t)(qe - q - 4);
				if ((dl && same_reply(q + 4, ql, ev->diagnostic, dl)) ||
				    (needle[0] && bw_memcasemem(q + 4, ql, needle)) ||
				    (s == STAGE_RCPT && needle[0] && (q[4] == '4' || q[4] == '5') &&
				     bw_memcasemem(c + 4, (size_t)(e - c - 4), needle)))
					return s;
			}
		}
		p = e + 1;
	}
	return STAGE_NONE;
}

/* A labelled field: a line "SMTP command" (with or without a colon) and the
 * command on the same or the next line. */
static enum smtp_stage stage_in_label(const char *text, size_t len)
{
	const char *p = bw_memcasemem(text, len, "smtp command");
	if (!p)
		return STAGE_NONE;
	const char *end = text + len;
	p += 12;
	while (p < end && (*p == ':' || *p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == '-'))
		p++;
	return stage_of_command(p, (size_t)(end - p));
}

/* The paragraph of text around the first mention of needle. */
static bool paragraph_of(const char *text, size_t len, const char *needle, const char **pb, size_t *pl)
{
	const char *hit = bw_memcasemem(text, len, needle);
	if (!hit)
		return false;
	const char *b = hit, *e = hit, *end = text + len;
	/* back to just past a blank line ("\n\n" or "\n\r\n"), line by line */
	while (b > text && !(b[-1] == '\n' && b - 1 > text && (b[-2] == '\n' || (b[-2] == '\r' && b - 2 > text && b[-3] == '\n')))) {
		const char *nl = b[-1] == '\n' ? b - 1 : memrchr(text, '\n', (size_t)(b - text));
		b = nl ? nl + (nl == b - 1 ? 0 : 1) : text;
	}
	/* forward to the LF that begins a blank line */
	while (e < end && !(e[0] == '\n' && e + 1 < end && (e[1] == '\n' || (e[1] == '\r' && e + 2 < end && e[2] == '\n')))) {
		const char *nl = e[0] == '\n' ? e + 1 : e;
		nl = nl < end ? memchr(nl, '\n', (size_t)(end - nl)) : NULL;
		e = nl ? nl : end;
	}
	*pb = b;
	*pl = (size_t)(e - b);
	return true;
}

/*
 * At which SMTP stage did the remote refuse this recipient?  The diagnostic
 * first; then the human-readable text: the paragraph that names the
 * recipient, a session transcript, a labelled "SMTP command" field.
 */
static enum smtp_stage find_stage(const struct bw_event *ev, const char *text, size_t len, const char **why)
{
	enum smtp_stage s = stage_of(ev->diagnostic, strlen(ev->diagnostic), why);
	if (s != STAGE_NONE || !text || !len)
		return s;
	char needle[BW_ADDR_MAX + 1] = "";
	const char *at = strrchr(ev->recipient, '@');
	if (at && at != ev->recipient)
		bw_strlcpyn(needle, sizeof(needle), ev->recipient, (size_t)(at - ev->recipient) + 1);
	const char *pb;
	size_t pl;
	if (ev->recipient[0] && paragraph_of(text, len, ev->recipient, &pb, &pl) &&
	    (s = stage_of(pb, pl, why)) != STAGE_NONE && s != STAGE_CONN)
		return s;
	if ((s = stage_in_transcript(ev, text, len, needle)) != STAGE_NONE) {
		*why = "session transcript";
		return s;
	}
	if ((s = stage_in_label(text, len)) != STAGE_NONE) {
		*why = "SMTP command field";
		return s;
	}
	return STAGE_NONE;
}

bool reason_is_sender_side(enum bw_reason r)
{
	switch (r) {
	case BW_R_AUTHFAILURE: case BW_R_SECURITYERROR: case BW_R_REQUIREPTR:
	case BW_R_BADREPUTATION: case BW_R_BLOCKED: case BW_R_NORELAYING:
	case BW_R_FAILEDSTARTTLS: case BW_R_SPEEDING: case BW_R_TOOMANYCONN:
		return true;
	default:
		return false;
	}
}

/* The class of the failure: the status code's, else the reply code's. */
static char code_class(const struct bw_event *ev)
{
	if (ev->status[0])
		return ev->status[0];
	return ev->reply_code[0];
}

static bool is_greylisting(const struct bw_event *ev)
{
	static const char *const words[] = { "greylist", "graylist", "grey-list", "gray-list", "greylisted" };
	size_t n = strlen(ev->diagnostic);
	for (size_t i = 0; i < ARRAY_LEN(words); i++)
		if (bw_memcasemem(ev->diagnostic, n, words[i]))
			return true;
	return false;
}

static enum bw_kind kind_of(const struct bw_event *ev, char cls)
{
	switch (ev->reason) {
	case BW_R_DELIVERED: return BW_KIND_DELIVERED;
	case BW_R_FEEDBACK: return BW_KIND_COMPLAINT;
	case BW_R_VACATION: return BW_KIND_AUTOREPLY;
	default: break;
	}
	if (strcmp(ev->action, "delayed") == 0 || (cls == '4' && is_greylisting(ev)))
		return BW_KIND_DELAYED;
	if (ev->hard)
		return BW_KIND_HARD;
	switch (ev->reason) {
	case BW_R_BLOCKED: case BW_R_SPAMDETECTED: case BW_R_VIRUSDETECTED:
	case BW_R_POLICYVIOLATION: case BW_R_REJECTED: case BW_R_FILTERED:
	case BW_R_SECURITYERROR: case BW_R_AUTHFAILURE: case BW_R_REQUIREPTR:
	case BW_R_BADREPUTATION: case BW_R_SPEEDING: case BW_R_TOOMANYCONN:
	case BW_R_NORELAYING: case BW_R_FAILEDSTARTTLS: case BW_R_CONTENTERROR:
	case BW_R_NOTCOMPLIANTRFC:
		return BW_KIND_BLOCK;
	case BW_R_UNDEFINED:
		return cls == '4' || cls == '5' ? BW_KIND_SOFT : BW_KIND_UNKNOWN;
	default:
		return BW_KIND_SOFT;
	}
}

/* Hard: the address (or its domain) does not exist, has moved, or the
 * domain takes no mail at all (unless the code says the failure is temporary). */
static bool hard_of(enum bw_reason r, char cls)
{
	switch (r) {
	case BW_R_USERUNKNOWN: case BW_R_HOSTUNKNOWN: case BW_R_HASMOVED:
		return true;
	case BW_R_NOTACCEPT:
		return cls != '4';
	default:
		return false;
	}
}

/*
 * The remote server's own code: where the diagnostic quotes a reply such as
 * "550 5.7.1 ..." or "<421 4.4.2 ...>", that code is the receiving server's
 * verdict and outranks the reporting MTA's summary in the Status field
 * (which is often X.0.0, or 4.4.7 "gave up").  The last quoted reply wins:
 * wrappers quote the original reply at the end.
 */
static void refine_status(struct bw_event *ev, struct bw_report *rep)
{
	char code[BW_STATUS_MAX];
	size_t at = 0;
	if (!status_find_remote(ev->diagnostic, strlen(ev->diagnostic), code, sizeof(code), &at))
		return;
	if (strcmp(code, ev->status) == 0 || code[0] == '2')
		return;
	if (ev->status[0] && ev->status[0] != code[0] && strcmp(ev->action, "failed") != 0)
		return;
	if (rep)
		report_trace(rep, "status %s: the remote server's reply in the diagnostic%s%s", code,
			     ev->status[0] ? " outranks " : "", ev->status);
	bw_strlcpy(ev->status, code, sizeof(ev->status));
	/* and its reply code with it ("554 4.4.7 expired <421 4.4.2 timed out>":
	 * 421 4.4.2, not the wrapper's 554 beside the server's 4.4.2) */
	if (memcmp(ev->reply_code, ev->diagnostic + at, 3) != 0) {
		if (rep && ev->reply_code[0])
			report_trace(rep, "reply %.3s: the same reply's code outranks %s", ev->diagnostic + at,
				     ev->reply_code);
		memcpy(ev->reply_code, ev->diagnostic + at, 3);
		ev->reply_code[3] = '\0';
	}
}

/* When the bounce carried no code, report the one the reason implies. */
static void derive_status(struct bw_event *ev, struct bw_report *rep)
{
	if (ev->status[0])
		return;
	char cls;
	if (ev->reply_code[0] == '4' || ev->reply_code[0] == '5')
		cls = ev->reply_code[0];
	else if (ev->reply_code[0] == '2')
		return;
	else
		cls = strcmp(ev->action, "delayed") == 0 ? '4' : '5';
	for (size_t i = 0; i < ARRAY_LEN(std_codes); i++) {
		if (std_codes[i].reason != ev->reason)
			continue;
		snprintf(ev->status, sizeof(ev->status), "%c.%s", cls, std_codes[i].subject_detail);
		if (rep)
			report_trace(rep, "status %s: none in the bounce, derived from reason %s", ev->status,
				     bw_reason_name(ev->reason));
		return;
	}
}


/* The first decision: status code against phrase.  *by_code is set when a
 * specific status code named (or confirmed) the reason. */
/* The bounce's own notice: the text before the returned message (or its
 * headers) begins, at most NOTICE_MAX bytes. */
#define NOTICE_MAX 4096
static size_t notice_len(const char *text, size_t len)
{
	static const char *const ends[] = {
		"----- original message", "original message follows", "copy of the message", "\nreceived:", "\nreturn-path:",
		"\ncontent-type:", "\nmessage-id:", "\nfrom:",
	};
	size_t n = len < NOTICE_MAX ? len : NOTICE_MAX;
	for (size_t i = 0; i < ARRAY_LEN(ends); i++) {
		const char *p = bw_memcasemem(text, n, ends[i]);
		if (p)
			n = (size_t)(p - text);
	}
	return n;
}

/*
 * Which words to read for this event: the remote server's reply inside the
 * diagnostic first (wrappers such as "Unknown address error 550-'5.7.1 ..."
 * say less than the reply they quote), then the whole diagnostic; with no
 * diagnostic at all, the paragraph of the bounce text that names the
 * recipient, else the whole text.  *where names the source for explain.
 */
static bool phrase_for(const struct bw_event *ev, const char *text, size_t len, struct reason_match *m,
		       const char **where)
{
	size_t dl = strlen(ev->diagnostic), at = 0;
	char code[BW_STATUS_MAX];
	if (dl) {
		*where = "diagnostic";
		struct reason_match whole;
		if (status_find_remote(ev->diagnostic, dl, code, sizeof(code), &at) && at > 0 &&
		    reason_from_text(ev->diagnostic + at, dl - at, m)) {
			/* a last-resort word in the reply gives way to a real
			 * phrase of the wrapper ("sender was rejected. Remote
			 * host said: 550 ... Access denied") */
			if (m->vague && reason_from_text(ev->diagnostic, dl, &whole) && whole.strong)
				*m = whole;
			return true;
		}
		if (reason_from_text(ev->diagnostic, dl, m))
			return true;
		/* a diagnostic that names no reason ("550-F=[a@b] T=[c@d]" of a
		 * multi-line reply, a list item's date): the bounce's own words
		 * around it may */
	}
	if (!text || !len)
		return false;
	const char *pb;
	size_t pl;
	*where = "bounce text";
	if (ev->recipient[0] && paragraph_of(text, len, ev->recipient, &pb, &pl) && reason_from_text(pb, pl, m))
		return true;
	/* the whole notice speaks for a recipient with no words of its own, or
	 * with words that carry neither a code nor a known phrase (a list's
	 * heading: "The following recipients did not receive your message:") */
	if (dl && (ev->status[0] || ev->reply_code[0]))
		return false;
	*where = "the notice";
	return reason_from_text(text, notice_len(text, len), m);
}

static enum bw_reason weigh(struct bw_event *ev, const char *text, size_t len, bool *by_code,
			    struct bw_report *rep)
{
	bool specific = false;
	enum bw_reason st = status_reason(ev->status, &specific);
	struct reason_match m = { BW_R_UNDEFINED, false, false, false, NULL };
	const char *where = "diagnostic";
	bool have_text = phrase_for(ev, text, len, &m, &where);
	char cls = code_class(ev);

	*by_code = false;
	if (status_exit_only(ev->diagnostic)) {
		if (rep)
			report_trace(rep, "reason mailererror: diagnostic \"%s\" is a mailer program's exit status",
				     ev->diagnostic);
		return BW_R_MAILERERROR;
	}
	if (have_text && m.vague && st != BW_R_UNDEFINED && ev->status[2] == '7')
		have_text = false;        /* a security or policy code says more than a last-resort word */
	if (have_text && (!specific || m.strong || st == m.reason)) {
		*by_code = (specific && st == m.reason) || m.code ||
			   (m.reason == BW_R_USERUNKNOWN && status_names_address(ev->status));
		if (rep)
			report_trace(rep, "reason %s: %s matches %s \"%s\"%s", bw_reason_name(m.reason), where,
				     m.code ? "the code" : "phrase", m.phrase,
				     specific && st != m.reason ? " (outranks the status code)" : "");
		return m.reason;
	}
	if (st != BW_R_UNDEFINED) {
		*by_code = specific;
		if (rep)
			report_trace(rep, "reason %s: status %s (%s)%s", bw_reason_name(st), ev->status,
				     status_text(ev->status) ? status_text(ev->status) : "?",
				     have_text ? ", more specific than the phrase" : "");
		return st;
	}
	if (strcmp(ev->action, "delayed") == 0 || (cls == '4' && (!ev->action[0] || strcmp(ev->action, "failed") == 0))) {
		if (rep)
			report_trace(rep, "reason expired: a temporary failure the MTA %s",
				     ev->action[0] == 'd' ? "is still retrying" : "gave up on");
		return BW_R_EXPIRED;
	}
	return BW_R_UNDEFINED;
}

/* Second decision: what the SMTP stage says about the reason. */
static enum bw_reason by_stage(const struct bw_event *ev, enum bw_reason r, bool by_code, const char *text,
			       size_t len, struct bw_report *rep)
{
	const char *why = NULL;
	enum smtp_stage s = find_stage(ev, text, len, &why);
	enum bw_reason out = r;
	int prov = r == BW_R_USERUNKNOWN && !by_code ? provider_of(ev->remote_mta) : -1;
	if (prov >= 0 && s == STAGE_DATA && (providers[prov].flags & PROV_DATA_REFUSES_SENDER)) {
		if (rep)
			report_trace(rep, "reason rejected: %s says \"unknown user\" after DATA when the "
				     "recipient's reception settings refuse the sender", providers[prov].name);
		return BW_R_REJECTED;
	}
	if (prov >= 0 && (providers[prov].flags & PROV_LOOKUP)) {
		if (rep)
			report_trace(rep, "reason userunknown: %s (%s) looks its recipients up itself",
				     providers[prov].name, ev->remote_mta);
		by_code = true;
	}
	if (r == BW_R_USERUNKNOWN && !by_code && s != STAGE_RCPT && s != STAGE_MAIL) {
		/* "no such user" that neither a code nor the RCPT stage confirms:
		 * a filter may say it of an address that exists (after DATA
		 * above all), so it does not prove the address is gone */
		if (rep)
			report_trace(rep, "reason filtered: neither a status code nor the RCPT TO stage confirms "
				     "\"unknown user\" (%s%s)", s == STAGE_NONE ? "no stage named" : "refused at ",
				     s == STAGE_NONE ? "" : stage_names[s]);
		return BW_R_FILTERED;
	}
	if (s == STAGE_NONE)
		return r;
	bool specific;
	bool generic_code = status_reason(ev->status, &specific) == r && !specific;
	if (s == STAGE_MAIL && (r == BW_R_USERUNKNOWN || r == BW_R_HOSTUNKNOWN || r == BW_R_UNDEFINED ||
				(r == BW_R_SECURITYERROR && generic_code)))
		out = BW_R_REJECTED;      /* the address (or domain) refused is the sender's */
	else if ((s == STAGE_CONN || s == STAGE_HELO) && (r == BW_R_UNDEFINED || r == BW_R_REJECTED))
		out = BW_R_BLOCKED;       /* refused before any address was given: our host */
	if (out != r && rep)
		report_trace(rep, "reason %s: refused at %s (\"%s\")", bw_reason_name(out), stage_names[s], why);
	return out;
}

void reason_decide(struct bw_event *ev, struct bw_report *rep)
{
	reason_decide_in(ev, NULL, 0, NULL, rep);
}

void reason_decide_in(struct bw_event *ev, const char *text, size_t len, const struct reason_lookup *lookup,
		      struct bw_report *rep)
{
	enum bw_reason r = ev->reason;

	if (r == BW_R_UNDEFINED)
		refine_status(ev, rep);
	if (status_exit_only(ev->diagnostic) && strcmp(ev->reply_code, ev->diagnostic) == 0)
		ev->reply_code[0] = '\0';   /* an exit status, not an SMTP reply */
	char cls = code_class(ev);
	if (r != BW_R_UNDEFINED) {
		if (rep)
			report_trace(rep, "reason %s: set by detector %s", bw_reason_name(r), ev->detector);
	} else if (strcmp(ev->action, "delivered") == 0 || strcmp(ev->action, "relayed") == 0 ||
		   strcmp(ev->action, "expanded") == 0 || cls == '2') {
		r = BW_R_DELIVERED;
		if (rep)
			report_trace(rep, "reason delivered: Action %s, status %s", ev->action, ev->status);
	} else {
		bool by_code;
		r = weigh(ev, text, len, &by_code, rep);
		const char *mta;
		if (r == BW_R_USERUNKNOWN && !by_code && lookup && lookup->mta &&
		    (mta = lookup->mta(lookup->arg, ev)) != NULL) {
			by_code = true;
			if (rep)
				report_trace(rep, "reason userunknown: %s reports its own lookup of the recipient", mta);
		}
		r = by_stage(ev, r, by_code, text, len, rep);
		if (r == BW_R_HOSTUNKNOWN && cls == '4') {
			r = BW_R_NETWORKERROR;
			if (rep)
				report_trace(rep, "reason networkerror: a temporary (4xx) name lookup failure "
					     "does not prove the domain is gone");
		}
		if (r == BW_R_UNDEFINED && ev->diagnostic[0] && !ev->status[0] && !ev->reply_code[0]) {
			/* the bounce gives a reason, in words no table knows, and no
			 * code: too little to decide, not nothing */
			r = BW_R_ONHOLD;
			if (rep)
				report_trace(rep, "reason onhold: a diagnostic with no code and no known phrase");
		} else if (r == BW_R_UNDEFINED && rep)
			report_trace(rep, "reason undefined: no status code, phrase or stage decides");
	}
	ev->reason = r;
	if (r != BW_R_FEEDBACK && r != BW_R_VACATION)
		derive_status(ev, rep);
	cls = code_class(ev);
	ev->hard = hard_of(r, cls);
	ev->kind = kind_of(ev, cls);
	if (rep)
		report_trace(rep, "kind %s, hard %s%s", bw_kind_name(ev->kind), ev->hard ? "true" : "false",
			     ev->hard ? " (the address does not exist)" : "");
}
