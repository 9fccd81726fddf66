/*
 * date.h - RFC 5322 date-time parsing (Date:, Arrival-Date:).
 */
#ifndef BW_DATE_H
#define BW_DATE_H

#include <stddef.h>
#include <time.h>

/* Parse "Wed, 16 Oct 2013 14:15:35 +0900" (day name optional, obsolete zone
 * names accepted) into a UTC time_t.  Returns 0 when it cannot. */
time_t bw_parse_date(const char *s);
/* Format t as ISO 8601 UTC ("2013-10-16T05:15:35Z") into out (>= 21 bytes). */
void bw_format_time(time_t t, char *out, size_t outsz);

#endif
