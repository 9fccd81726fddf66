/*
 * fixture_classify.h - the classifier with default settings, shared by the
 * detector tests: cmocka group setup/teardown, classify() with the explain
 * trace on, and event_for() to find one recipient's event.  Include it once,
 * after cmocka.h, from a test_*.c file.
 */
#ifndef BW_FIXTURE_CLASSIFY_H
#define BW_FIXTURE_CLASSIFY_H

#include <string.h>

#include "classify.h"
#include "conf.h"

static struct bw_config cfg;
static struct bw_classifier *cl;

static int setup(void **state)
{
	(void)state;
	conf_defaults(&cfg);
	cl = classifier_new(&cfg.classify, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	classifier_free(cl);
	conf_free(&cfg);
	return 0;
}

/* Classify msg; the caller releases rep with report_free(). */
static void classify(const char *msg, struct bw_report *rep)
{
	memset(rep, 0, sizeof(*rep));
	rep->want_trace = true;
	classify_message(cl, msg, strlen(msg), rep);
}

/* The event for addr, or NULL. */
static __attribute__((unused)) const struct bw_event *event_for(const struct bw_report *rep, const char *addr)
{
	for (unsigned i = 0; i < rep->n_events; i++)
		if (strcmp(rep->events[i].recipient, addr) == 0)
			return &rep->events[i];
	return NULL;
}

#endif
