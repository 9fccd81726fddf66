/*
 * test_conf.c - configuration: defaults, every error with file:line, secrets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"

static char path[] = "/tmp/bw-test-conf-XXXXXX";

static const char *write_conf(const char *text)
{
	strcpy(path, "/tmp/bw-test-conf-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static char errbuf[8192];

static int load(const char *text, struct bw_config *cfg)
{
	FILE *err = fmemopen(errbuf, sizeof(errbuf), "w");
	int n = conf_load(cfg, write_conf(text), false, err);
	fclose(err);
	unlink(path);
	return n;
}

static void test_defaults(void **state)
{
	(void)state;
	struct bw_config cfg;
	assert_int_equal(load("accounts = ({ name = \"a\"; url = \"imaps://h:993\"; user = \"u\"; "
			      "password_env = \"P\"; });\n", &cfg), 0);
	assert_string_equal(cfg.state, "/var/lib/bouncewatch/state.db");
	assert_int_equal(cfg.policy.soft_campaigns, 3);
	assert_int_equal(cfg.policy.soft_window_hours, 72);
	assert_true(cfg.policy.alert_hard_rate > 0.019 && cfg.policy.alert_hard_rate < 0.021);
	assert_int_equal(cfg.classify.limits.max_parts, 256);
	assert_int_equal(cfg.classify.n_campaign_headers, 2);
	assert_string_equal(cfg.classify.campaign_headers[1], "List-Id");
	assert_int_equal(cfg.n_accounts, 1);
	assert_string_equal(cfg.accounts[0].folders[0], "INBOX");
	assert_int_equal(cfg.accounts[0].batch, 200);
	assert_true(cfg.accounts[0].tls_verify);
	assert_int_equal(cfg.accounts[0].mode, BW_MODE_IDLE);
	conf_free(&cfg);
}

static void test_every_error_with_line(void **state)
{
	(void)state;
	struct bw_config cfg;
	int n = load("state = 5;\n"
		     "policy = { soft_campaigns = -1; typo = 1; };\n"
		     "accounts = (\n"
		     "  { name = \"a\"; url = \"http://x\"; user = \"u\"; password_env = \"P\";\n"
		     "    on_bounce = \"burn\"; mode = \"push\"; }\n"
		     ");\n"
		     "hooks = ({ name = \"h\"; url = \"ftp://x\"; events = [\"suppres\"]; });\n", &cfg);
	assert_true(n >= 7);
	assert_non_null(strstr(errbuf, ":1: state must be a string"));
	assert_non_null(strstr(errbuf, ":2: policy.soft_campaigns must be between 0 and 1000"));
	assert_non_null(strstr(errbuf, ":2: unknown setting 'policy.typo'"));
	assert_non_null(strstr(errbuf, "url must start with imap:// or imaps://"));
	assert_non_null(strstr(errbuf, "on_bounce must be"));
	assert_non_null(strstr(errbuf, "mode must be"));
	assert_non_null(strstr(errbuf, "hook 'h': url must start with http"));
	assert_non_null(strstr(errbuf, "unknown event 'suppres'"));
	conf_free(&cfg);
}

static void test_syntax_error(void **state)
{
	(void)state;
	struct bw_config cfg;
	assert_int_equal(load("state = \"x\"\npolicy = {\n", &cfg), 1);
	assert_non_null(strstr(errbuf, ":3: syntax error"));
	conf_free(&cfg);
}

static void test_secret_file_and_env(void **state)
{
	(void)state;
	char errs[512];
	const char *p = write_conf("s3cret-value\nsecond line\n");
	chmod(p, 0644);
	FILE *err = fmemopen(errs, sizeof(errs), "w");
	char *s = conf_read_secret(p, NULL, "password", err);
	fclose(err);
	assert_string_equal(s, "s3cret-value");
	assert_non_null(strstr(errs, "readable by group or others"));
	assert_null(strstr(errs, "s3cret"));
	conf_secret_free(s);
	unlink(p);
	setenv("BW_TEST_SECRET", "from-env", 1);
	s = conf_read_secret(NULL, "BW_TEST_SECRET", "token", NULL);
	assert_string_equal(s, "from-env");
	conf_secret_free(s);
	assert_null(conf_read_secret(NULL, "BW_TEST_UNSET_VAR", "token", NULL));
}

static void test_dump_hides_password(void **state)
{
	(void)state;
	struct bw_config cfg;
	assert_int_equal(load("accounts = ({ name = \"a\"; url = \"imaps://h\"; user = \"u\"; "
			      "password = \"hunter2-secret\"; });\n", &cfg), 0);
	char out[16384];
	FILE *f = fmemopen(out, sizeof(out), "w");
	conf_dump(&cfg, f);
	fclose(f);
	assert_null(strstr(out, "hunter2-secret"));
	assert_non_null(strstr(out, "(hidden)"));
	conf_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_error_with_line),
		cmocka_unit_test(test_syntax_error),
		cmocka_unit_test(test_secret_file_and_env),
		cmocka_unit_test(test_dump_hides_password),
	};
	return cmocka_run_group_tests_name("conf", tests, NULL, NULL);
}
