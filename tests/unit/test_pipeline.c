/*
 * test_pipeline.c - classify -> store -> policy -> outbox in one transaction,
 * on synthetic DSNs and a temporary database: decisions and outbox rows,
 * duplicates, dry runs, rollback on a failure mid-message, event time,
 * deterministic webhook ids, payload fields, campaigns across messages.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "classify.h"
#include "conf.h"
#include "pipeline.h"
#include "store.h"
#include "../../src/store_p.h"

#define NOW 1800000000

struct fx {
	char dir[64];
	char path[128];
	struct bw_config cfg;
	struct bw_store *st;
	struct bw_classifier *cl;
};

static const char conf_text[] =
	"hooks = (\n"
	"  { name = \"crm\"; url = \"http://127.0.0.1:9/s\";\n"
	"    events = [ \"suppress\", \"unsuppress\", \"defer\", \"soft_bounce\", \"alert\" ]; },\n"
	"  { name = \"raw\"; url = \"http://127.0.0.1:9/raw\"; events = [ \"bounce\" ]; }\n"
	");\n";

static struct bw_store *open_store(const char *dir, const char *name)
{
	char path[160], err[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	struct bw_store *st = store_open(path, err, sizeof err);
	if (!st)
		fail_msg("store_open: %s", err);
	return st;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	snprintf(f->dir, sizeof f->dir, "/tmp/bw-pipe-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	char conf[160];
	snprintf(conf, sizeof conf, "%s/t.conf", f->dir);
	FILE *fp = fopen(conf, "w");
	assert_non_null(fp);
	fputs(conf_text, fp);
	fclose(fp);
	assert_int_equal(conf_load(&f->cfg, conf, false, stderr), 0);
	unlink(conf);
	f->st = open_store(f->dir, "state.db");
	f->cl = classifier_new(&f->cfg.classify, NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	classifier_free(f->cl);
	store_close(f->st);
	conf_free(&f->cfg);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

struct rcpt {
	const char *addr;
	const char *status;   /* "5.1.1", "4.2.2", "2.0.0" */
	const char *action;   /* failed, delayed, delivered */
};

/* A DSN for rcpts, with optional Date, Arrival-Date and campaign. */
static char *dsn(const char *msgid, const char *date, const char *arrival, const char *campaign,
		 const struct rcpt *r, size_t n)
{
	char *buf = malloc(16384);
	size_t off = 0;
#define ADD(...) off += (size_t)snprintf(buf + off, 16384 - off, __VA_ARGS__)
	ADD("From: MAILER-DAEMON@mx.example.net\nTo: bounces@sender.example.com\n"
	    "Subject: Undelivered Mail Returned to Sender\nMessage-ID: <%s@mx.example.net>\n", msgid);
	if (date)
		ADD("Date: %s\n", date);
	ADD("MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status;"
	    " boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nDelivery report.\n\n"
	    "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n");
	if (arrival)
		ADD("Arrival-Date: %s\n", arrival);
	for (size_t i = 0; i < n; i++)
		ADD("\nFinal-Recipient: rfc822; %s\nAction: %s\nStatus: %s\n"
		    "Diagnostic-Code: smtp; %c50 %s \"quoted\" words\n",
		    r[i].addr, r[i].action, r[i].status, r[i].status[0], r[i].status);
	ADD("\n--B\nContent-Type: text/rfc822-headers\n\nFrom: news@sender.example.com\n"
	    "To: %s\nSubject: News\nMessage-ID: <orig-%s@sender.example.com>\n", r[0].addr, msgid);
	if (campaign)
		ADD("X-Campaign-ID: %s\n", campaign);
	ADD("\n--B--\n");
#undef ADD
	return buf;
}

static long count(struct bw_store *st, const char *sql)
{
	long n = store_test_count(st, sql);
	assert_true(n >= 0);
	return n;
}

static int process(struct fx *f, struct bw_store *st, bool dry, const char *raw, time_t now,
		   struct bw_pipeline_result *res)
{
	struct bw_origin o = { "main", "INBOX", 7, 0, };
	struct bw_pipeline *p = pipeline_new(&f->cfg, st, f->cl, dry);
	int r = pipeline_process(p, &o, raw, strlen(raw), now, res);
	pipeline_free(p);
	return r;
}

static const struct rcpt two[] = {
	{ "alice@example.org", "5.1.1", "failed" },
	{ "bob@example.org", "4.2.2", "failed" },
};

