/*
 * test_outbox.c - the retry arithmetic of the outbox: which answers are
 * retried, backoff with jitter, Retry-After, the retry window, dead letters.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hook.h"
#include "util.h"

#define T0 1700000000

static void test_classify(void **state)
{
	(void)state;
	assert_int_equal(outbox_classify_status(200), OUTBOX_V_DONE);
	assert_int_equal(outbox_classify_status(201), OUTBOX_V_DONE);
	assert_int_equal(outbox_classify_status(204), OUTBOX_V_DONE);
	assert_int_equal(outbox_classify_status(299), OUTBOX_V_DONE);
	assert_int_equal(outbox_classify_status(0), OUTBOX_V_RETRY);     /* no answer */
	assert_int_equal(outbox_classify_status(408), OUTBOX_V_RETRY);
	assert_int_equal(outbox_classify_status(429), OUTBOX_V_RETRY);
	assert_int_equal(outbox_classify_status(500), OUTBOX_V_RETRY);
	assert_int_equal(outbox_classify_status(502), OUTBOX_V_RETRY);
	assert_int_equal(outbox_classify_status(503), OUTBOX_V_RETRY);
	assert_int_equal(outbox_classify_status(599), OUTBOX_V_RETRY);
	assert_int_equal(outbox_classify_status(410), OUTBOX_V_GONE);
	assert_int_equal(outbox_classify_status(400), OUTBOX_V_DEAD);
	assert_int_equal(outbox_classify_status(401), OUTBOX_V_DEAD);
	assert_int_equal(outbox_classify_status(404), OUTBOX_V_DEAD);
	assert_int_equal(outbox_classify_status(422), OUTBOX_V_DEAD);
	assert_int_equal(outbox_classify_status(301), OUTBOX_V_DEAD);   /* redirects not followed */
	assert_int_equal(outbox_classify_status(100), OUTBOX_V_RETRY);
}

static void test_backoff(void **state)
{
	(void)state;
	/* rnd 0 gives the lower bound d/2, a huge rnd modulo gives up to d */
	assert_int_equal(outbox_backoff(1, 0), OUTBOX_BACKOFF_BASE / 2);
	assert_int_equal(outbox_backoff(2, 0), OUTBOX_BACKOFF_BASE);
	assert_int_equal(outbox_backoff(3, 0), OUTBOX_BACKOFF_BASE * 2);
	assert_int_equal(outbox_backoff(2, OUTBOX_BACKOFF_BASE), 2 * OUTBOX_BACKOFF_BASE);
	for (unsigned a = 1; a < 40; a++) {
		unsigned d = OUTBOX_BACKOFF_BASE;
		for (unsigned i = 1; i < a && d < OUTBOX_BACKOFF_CAP; i++)
			d *= 2;
		if (d > OUTBOX_BACKOFF_CAP)
			d = OUTBOX_BACKOFF_CAP;
		for (uint32_t r = 0; r < 5000; r += 97) {
			unsigned w = outbox_backoff(a, r * 2654435761u);
			assert_true(w >= d / 2 && w <= d);
		}
	}
	assert_true(outbox_backoff(1000, 0xffffffffu) <= OUTBOX_BACKOFF_CAP);
	assert_int_equal(outbox_backoff(1000, 0), OUTBOX_BACKOFF_CAP / 2);
	/* jitter really spreads the waits */
	assert_int_not_equal(outbox_backoff(8, 1), outbox_backoff(8, 2));
}

static void test_retry_after(void **state)
{
	(void)state;
	assert_int_equal(outbox_retry_after("120", T0), 120);
	assert_int_equal(outbox_retry_after(" 7 ", T0), 7);
	assert_int_equal(outbox_retry_after("0", T0), 0);
	assert_int_equal(outbox_retry_after(NULL, T0), -1);
	assert_int_equal(outbox_retry_after("", T0), -1);
	assert_int_equal(outbox_retry_after("12abc", T0), -1);
	assert_int_equal(outbox_retry_after("-5", T0), -1);
	assert_int_equal(outbox_retry_after("soon", T0), -1);
	assert_int_equal(outbox_retry_after("99999999999999999999999", T0), 30L * 86400);
	/* HTTP-date: 1700000000 is Tue, 14 Nov 2023 22:13:20 GMT */
	assert_int_equal(outbox_retry_after("Tue, 14 Nov 2023 22:15:00 GMT", T0), 100);
	assert_int_equal(outbox_retry_after("Tue, 14 Nov 2023 22:00:00 GMT", T0), 0);
}

