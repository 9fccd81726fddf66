/*
 * outbox.h - one pending hook delivery (SPEC §6).  Rows are written by the
 * store in the same transaction as the decision they carry, and read and
 * updated by the hook dispatcher.
 */
#ifndef BW_OUTBOX_H
#define BW_OUTBOX_H

#include <stdint.h>
#include <time.h>

enum bw_outbox_state { BW_OUTBOX_PENDING = 0, BW_OUTBOX_DONE, BW_OUTBOX_DEAD };

struct bw_outbox_row {
	int64_t id;
	char webhook_id[64];     /* stable per (decision, hook): the idempotency key */
	char hook[64];           /* hook name from the configuration */
	char event[16];          /* suppress, unsuppress, defer, soft_bounce, alert, bounce */
	char *payload;           /* owned: JSON object with the event fields */
	enum bw_outbox_state state;
	unsigned attempts;
	time_t created;
	time_t next_attempt;
	char last_error[256];
};

void outbox_row_clear(struct bw_outbox_row *row);   /* frees payload */

#endif