static void test_hard_and_soft(void **state)
{
	struct fx *f = *state;
	char *raw = dsn("m1", "Tue, 14 Nov 2023 10:00:00 +0000", NULL, "spring", two, 2);
	struct bw_pipeline_result res;
	assert_int_equal(process(f, f->st, false, raw, NOW, &res), 0);
	assert_int_equal(res.outcome, BW_PROCESSED);
	assert_int_equal(res.verdict, BW_VERDICT_BOUNCE);
	assert_int_equal(res.n_events, 2);
	/* bounce x2, suppress (alice), soft_bounce (bob) */
	assert_int_equal(res.n_decisions, 4);
	assert_int_equal(count(f->st, "SELECT count(*) FROM processed"), 1);
	assert_int_equal(count(f->st, "SELECT count(*) FROM events"), 2);
	assert_int_equal(count(f->st, "SELECT count(*) FROM suppressions WHERE address = 'alice@example.org'"
			       " AND scope = 'account' AND account = 'main' AND reason = 'userunknown'"), 1);
	assert_int_equal(count(f->st, "SELECT count(*) FROM suppressions"), 1);
	assert_int_equal(count(f->st, "SELECT count(*) FROM addresses WHERE address = 'bob@example.org'"
			       " AND status = 1 AND soft_total = 1 AND campaign_streak = 1"), 1);
	assert_int_equal(count(f->st, "SELECT count(*) FROM campaigns WHERE campaign = 'spring'"
			       " AND seq = 1 AND hard = 1 AND soft = 1 AND total = 2"), 1);
	assert_int_equal(count(f->st, "SELECT count(*) FROM decisions"), 2);
	/* outbox: crm gets suppress + soft_bounce, raw gets 2 bounces */
	assert_int_equal(count(f->st, "SELECT count(*) FROM outbox WHERE hook = 'crm'"), 2);
	assert_int_equal(count(f->st, "SELECT count(*) FROM outbox WHERE hook = 'raw' AND event = 'bounce'"), 2);
	assert_int_equal(count(f->st, "SELECT count(*) FROM outbox WHERE hook = 'crm' AND event = 'suppress'"
			       " AND webhook_id LIKE 'evt_%' AND length(webhook_id) = 52"
			       " AND created = " "1800000000" " AND state = 0"), 1);
	/* the suppression names the event that caused it */
	assert_int_equal(count(f->st, "SELECT count(*) FROM suppressions s JOIN events e"
			       " ON e.id = s.event_id WHERE e.recipient = s.address"), 1);
	free(raw);
}

static void test_payload(void **state)
{
	struct fx *f = *state;
	char *raw = dsn("m2", "Tue, 14 Nov 2023 10:00:00 +0000", NULL, "spring", two, 1);
	struct bw_pipeline_result res;
	assert_int_equal(process(f, f->st, false, raw, NOW, &res), 0);
	struct bw_outbox_row *rows;
	size_t n;
	assert_int_equal(store_outbox_list(f->st, BW_OUTBOX_PENDING, 0, &rows, &n), 0);
	const struct bw_outbox_row *sup = NULL;
	for (size_t i = 0; i < n; i++)
		if (strcmp(rows[i].event, "suppress") == 0)
			sup = &rows[i];
	assert_non_null(sup);
	json_error_t jerr;
	json_t *o = json_loads(sup->payload, 0, &jerr);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "recipient")), "alice@example.org");
	assert_string_equal(json_string_value(json_object_get(o, "kind")), "hard");
	assert_string_equal(json_string_value(json_object_get(o, "reason")), "userunknown");
	assert_true(json_is_true(json_object_get(o, "hard")));
	assert_string_equal(json_string_value(json_object_get(o, "status")), "5.1.1");
	assert_string_equal(json_string_value(json_object_get(o, "reply_code")), "550");
	assert_string_equal(json_string_value(json_object_get(o, "action")), "failed");
	assert_non_null(strstr(json_string_value(json_object_get(o, "diagnostic")), "\"quoted\""));
	assert_string_equal(json_string_value(json_object_get(o, "reporting_mta")), "mx.example.net");
	assert_string_equal(json_string_value(json_object_get(o, "detector")), "rfc3464");
	json_t *orig = json_object_get(o, "original");
	assert_true(json_is_object(orig));
	assert_string_equal(json_string_value(json_object_get(orig, "campaign")), "spring");
	assert_string_equal(json_string_value(json_object_get(orig, "message_id")),
			    "<orig-m2@sender.example.com>");
	assert_string_equal(json_string_value(json_object_get(o, "event")), "suppress");
	assert_string_equal(json_string_value(json_object_get(o, "account")), "main");
	assert_string_equal(json_string_value(json_object_get(o, "scope")), "account");
	assert_string_equal(json_string_value(json_object_get(o, "webhook_id")), sup->webhook_id);
	assert_string_equal(json_string_value(json_object_get(o, "campaign")), "spring");
	assert_string_equal(json_string_value(json_object_get(o, "detail")), "hard bounce");
	/* event time: no Arrival-Date, so the bounce's Date */
	assert_string_equal(json_string_value(json_object_get(o, "time")), "2023-11-14T10:00:00Z");
	json_decref(o);
	store_outbox_rows_free(rows, n);
	free(raw);
}

