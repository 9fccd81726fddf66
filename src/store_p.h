/*
 * store_p.h - store internals visible to the unit tests only.
 */
#ifndef BW_STORE_P_H
#define BW_STORE_P_H

#include "store.h"

/* The schema version store_open() migrates to. */
#define BW_STORE_SCHEMA_VERSION 2

/* Open like store_open() but migrate no further than max_version (tests:
 * build an old database, then reopen it with store_open()). */
struct bw_store *store_open_version(const char *spec, int max_version, char *err, size_t errsz);

/* Fault injection: the n-th write statement from now fails (n = 0: off). */
void store_test_fail_after(struct bw_store *st, int n);

/* Run one SQL statement without parameters (tests look inside). */
int store_test_exec(struct bw_store *st, const char *sql);
/* Run a "SELECT count(*) ..." and return the number, or -1. */
long store_test_count(struct bw_store *st, const char *sql);

#endif
