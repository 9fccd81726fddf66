/*
 * test_metrics.c - the registry (counters, gauges, labels, caps, threads),
 * the Prometheus text exposition, the pipeline helper, the listen address
 * parser, and the HTTP listener scraped over a real socket on 127.0.0.1.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "metrics.h"
#include "util.h"

/* Does text hold line as a whole line? */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = strstr(text, line); p; p = strstr(p + 1, line))
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

static void test_empty(void **state)
{
	(void)state;
	struct metrics *m = metrics_new();
	size_t len = 0;
	char *t = metrics_render(m, &len);
	assert_int_equal(strlen(t), len);
	assert_true(has_line(t, "# TYPE bouncewatch_messages_total counter"));
	assert_true(has_line(t, "# HELP bouncewatch_messages_total Messages run through the "
			     "pipeline and committed, by verdict."));
	assert_true(has_line(t, "# TYPE bouncewatch_hook_queue_depth gauge"));
	assert_true(has_line(t, "# TYPE bouncewatch_imap_last_poll_timestamp_seconds gauge"));
	/* a family without labels is always there, at 0; a labelled one has no sample */
	assert_true(has_line(t, "bouncewatch_messages_duplicate_total 0"));
	assert_true(has_line(t, "bouncewatch_hook_queue_depth 0"));
	assert_null(strstr(t, "bouncewatch_messages_total{"));
	assert_null(strstr(t, "bouncewatch_build_info{"));   /* only the global registry has it */
	/* every family once, in table order */
	for (unsigned id = 0; id < BW_M__COUNT; id++) {
		char want[128];
		snprintf(want, sizeof want, "# TYPE %s ", metrics_name((enum bw_metric)id));
		const char *p = strstr(t, want);
		assert_non_null(p);
		assert_null(strstr(p + 1, want));
	}
	assert_true(strstr(t, "# TYPE bouncewatch_messages_total") <
		    strstr(t, "# TYPE bouncewatch_events_total"));
	assert_int_equal(t[len - 1], '\n');
	free(t);
	metrics_free(m);
	metrics_free(NULL);
}

static void test_counters(void **state)
{
	(void)state;
	struct metrics *m = metrics_new();
	metrics_reg_add(m, BW_M_MESSAGES, 1, "bounce", NULL);
	metrics_reg_add(m, BW_M_MESSAGES, 1, "bounce", NULL);
	metrics_reg_add(m, BW_M_MESSAGES, 1, "autoreply", "ignored-extra-label");
	metrics_reg_add(m, BW_M_EVENTS, 3, "hard", "userunknown");
	metrics_reg_add(m, BW_M_EVENTS, 1, "soft", "mailboxfull");
	metrics_reg_add(m, BW_M_EVENTS, 1, "hard", "hostunknown");
	metrics_reg_add(m, BW_M_MESSAGES_DUPLICATE, 1, "no", "labels");
	metrics_reg_add(m, BW_M__COUNT, 1, NULL, NULL);        /* out of range: ignored */
	assert_true(metrics_reg_get(m, BW_M_MESSAGES, "bounce", NULL) == 2);
	assert_true(metrics_reg_get(m, BW_M_MESSAGES, "complaint", NULL) == 0);
	char *t = metrics_render(m, NULL);
	assert_true(has_line(t, "bouncewatch_messages_total{verdict=\"bounce\"} 2"));
	assert_true(has_line(t, "bouncewatch_messages_total{verdict=\"autoreply\"} 1"));
	assert_true(has_line(t, "bouncewatch_events_total{kind=\"hard\",reason=\"userunknown\"} 3"));
	assert_true(has_line(t, "bouncewatch_events_total{kind=\"soft\",reason=\"mailboxfull\"} 1"));
	assert_true(has_line(t, "bouncewatch_messages_duplicate_total 1"));
	/* series are sorted by label values */
	assert_true(strstr(t, "verdict=\"autoreply\"") < strstr(t, "verdict=\"bounce\""));
	assert_true(strstr(t, "reason=\"hostunknown\"") < strstr(t, "reason=\"userunknown\""));
	assert_true(strstr(t, "kind=\"hard\",reason=\"userunknown\"") <
		    strstr(t, "kind=\"soft\""));
	free(t);
	metrics_free(m);
}

