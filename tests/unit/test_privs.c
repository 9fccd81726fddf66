/*
 * test_privs.c - the privilege plan, user look-up, and (when the suite runs
 * as root) a real drop in a child process: ids changed, root not regained,
 * root without a user refused.
 */
#include "config.h"

#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "privs.h"

static void test_plan(void **state)
{
	(void)state;
	assert_int_equal(privs_plan(1000, NULL, false), PRIVS_KEEP);
	assert_int_equal(privs_plan(1000, "bouncewatch", false), PRIVS_KEEP);
	assert_int_equal(privs_plan(1000, "", true), PRIVS_KEEP);
	assert_int_equal(privs_plan(0, "bouncewatch", false), PRIVS_DROP);
	assert_int_equal(privs_plan(0, "bouncewatch", true), PRIVS_DROP);
	assert_int_equal(privs_plan(0, NULL, false), PRIVS_REFUSE);
	assert_int_equal(privs_plan(0, "", false), PRIVS_REFUSE);
	assert_int_equal(privs_plan(0, "", true), PRIVS_ROOT_ALLOWED);
	assert_int_equal(privs_plan(0, NULL, true), PRIVS_ROOT_ALLOWED);
}

static void test_allow_root_env(void **state)
{
	(void)state;
	unsetenv(PRIVS_ALLOW_ROOT_ENV);
	assert_false(privs_allow_root_env());
	setenv(PRIVS_ALLOW_ROOT_ENV, "1", 1);
	assert_true(privs_allow_root_env());
	setenv(PRIVS_ALLOW_ROOT_ENV, "Yes", 1);
	assert_true(privs_allow_root_env());
	setenv(PRIVS_ALLOW_ROOT_ENV, "true", 1);
	assert_true(privs_allow_root_env());
	setenv(PRIVS_ALLOW_ROOT_ENV, "0", 1);
	assert_false(privs_allow_root_env());
	setenv(PRIVS_ALLOW_ROOT_ENV, "", 1);
	assert_false(privs_allow_root_env());
	unsetenv(PRIVS_ALLOW_ROOT_ENV);
}

static void test_lookup(void **state)
{
	(void)state;
	struct privs_id id;
	char err[256];
	assert_int_equal(privs_lookup("root", &id, err, sizeof err), -1);
	assert_non_null(strstr(err, "is root"));
	assert_int_equal(privs_lookup("0", &id, err, sizeof err), -1);
	assert_non_null(strstr(err, "is root"));
	assert_int_equal(privs_lookup("no-such-user-bw-test", &id, err, sizeof err), -1);
	assert_non_null(strstr(err, "does not exist"));
	assert_int_equal(privs_lookup("", &id, err, sizeof err), -1);
	assert_int_equal(privs_lookup(NULL, &id, err, sizeof err), -1);
	struct passwd *pw = getpwnam("nobody");
	if (!pw)
		skip();
	assert_int_equal(privs_lookup("nobody", &id, err, sizeof err), 0);
	assert_int_equal(id.uid, pw->pw_uid);
	assert_int_equal(id.gid, pw->pw_gid);
	assert_string_equal(id.name, "nobody");
	char num[32];
	snprintf(num, sizeof num, "%ld", (long)pw->pw_uid);
	assert_int_equal(privs_lookup(num, &id, err, sizeof err), 0);
	assert_string_equal(id.name, "nobody");
}

/* run fn in a child; its exit status */
static int in_child(int (*fn)(void))
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn());
	int st = 0;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static int child_drop(void)
{
	char err[256];
	struct passwd *pw = getpwnam("nobody");
	if (!pw || privs_drop("nobody", err, sizeof err) != 0)
		return 10;
	if (getuid() != pw->pw_uid || geteuid() != pw->pw_uid || getgid() != pw->pw_gid ||
	    getegid() != pw->pw_gid)
		return 11;
	if (setuid(0) == 0 || seteuid(0) == 0)
		return 12;
	gid_t groups[64];
	int n = getgroups(64, groups);
	for (int i = 0; i < n; i++)
		if (groups[i] == 0)
			return 13;   /* root's supplementary groups kept */
	return 0;
}

static int child_refuse(void)
{
	char err[256] = "";
	unsetenv(PRIVS_ALLOW_ROOT_ENV);
	if (privs_drop(NULL, err, sizeof err) != -1 || !strstr(err, "refusing to run as root"))
		return 20;
	if (privs_drop("", err, sizeof err) != -1)
		return 21;
	if (privs_drop("root", err, sizeof err) != -1 || !strstr(err, "is root"))
		return 22;
	if (privs_drop("no-such-user-bw-test", err, sizeof err) != -1)
		return 23;
	if (geteuid() != 0)
		return 24;   /* a refusal changes nothing */
	setenv(PRIVS_ALLOW_ROOT_ENV, "1", 1);
	if (privs_drop(NULL, err, sizeof err) != 0 || geteuid() != 0)
		return 25;
	return 0;
}

static int child_not_root(void)
{
	char err[256];
	unsetenv(PRIVS_ALLOW_ROOT_ENV);
	uid_t me = geteuid();
	if (privs_drop(NULL, err, sizeof err) != 0 || privs_drop("nobody", err, sizeof err) != 0)
		return 30;
	return geteuid() == me ? 0 : 31;
}

static void test_drop(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		assert_int_equal(in_child(child_not_root), 0);
		skip();   /* the real drop needs root */
	}
	if (!getpwnam("nobody"))
		skip();
	assert_int_equal(in_child(child_refuse), 0);
	assert_int_equal(in_child(child_drop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_allow_root_env),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_drop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
