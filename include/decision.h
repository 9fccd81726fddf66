/*
 * decision.h - what the policy decides about an address (SPEC §4).
 * A decision becomes a hook event of the same name.
 */
#ifndef BW_DECISION_H
#define BW_DECISION_H

#include "event.h"

enum bw_decision_type {
	BW_DEC_SUPPRESS = 0,   /* add to the suppression list */
	BW_DEC_UNSUPPRESS,     /* removed by hand (suppress remove) */
	BW_DEC_DEFER,          /* put on the deferral list (block) */
	BW_DEC_SOFT_BOUNCE,    /* a soft bounce was recorded, no suppression yet */
	BW_DEC_ALERT,          /* sender-side problem or a rate past its threshold */
	BW_DEC_BOUNCE,         /* every raw bounce event (hooks may subscribe) */
	BW_DEC__COUNT
};

struct bw_decision {
	enum bw_decision_type type;
	char address[BW_ADDR_MAX + 1];   /* "" for account/campaign alerts */
	char reason[32];                 /* reason name, or an alert code */
	char scope[8];                   /* "account" | "global" */
	char account[64];
	char campaign[BW_MSGID_MAX];
	char detail[256];                /* human words: why */
};

const char *bw_decision_name(enum bw_decision_type t);
int bw_decision_from_name(const char *name);

#endif