static void test_gauges_and_values(void **state)
{
	(void)state;
	struct metrics *m = metrics_new();
	metrics_reg_set(m, BW_M_IMAP_LAST_POLL, 1700000000, "main", NULL);
	metrics_reg_set(m, BW_M_IMAP_LAST_POLL, 1700000060, "main", NULL);
	metrics_reg_set(m, BW_M_IMAP_LAST_POLL, 1700000001, "other", NULL);
	metrics_reg_set(m, BW_M_HOOK_QUEUE, 7, NULL, NULL);
	metrics_reg_add(m, BW_M_HOOK_QUEUE, -2, NULL, NULL);
	metrics_reg_set(m, BW_M_START_TIME, 0.25, NULL, NULL);
	char *t = metrics_render(m, NULL);
	assert_true(has_line(t, "bouncewatch_imap_last_poll_timestamp_seconds{account=\"main\"} "
			     "1700000060"));
	assert_true(has_line(t, "bouncewatch_imap_last_poll_timestamp_seconds{account=\"other\"} "
			     "1700000001"));
	assert_true(has_line(t, "bouncewatch_hook_queue_depth 5"));
	assert_true(has_line(t, "bouncewatch_start_time_seconds 0.25"));
	free(t);
	metrics_free(m);
}

static void test_escaping_and_caps(void **state)
{
	(void)state;
	struct metrics *m = metrics_new();
	metrics_reg_add(m, BW_M_HOOK_DELIVERIES, 1, "a\"b\\c\nd", NULL);
	metrics_reg_add(m, BW_M_IMAP_CONNECTS, 1, NULL, NULL);
	char longname[300];
	memset(longname, 'x', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	metrics_reg_add(m, BW_M_HOOK_FAILURES, 1, longname, NULL);
	metrics_reg_add(m, BW_M_HOOK_FAILURES, 1, longname, NULL);
	char *t = metrics_render(m, NULL);
	assert_true(has_line(t, "bouncewatch_hook_deliveries_total{hook=\"a\\\"b\\\\c\\nd\"} 1"));
	assert_true(has_line(t, "bouncewatch_imap_connects_total{account=\"\"} 1"));
	char want[400];
	snprintf(want, sizeof want, "bouncewatch_hook_failures_total{hook=\"%.*s\"} 2",
		 METRICS_LABEL_MAX, longname);
	assert_true(has_line(t, want));
	free(t);
	/* past the series cap new series are dropped, old ones still count */
	for (unsigned i = 0; i < METRICS_SERIES_MAX + 10; i++) {
		char name[32];
		snprintf(name, sizeof name, "acct%u", i);
		metrics_reg_add(m, BW_M_IMAP_RECONNECTS, 1, name, NULL);
	}
	metrics_reg_add(m, BW_M_HOOK_FAILURES, 1, longname, NULL);
	assert_true(metrics_reg_get(m, BW_M_HOOK_FAILURES, longname, NULL) == 3);
	assert_true(metrics_reg_get(m, BW_M_IMAP_RECONNECTS, "acct0", NULL) == 1);
	char last[32];
	snprintf(last, sizeof last, "acct%u", METRICS_SERIES_MAX + 9);
	assert_true(metrics_reg_get(m, BW_M_IMAP_RECONNECTS, last, NULL) == 0);
	metrics_free(m);
}

#define N_THREADS 4
#define N_INC     20000

static void *hammer(void *arg)
{
	struct metrics *m = arg;
	for (unsigned i = 0; i < N_INC; i++) {
		metrics_reg_add(m, BW_M_DECISIONS, 1, "suppress", NULL);
		metrics_reg_add(m, BW_M_EVENTS, 1, i % 2 ? "hard" : "soft", "userunknown");
	}
	return NULL;
}

static void test_threads(void **state)
{
	(void)state;
	struct metrics *m = metrics_new();
	pthread_t t[N_THREADS];
	for (unsigned i = 0; i < N_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer, m), 0);
	for (unsigned i = 0; i < N_THREADS; i++) {
		char *text = metrics_render(m, NULL);   /* renders while others count */
		free(text);
	}
	for (unsigned i = 0; i < N_THREADS; i++)
		pthread_join(t[i], NULL);
	assert_true(metrics_reg_get(m, BW_M_DECISIONS, "suppress", NULL) == N_THREADS * N_INC);
	assert_true(metrics_reg_get(m, BW_M_EVENTS, "hard", "userunknown") == N_THREADS * N_INC / 2);
	metrics_free(m);
}