static void test_duplicate_changes_nothing(void **state)
{
	struct fx *f = *state;
	char *raw = dsn("m3", NULL, NULL, "spring", two, 2);
	struct bw_pipeline_result res;
	assert_int_equal(process(f, f->st, false, raw, NOW, &res), 0);
	assert_int_equal(res.outcome, BW_PROCESSED);
	long ev = count(f->st, "SELECT count(*) FROM events");
	long ob = count(f->st, "SELECT count(*) FROM outbox");
	long ad = count(f->st, "SELECT sum(soft_total + hard_total + events) FROM addresses");
	assert_int_equal(process(f, f->st, false, raw, NOW + 100, &res), 0);
	assert_int_equal(res.outcome, BW_DUPLICATE);
	assert_int_equal(res.n_decisions, 0);
	/* the same bytes from IMAP (CRLF) after a UIDVALIDITY change: a duplicate too */
	size_t len = strlen(raw);
	char *crlf = malloc(2 * len + 1);
	size_t k = 0;
	for (size_t i = 0; i < len; i++) {
		if (raw[i] == '\n')
			crlf[k++] = '\r';
		crlf[k++] = raw[i];
	}
	crlf[k] = '\0';
	struct bw_origin o = { "main", "INBOX", 8, 1 };
	struct bw_pipeline *p = pipeline_new(&f->cfg, f->st, f->cl, false);
	assert_int_equal(pipeline_process(p, &o, crlf, k, NOW, &res), 0);
	assert_int_equal(res.outcome, BW_DUPLICATE);
	pipeline_free(p);
	assert_int_equal(count(f->st, "SELECT count(*) FROM events"), ev);
	assert_int_equal(count(f->st, "SELECT count(*) FROM outbox"), ob);
	assert_int_equal(count(f->st, "SELECT sum(soft_total + hard_total + events) FROM addresses"), ad);
	assert_int_equal(count(f->st, "SELECT count(*) FROM processed"), 1);
	free(crlf);
	free(raw);
}

static void test_dry_run_keeps_nothing(void **state)
{
	struct fx *f = *state;
	char *raw = dsn("m4", NULL, NULL, NULL, two, 2);
	struct bw_pipeline_result res;
	struct bw_origin o = { "main", "a.eml", 0, 0 };
	struct bw_pipeline *p = pipeline_new(&f->cfg, f->st, f->cl, true);
	assert_int_equal(pipeline_process(p, &o, raw, strlen(raw), NOW, &res), 0);
	assert_int_equal(res.outcome, BW_PROCESSED);
	size_t n;
	const struct bw_decision *d = pipeline_decisions(p, &n);
	assert_int_equal(n, 4);
	assert_int_equal(d[1].type, BW_DEC_SUPPRESS);
	assert_string_equal(d[1].address, "alice@example.org");
	pipeline_free(p);
	static const char *const tables[] = { "processed", "events", "addresses", "suppressions",
					      "decisions", "outbox", "campaigns" };
	char sql[64];
	for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
		snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", tables[i]);
		assert_int_equal(count(f->st, sql), 0);
	}
	/* and then for real */
	assert_int_equal(process(f, f->st, false, raw, NOW, &res), 0);
	assert_int_equal(count(f->st, "SELECT count(*) FROM suppressions"), 1);
	free(raw);
}

