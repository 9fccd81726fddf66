/*
 * report.c - the per-message report: events and explain lines.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "util.h"

#define MAX_TRACE 200

void report_free(struct bw_report *rep)
{
	if (!rep)
		return;
	free(rep->events);
	free(rep->trace);
	rep->events = NULL;
	rep->trace = NULL;
	rep->n_events = rep->cap_events = 0;
	rep->n_trace = rep->cap_trace = 0;
}

void report_trace(struct bw_report *rep, const char *fmt, ...)
{
	if (!rep->want_trace || rep->n_trace >= MAX_TRACE)
		return;
	if (rep->n_trace == rep->cap_trace) {
		rep->cap_trace = rep->cap_trace ? rep->cap_trace * 2 : 16;
		rep->trace = xrealloc(rep->trace, rep->cap_trace * sizeof(*rep->trace));
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rep->trace[rep->n_trace], BW_TRACE_LINE, fmt, ap);
	va_end(ap);
	for (char *p = rep->trace[rep->n_trace]; *p; p++)
		if ((unsigned char)*p < 32)
			*p = ' ';
	rep->n_trace++;
}

struct bw_event *report_add_event(struct bw_report *rep, unsigned max_events)
{
	if (rep->n_events >= max_events)
		return NULL;
	if (rep->n_events == rep->cap_events) {
		rep->cap_events = rep->cap_events ? rep->cap_events * 2 : 4;
		rep->events = xrealloc(rep->events, rep->cap_events * sizeof(*rep->events));
	}
	struct bw_event *ev = &rep->events[rep->n_events++];
	memset(ev, 0, sizeof(*ev));
	return ev;
}
