/*
 * store_pg.c - the state store on PostgreSQL (libpq), behind store.h.
 */
#include "config.h"

#include <stdio.h>

#include "store_p.h"

struct bw_store *store_pg_open(const char *url, int max_version, char *err, size_t errsz)
{
	(void)url;
	(void)max_version;
	snprintf(err, errsz, "state: the PostgreSQL store is not built in");
	return NULL;
}