/* A failure at any write of a message leaves no trace of it. */
static void test_failure_mid_message_rolls_back(void **state)
{
	struct fx *f = *state;
	char *raw = dsn("m5", NULL, NULL, "spring", two, 2);
	struct bw_pipeline_result res;
	static const char *const tables[] = { "processed", "events", "addresses", "suppressions",
					      "decisions", "outbox", "campaigns" };
	char sql[64];
	int failures = 0;
	for (int k = 1; k < 100; k++) {
		store_test_fail_after(f->st, k);
		int r = process(f, f->st, false, raw, NOW, &res);
		if (r == 0) {
			store_test_fail_after(f->st, 0);
			assert_int_equal(res.outcome, BW_PROCESSED);
			break;
		}
		failures++;
		assert_int_equal(res.outcome, BW_FAILED);
		assert_int_equal(res.n_decisions, 0);
		for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
			snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", tables[i]);
			assert_int_equal(count(f->st, sql), 0);
		}
	}
	/* every write of the message was made to fail once */
	assert_true(failures >= 10);
	assert_int_equal(count(f->st, "SELECT count(*) FROM events"), 2);
	assert_int_equal(count(f->st, "SELECT count(*) FROM outbox"), 4);
	free(raw);
}

/* Group commit: the messages of a batch commit together; a failing message
 * loses the batch (nothing of it is kept), and the ones before it, run again
 * in a new batch, give the same rows as alone; an aborted batch keeps
 * nothing; a dry run's batch keeps nothing. */
static void test_batch(void **state)
{
	struct fx *f = *state;
	char *a = dsn("b1", NULL, NULL, "spring", two, 2);
	char *b = dsn("b2", NULL, NULL, "spring", two, 2);
	char *c = dsn("b3", NULL, NULL, "spring", two, 2);
	struct bw_pipeline_result res;
	struct bw_origin o = { "main", "INBOX", 7, 1 };
	struct bw_pipeline *p = pipeline_new(&f->cfg, f->st, f->cl, false);

	/* a, then b fails mid-message: the batch is lost */
	assert_int_equal(pipeline_batch_begin(p), 0);
	assert_int_equal(pipeline_process(p, &o, a, strlen(a), NOW, &res), 0);
	assert_int_equal(res.outcome, BW_PROCESSED);
	o.uid = 2;
	store_test_fail_after(f->st, 3);
	assert_int_equal(pipeline_process(p, &o, b, strlen(b), NOW, &res), -1);
	assert_int_equal(res.outcome, BW_FAILED);
	store_test_fail_after(f->st, 0);
	o.uid = 3;
	assert_int_equal(pipeline_process(p, &o, c, strlen(c), NOW, &res), -1);
	assert_int_equal(pipeline_batch_commit(p), -1);
	assert_int_equal(count(f->st, "SELECT count(*) FROM processed"), 0);
	assert_int_equal(count(f->st, "SELECT count(*) FROM events"), 0);

	/* a again, then c, and c's bytes again (a duplicate in the batch) */
	o.uid = 1;
	assert_int_equal(pipeline_batch_begin(p), 0);
	assert_int_equal(pipeline_process(p, &o, a, strlen(a), NOW, &res), 0);
	assert_int_equal(res.outcome, BW_PROCESSED);
	o.uid = 3;
	assert_int_equal(pipeline_process(p, &o, c, strlen(c), NOW, &res), 0);
	assert_int_equal(res.outcome, BW_PROCESSED);
	o.uid = 4;
	assert_int_equal(pipeline_process(p, &o, c, strlen(c), NOW, &res), 0);
	assert_int_equal(res.outcome, BW_DUPLICATE);
	assert_int_equal(pipeline_batch_commit(p), 0);
	assert_int_equal(count(f->st, "SELECT count(*) FROM processed"), 2);
	assert_int_equal(count(f->st, "SELECT count(*) FROM events"), 4);
	long ob = count(f->st, "SELECT count(*) FROM outbox");
	long dec = count(f->st, "SELECT count(*) FROM decisions");
	assert_true(ob > 0);

	/* an aborted batch keeps nothing */
	o.uid = 2;
	assert_int_equal(pipeline_batch_begin(p), 0);
	assert_int_equal(pipeline_process(p, &o, b, strlen(b), NOW, &res), 0);
	assert_int_equal(res.outcome, BW_PROCESSED);
	pipeline_batch_abort(p);
	assert_int_equal(count(f->st, "SELECT count(*) FROM processed"), 2);
	assert_int_equal(count(f->st, "SELECT count(*) FROM outbox"), ob);
	assert_int_equal(count(f->st, "SELECT count(*) FROM decisions"), dec);
	pipeline_free(p);

	/* dry run: nothing kept, each message undone alone (b twice: processed twice) */
	p = pipeline_new(&f->cfg, f->st, f->cl, true);
	assert_int_equal(pipeline_batch_begin(p), 0);
	assert_int_equal(pipeline_process(p, &o, b, strlen(b), NOW, &res), 0);
	assert_int_equal(res.outcome, BW_PROCESSED);
	o.uid = 5;
	assert_int_equal(pipeline_process(p, &o, b, strlen(b), NOW, &res), 0);
	assert_int_equal(res.outcome, BW_PROCESSED);
	assert_int_equal(pipeline_batch_commit(p), 0);
	assert_int_equal(count(f->st, "SELECT count(*) FROM processed"), 2);
	pipeline_free(p);

	/* the same messages one by one give the same rows */
	struct bw_store *st2 = open_store(f->dir, "alone.db");
	const char *raws[] = { a, c };
	const uint32_t uids[] = { 1, 3 };
	for (size_t i = 0; i < 2; i++) {
		struct bw_origin o2 = { "main", "INBOX", 7, uids[i] };
		p = pipeline_new(&f->cfg, st2, f->cl, false);
		assert_int_equal(pipeline_process(p, &o2, raws[i], strlen(raws[i]), NOW, &res), 0);
		pipeline_free(p);
	}
	static const char *const q[] = {
		"SELECT count(*) FROM events", "SELECT count(*) FROM outbox",
		"SELECT count(*) FROM decisions", "SELECT count(*) FROM suppressions",
		"SELECT sum(soft_total + hard_total + events + status) FROM addresses",
		"SELECT sum(total + hard + soft) FROM campaigns",
	};
	for (size_t i = 0; i < sizeof q / sizeof q[0]; i++)
		assert_int_equal(count(st2, q[i]), count(f->st, q[i]));
	store_close(st2);
	free(a);
	free(b);
	free(c);
}