static void test_message_helper(void **state)
{
	(void)state;
	struct metrics *g = metrics_global();
	struct bw_event ev[3];
	memset(ev, 0, sizeof ev);
	ev[0].kind = BW_KIND_HARD; ev[0].reason = BW_R_USERUNKNOWN;
	ev[1].kind = BW_KIND_HARD; ev[1].reason = BW_R_USERUNKNOWN;
	ev[2].kind = BW_KIND_SOFT; ev[2].reason = BW_R_MAILBOXFULL;
	struct bw_report rep;
	memset(&rep, 0, sizeof rep);
	rep.verdict = BW_VERDICT_BOUNCE;
	rep.events = ev;
	rep.n_events = 3;
	struct bw_decision dec[3];
	memset(dec, 0, sizeof dec);
	dec[0].type = BW_DEC_SUPPRESS; snprintf(dec[0].scope, sizeof dec[0].scope, "account");
	dec[1].type = BW_DEC_SUPPRESS; snprintf(dec[1].scope, sizeof dec[1].scope, "global");
	dec[2].type = BW_DEC_SOFT_BOUNCE;

	metrics_message(BW_PROCESSED, &rep, dec, 3);
	metrics_message(BW_DUPLICATE, &rep, dec, 3);
	metrics_message(BW_FAILED, &rep, dec, 3);
	rep.verdict = BW_VERDICT_AUTOREPLY;
	rep.n_events = 0;
	metrics_message(BW_PROCESSED, &rep, NULL, 0);

	assert_true(metrics_reg_get(g, BW_M_MESSAGES, "bounce", NULL) == 1);
	assert_true(metrics_reg_get(g, BW_M_MESSAGES, "autoreply", NULL) == 1);
	assert_true(metrics_reg_get(g, BW_M_MESSAGES_DUPLICATE, NULL, NULL) == 1);
	assert_true(metrics_reg_get(g, BW_M_MESSAGES_FAILED, NULL, NULL) == 1);
	assert_true(metrics_reg_get(g, BW_M_EVENTS, "hard", "userunknown") == 2);
	assert_true(metrics_reg_get(g, BW_M_EVENTS, "soft", "mailboxfull") == 1);
	assert_true(metrics_reg_get(g, BW_M_DECISIONS, "suppress", NULL) == 2);
	assert_true(metrics_reg_get(g, BW_M_DECISIONS, "soft_bounce", NULL) == 1);
	assert_true(metrics_reg_get(g, BW_M_SUPPRESSIONS, "account", NULL) == 1);
	assert_true(metrics_reg_get(g, BW_M_SUPPRESSIONS, "global", NULL) == 1);
	assert_true(metrics_reg_get(g, BW_M_BUILD_INFO, PACKAGE_VERSION, NULL) == 1);
	assert_true(metrics_reg_get(g, BW_M_START_TIME, NULL, NULL) > 1600000000);
}

