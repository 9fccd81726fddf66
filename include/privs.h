/*
 * privs.h - refuse to run as root without a user to become, and drop to it
 * (SPEC §8, issue 9 "Privileges").
 *
 * bouncewatch needs no privilege: it talks IMAP and HTTP outbound, and its
 * state lives in a directory its user owns.  Started as root (by hand, or an
 * init system without User=), `run` and `scan` first open what may need root
 * (the metrics listener), then become the configured `user`: supplementary
 * groups from the group database, then the group, then the user, and check
 * that root cannot be regained.  Without a `user` they refuse to run.
 *
 * BOUNCEWATCH_ALLOW_ROOT=1 in the environment lets root run without a user
 * (containers that are root-only, the test suite); a warning says so.
 */
#ifndef BW_PRIVS_H
#define BW_PRIVS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PRIVS_ALLOW_ROOT_ENV "BOUNCEWATCH_ALLOW_ROOT"

enum privs_plan {
	PRIVS_KEEP = 0,      /* not root: nothing to do (a `user` setting is ignored) */
	PRIVS_DROP,          /* root with a user: become that user */
	PRIVS_ROOT_ALLOWED,  /* root, no user, but BOUNCEWATCH_ALLOW_ROOT=1: stay, warn */
	PRIVS_REFUSE,        /* root, no user: refuse to run */
};

/* privs_plan - pure: what to do for effective uid euid, the `user` setting
 * (NULL or "" = none) and whether root was explicitly allowed. */
enum privs_plan privs_plan(uid_t euid, const char *user, bool allow_root);

/* The identity to become. */
struct privs_id {
	uid_t uid;
	gid_t gid;
	char name[64];
};

/* privs_lookup - user (a name, or a number) in the password database.
 * Returns 0, or -1 with a reason in err (unknown user, or uid 0: becoming
 * root again is not a drop). */
int privs_lookup(const char *user, struct privs_id *out, char *err, size_t errsz);

/* privs_become - as root: initgroups (or setgroups to the one group), setgid,
 * setuid, then verify real/effective/saved ids and that setuid(0) fails.
 * Returns 0, or -1 with a reason in err (the process must then exit: its
 * identity is half changed). */
int privs_become(const struct privs_id *id, char *err, size_t errsz);

/* privs_allow_root_env - BOUNCEWATCH_ALLOW_ROOT is set to "1", "yes" or "true". */
bool privs_allow_root_env(void);

/*
 * privs_drop - the whole start-up step for `run` and `scan`: plan, look up,
 * become, and log what was done.  Returns 0 (carry on), or -1 with a reason
 * in err (refused, or the drop failed: exit with a configuration error).
 */
int privs_drop(const char *user, char *err, size_t errsz);

#endif