/* Event time: Arrival-Date, else Date, else now. */
static void test_event_time(void **state)
{
	struct fx *f = *state;
	struct bw_pipeline_result res;
	const struct rcpt a[] = { { "t1@example.org", "5.1.1", "failed" } };
	const struct rcpt b[] = { { "t2@example.org", "5.1.1", "failed" } };
	const struct rcpt c[] = { { "t3@example.org", "5.1.1", "failed" } };
	char *r1 = dsn("t1", "Tue, 14 Nov 2023 10:00:00 +0000", "Tue, 14 Nov 2023 09:00:00 +0000", NULL, a, 1);
	char *r2 = dsn("t2", "Tue, 14 Nov 2023 10:00:00 +0000", NULL, NULL, b, 1);
	char *r3 = dsn("t3", NULL, NULL, NULL, c, 1);
	assert_int_equal(process(f, f->st, false, r1, NOW, &res), 0);
	assert_int_equal(process(f, f->st, false, r2, NOW, &res), 0);
	assert_int_equal(process(f, f->st, false, r3, NOW, &res), 0);
	assert_int_equal(count(f->st, "SELECT time FROM events WHERE recipient = 't1@example.org'"), 1699952400);
	assert_int_equal(count(f->st, "SELECT time FROM events WHERE recipient = 't2@example.org'"), 1699956000);
	assert_int_equal(count(f->st, "SELECT time FROM events WHERE recipient = 't3@example.org'"), NOW);
	assert_int_equal(count(f->st, "SELECT created FROM suppressions WHERE address = 't1@example.org'"), 1699952400);
	free(r1);
	free(r2);
	free(r3);
}

/* The same message in two fresh stores gives the same webhook ids. */
static void test_webhook_ids_deterministic(void **state)
{
	struct fx *f = *state;
	char *raw = dsn("m6", NULL, NULL, "spring", two, 2);
	struct bw_pipeline_result res;
	struct bw_store *other = open_store(f->dir, "other.db");
	assert_int_equal(process(f, f->st, false, raw, NOW, &res), 0);
	assert_int_equal(process(f, other, false, raw, NOW + 999, &res), 0);
	struct bw_outbox_row *a, *b;
	size_t na, nb;
	assert_int_equal(store_outbox_list(f->st, -1, 0, &a, &na), 0);
	assert_int_equal(store_outbox_list(other, -1, 0, &b, &nb), 0);
	assert_int_equal(na, 4);
	assert_int_equal(nb, 4);
	for (size_t i = 0; i < na; i++) {
		assert_string_equal(a[i].webhook_id, b[i].webhook_id);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(a[i].webhook_id, a[j].webhook_id);
	}
	store_outbox_rows_free(a, na);
	store_outbox_rows_free(b, nb);
	store_close(other);
	free(raw);
}