static void test_parse_listen(void **state)
{
	(void)state;
	struct sockaddr_storage ss;
	size_t len;
	char err[256];
	assert_int_equal(metrics_parse_listen("127.0.0.1:9187", &ss, &len, err, sizeof err), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 9187);
	assert_int_equal(metrics_parse_listen("[::1]:9000", &ss, &len, err, sizeof err), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 9000);
	assert_int_equal(metrics_parse_listen("127.0.0.1:0", &ss, &len, err, sizeof err), 0);
	assert_int_equal(metrics_parse_listen("127.0.0.1", &ss, &len, err, sizeof err), -1);
	assert_non_null(strstr(err, "ADDRESS:PORT"));
	assert_int_equal(metrics_parse_listen(":9187", &ss, &len, err, sizeof err), -1);
	assert_int_equal(metrics_parse_listen("127.0.0.1:", &ss, &len, err, sizeof err), -1);
	assert_int_equal(metrics_parse_listen("127.0.0.1:65536", &ss, &len, err, sizeof err), -1);
	assert_int_equal(metrics_parse_listen("127.0.0.1:9x", &ss, &len, err, sizeof err), -1);
	assert_int_equal(metrics_parse_listen("::1:9187", &ss, &len, err, sizeof err), -1);
	assert_int_equal(metrics_parse_listen("[::1]9187", &ss, &len, err, sizeof err), -1);
	assert_int_equal(metrics_parse_listen("256.1.1.1:80", &ss, &len, err, sizeof err), -1);
}

/* http - one request to 127.0.0.1:port; the whole response (malloc'd). */
static char *http(unsigned port, const char *request)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	size_t n = strlen(request);
	assert_int_equal(write(fd, request, n), (ssize_t)n);
	struct bw_buf b = { 0 };
	char chunk[4096];
	ssize_t r;
	bw_buf_append(&b, "", 0);
	while ((r = read(fd, chunk, sizeof chunk)) > 0)
		bw_buf_append(&b, chunk, (size_t)r);
	close(fd);
	return b.data;
}

static void test_listener(void **state)
{
	(void)state;
	char err[256] = "";
	assert_int_equal(metrics_port(), 0);
	assert_int_equal(metrics_start("", err, sizeof err), 0);       /* off */
	assert_int_equal(metrics_port(), 0);
	assert_int_equal(metrics_start("nonsense", err, sizeof err), -1);
	assert_int_equal(metrics_start("127.0.0.1:0", err, sizeof err), 0);
	unsigned port = metrics_port();
	assert_true(port > 0);
	assert_int_equal(metrics_start("127.0.0.1:0", err, sizeof err), -1);   /* once */

	metrics_inc(BW_M_IMAP_CONNECTS, "listener-test", NULL);
	char *resp = http(port, "GET /metrics HTTP/1.0\r\n\r\n");
	assert_non_null(strstr(resp, "HTTP/1.0 200") ? resp : strstr(resp, "HTTP/1.1 200"));
	assert_non_null(strstr(resp, "text/plain; version=0.0.4"));
	assert_non_null(strstr(resp, "\nbouncewatch_imap_connects_total{account=\"listener-test\"} 1\n"));
	assert_non_null(strstr(resp, "\nbouncewatch_build_info{version=\"" PACKAGE_VERSION "\"} 1\n"));
	free(resp);
	resp = http(port, "GET /nothing HTTP/1.0\r\n\r\n");
	assert_non_null(strstr(resp, " 404 "));
	free(resp);
	resp = http(port, "POST /metrics HTTP/1.0\r\nContent-Length: 0\r\n\r\n");
	assert_non_null(strstr(resp, " 405 "));
	assert_non_null(strstr(resp, "Allow: GET, HEAD"));
	free(resp);

	/* the same port twice: the second listener cannot bind */
	char addr[64];
	snprintf(addr, sizeof addr, "127.0.0.1:%u", port);
	metrics_stop();
	assert_int_equal(metrics_port(), 0);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(metrics_start(addr, err, sizeof err), -1);
	assert_non_null(strstr(err, "cannot listen"));
	close(fd);
	metrics_stop();   /* not running: no-op */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_gauges_and_values),
		cmocka_unit_test(test_escaping_and_caps),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_message_helper),
		cmocka_unit_test(test_parse_listen),
		cmocka_unit_test(test_listener),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
