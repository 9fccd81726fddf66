/*
 * privs.c - refuse root without a `user`, drop to it, verify.  See privs.h.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"
#include "privs.h"
#include "util.h"

enum privs_plan privs_plan(uid_t euid, const char *user, bool allow_root)
{
	if (euid != 0)
		return PRIVS_KEEP;
	if (user && *user)
		return PRIVS_DROP;
	return allow_root ? PRIVS_ROOT_ALLOWED : PRIVS_REFUSE;
}

bool privs_allow_root_env(void)
{
	const char *v = getenv(PRIVS_ALLOW_ROOT_ENV);
	return v && (strcmp(v, "1") == 0 || strcasecmp(v, "yes") == 0 ||
		     strcasecmp(v, "true") == 0);
}

/* A user given as a number: "1234".  false when it is a name. */
static bool numeric_uid(const char *s, uid_t *out)
{
	size_t n = strlen(s);
	if (n == 0 || n > 10 || strspn(s, "0123456789") != n)
		return false;
	unsigned long v = strtoul(s, NULL, 10);
	if (v > 0x7fffffffUL)
		return false;
	*out = (uid_t)v;
	return true;
}

int privs_lookup(const char *user, struct privs_id *out, char *err, size_t errsz)
{
	uid_t num;
	struct passwd *pw;
	if (!user || !*user) {
		snprintf(err, errsz, "no user given");
		return -1;
	}
	errno = 0;
	pw = numeric_uid(user, &num) ? getpwuid(num) : getpwnam(user);
	if (!pw) {
		snprintf(err, errsz, "user '%s' (setting `user`) does not exist%s%s", user,
			 errno ? ": " : "", errno ? strerror(errno) : "");
		return -1;
	}
	if (pw->pw_uid == 0) {
		snprintf(err, errsz, "user '%s' (setting `user`) is root: name an unprivileged "
			 "user such as 'bouncewatch'", user);
		return -1;
	}
	if (strlen(pw->pw_name) >= sizeof out->name) {
		snprintf(err, errsz, "user name '%s' is too long", user);
		return -1;
	}
	out->uid = pw->pw_uid;
	out->gid = pw->pw_gid;
	bw_strlcpy(out->name, pw->pw_name, sizeof out->name);
	return 0;
}

/* verify - every id is the target's, and root cannot come back. */
static int verify(const struct privs_id *id, char *err, size_t errsz)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0) {
		snprintf(err, errsz, "cannot read the process ids: %s", strerror(errno));
		return -1;
	}
	if (ru != id->uid || eu != id->uid || su != id->uid || rg != id->gid || eg != id->gid ||
	    sg != id->gid) {
		snprintf(err, errsz, "the ids did not change as asked (uid %ld/%ld/%ld, "
			 "gid %ld/%ld/%ld)", (long)ru, (long)eu, (long)su, (long)rg, (long)eg, (long)sg);
		return -1;
	}
	if (setuid(0) == 0 || seteuid(0) == 0) {
		snprintf(err, errsz, "root could be regained after the drop");
		return -1;
	}
	return 0;
}

int privs_become(const struct privs_id *id, char *err, size_t errsz)
{
	if (initgroups(id->name, id->gid) < 0 && setgroups(1, &id->gid) < 0) {
		snprintf(err, errsz, "cannot set the groups of '%s': %s", id->name, strerror(errno));
		return -1;
	}
	if (setresgid(id->gid, id->gid, id->gid) < 0) {
		snprintf(err, errsz, "cannot set group %ld: %s", (long)id->gid, strerror(errno));
		return -1;
	}
	if (setresuid(id->uid, id->uid, id->uid) < 0) {
		snprintf(err, errsz, "cannot become '%s': %s", id->name, strerror(errno));
		return -1;
	}
	return verify(id, err, errsz);
}

int privs_drop(const char *user, char *err, size_t errsz)
{
	struct privs_id id;
	switch (privs_plan(geteuid(), user, privs_allow_root_env())) {
	case PRIVS_KEEP:
		if (user && *user)
			log_debug("not root: setting `user` (%s) ignored", user);
		return 0;
	case PRIVS_ROOT_ALLOWED:
		log_warn("running as root (%s is set): set `user` to drop privileges",
			 PRIVS_ALLOW_ROOT_ENV);
		return 0;
	case PRIVS_REFUSE:
		snprintf(err, errsz, "refusing to run as root: set `user` (e.g. user = "
			 "\"bouncewatch\";) so that bouncewatch can drop to it");
		return -1;
	case PRIVS_DROP:
		break;
	}
	if (privs_lookup(user, &id, err, errsz) < 0 || privs_become(&id, err, errsz) < 0)
		return -1;
	log_info("running as user %s (uid %ld, gid %ld)", id.name, (long)id.uid, (long)id.gid);
	return 0;
}