static struct bw_outbox_row row_at(time_t created)
{
	struct bw_outbox_row r;
	memset(&r, 0, sizeof(r));
	r.created = created;
	r.next_attempt = created;
	return r;
}

static void test_fail_retry(void **state)
{
	(void)state;
	struct bw_outbox_row r = row_at(T0);
	outbox_fail(&r, OUTBOX_V_RETRY, T0, 24, -1, 0, "HTTP 500");
	assert_int_equal(r.state, BW_OUTBOX_PENDING);
	assert_int_equal(r.attempts, 1);
	assert_int_equal(r.next_attempt, T0 + OUTBOX_BACKOFF_BASE / 2);
	assert_string_equal(r.last_error, "HTTP 500");
	/* Retry-After longer than the backoff wins */
	outbox_fail(&r, OUTBOX_V_RETRY, T0 + 10, 24, 600, 0, "HTTP 429");
	assert_int_equal(r.attempts, 2);
	assert_int_equal(r.next_attempt, T0 + 10 + 600);
	/* shorter than the backoff: the backoff wins */
	outbox_fail(&r, OUTBOX_V_RETRY, T0 + 700, 24, 1, 0, "HTTP 503");
	assert_int_equal(r.next_attempt, T0 + 700 + OUTBOX_BACKOFF_BASE * 2);
}

static void test_window(void **state)
{
	(void)state;
	struct bw_outbox_row r = row_at(T0);
	/* a wait reaching past the window is cut to its end: one last attempt there */
	outbox_fail(&r, OUTBOX_V_RETRY, T0 + 3600 - 10, 1, 86400, 0, "timeout");
	assert_int_equal(r.state, BW_OUTBOX_PENDING);
	assert_int_equal(r.next_attempt, T0 + 3600);
	/* failing at (or past) the end of the window: dead */
	outbox_fail(&r, OUTBOX_V_RETRY, T0 + 3600, 1, -1, 0, "timeout");
	assert_int_equal(r.state, BW_OUTBOX_DEAD);
	assert_int_equal(r.attempts, 2);
	assert_non_null(strstr(r.last_error, "retry window of 1 h over"));
	/* retry_hours = 0: no retries at all */
	r = row_at(T0);
	outbox_fail(&r, OUTBOX_V_RETRY, T0, 0, -1, 0, "connection refused");
	assert_int_equal(r.state, BW_OUTBOX_DEAD);
}

static void test_dead_and_gone(void **state)
{
	(void)state;
	struct bw_outbox_row r = row_at(T0);
	outbox_fail(&r, OUTBOX_V_DEAD, T0, 24, -1, 0, "HTTP 400: bad request");
	assert_int_equal(r.state, BW_OUTBOX_DEAD);
	assert_int_equal(r.attempts, 1);
	assert_string_equal(r.last_error, "HTTP 400: bad request");
	r = row_at(T0);
	outbox_fail(&r, OUTBOX_V_GONE, T0, 24, -1, 0, "HTTP 410");
	assert_int_equal(r.state, BW_OUTBOX_DEAD);
}

static void test_done_and_errors(void **state)
{
	(void)state;
	struct bw_outbox_row r = row_at(T0);
	outbox_fail(&r, OUTBOX_V_RETRY, T0, 24, -1, 0, "line1\r\nline2");
	assert_string_equal(r.last_error, "line1  line2");   /* no control characters stored */
	char long_err[1000];
	memset(long_err, 'e', sizeof(long_err) - 1);
	long_err[sizeof(long_err) - 1] = '\0';
	outbox_fail(&r, OUTBOX_V_RETRY, T0, 24, -1, 0, long_err);
	assert_int_equal(strlen(r.last_error), sizeof(r.last_error) - 1);
	outbox_done(&r, T0 + 50, "HTTP 204");
	assert_int_equal(r.state, BW_OUTBOX_DONE);
	assert_int_equal(r.attempts, 3);
	assert_string_equal(r.last_error, "HTTP 204");
	assert_string_equal(outbox_state_name(BW_OUTBOX_DEAD), "dead");
	r.payload = xstrdup("{}");
	outbox_row_clear(&r);
	assert_null(r.payload);
	outbox_row_clear(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_fail_retry),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_dead_and_gone),
		cmocka_unit_test(test_done_and_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