/* Soft bounces in 3 consecutive campaigns (3 messages): suppressed at the 3rd;
 * with a campaign between that did not bounce for her: not. */
static void test_campaign_streak_across_messages(void **state)
{
	struct fx *f = *state;
	struct bw_pipeline_result res;
	const struct rcpt carol[] = { { "carol@example.org", "4.3.0", "failed" } };
	const struct rcpt dave[] = { { "dave@example.org", "4.3.0", "failed" } };
	char id[16], camp[16];
	for (int i = 1; i <= 3; i++) {
		snprintf(id, sizeof id, "c%d", i);
		snprintf(camp, sizeof camp, "camp-%d", i);
		char *raw = dsn(id, NULL, NULL, camp, carol, 1);
		assert_int_equal(process(f, f->st, false, raw, NOW + i * 60, &res), 0);
		free(raw);
		assert_int_equal(count(f->st, "SELECT count(*) FROM suppressions WHERE address = 'carol@example.org'"),
				 i == 3);
	}
	assert_int_equal(count(f->st, "SELECT count(*) FROM decisions WHERE address = 'carol@example.org'"
			       " AND type = 'suppress' AND detail LIKE '%3 consecutive campaigns%'"), 1);
	/* dave: camp-4, (camp-5 only carol), camp-6, camp-7 */
	const struct { const char *camp; const struct rcpt *r; } seq[] = {
		{ "camp-4", dave }, { "camp-5", carol }, { "camp-6", dave }, { "camp-7", dave },
	};
	for (int i = 0; i < 4; i++) {
		snprintf(id, sizeof id, "d%d", i);
		char *raw = dsn(id, NULL, NULL, seq[i].camp, seq[i].r, 1);
		assert_int_equal(process(f, f->st, false, raw, NOW + 1000 + i * 60, &res), 0);
		free(raw);
	}
	assert_int_equal(count(f->st, "SELECT count(*) FROM suppressions WHERE address = 'dave@example.org'"), 0);
	assert_int_equal(count(f->st, "SELECT campaign_streak FROM addresses WHERE address = 'dave@example.org'"), 2);
}

/* Rate alert once the sent count is known: 3 hard of 100 sent > 2 %. */
static void test_rate_alert(void **state)
{
	struct fx *f = *state;
	struct bw_pipeline_result res;
	assert_int_equal(store_campaign_set_sent(f->st, "big", "", 100, NOW), 0);
	char id[16], addr[64];
	for (int i = 0; i < 4; i++) {
		snprintf(id, sizeof id, "r%d", i);
		snprintf(addr, sizeof addr, "u%d@example.org", i);
		const struct rcpt r[] = { { addr, "5.1.1", "failed" } };
		char *raw = dsn(id, NULL, NULL, "big", r, 1);
		assert_int_equal(process(f, f->st, false, raw, NOW, &res), 0);
		free(raw);
		assert_int_equal(count(f->st, "SELECT count(*) FROM outbox WHERE event = 'alert'"), i >= 2);
	}
	assert_int_equal(count(f->st, "SELECT count(*) FROM decisions WHERE type = 'alert'"
			       " AND reason = 'hard_rate' AND campaign = 'big' AND address = ''"), 1);
}

static void test_content_key(void **state)
{
	(void)state;
	char k1[400], k2[400], k3[400];
	pipeline_content_key("Message-ID: <a@b>\nSubject: x\n\nbody\n", 35, k1, sizeof k1);
	pipeline_content_key("Message-ID: <a@b>\r\nSubject: x\r\n\r\nbody\r\n", 39, k2, sizeof k2);
	pipeline_content_key("Message-ID: <a@b>\nSubject: y\n\nbody\n", 35, k3, sizeof k3);
	assert_string_equal(k1, k2);
	assert_string_not_equal(k1, k3);
	assert_non_null(strstr(k1, " <a@b>"));
	assert_int_equal(strlen(k1), 64 + 1 + 5);
	char small[10];
	pipeline_content_key("x", 1, small, sizeof small);
	assert_int_equal(strlen(small), 9);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_hard_and_soft),
		T(test_payload),
		T(test_duplicate_changes_nothing),
		T(test_dry_run_keeps_nothing),
		T(test_failure_mid_message_rolls_back),
		T(test_batch),
		T(test_event_time),
		T(test_webhook_ids_deterministic),
		T(test_campaign_streak_across_messages),
		T(test_rate_alert),
		cmocka_unit_test(test_content_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
