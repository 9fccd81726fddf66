/*
 * date.c - RFC 5322 dates, tolerant of the variants MTAs write.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "date.h"
#include "util.h"

static const char *const months[12] = {
	"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"
};

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == ',')
		p++;
	return p;
}

static const char *read_num(const char *p, int maxdigits, int *out)
{
	int v = 0, n = 0;
	while (bw_isdigit((unsigned char)*p) && n < maxdigits) {
		v = v * 10 + (*p - '0');
		p++;
		n++;
	}
	*out = n ? v : -1;
	return p;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's method). */
static long days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int zone_offset(const char *p)
{
	if (*p == '+' || *p == '-') {
		int v;
		read_num(p + 1, 4, &v);
		if (v < 0)
			return 0;
		int mins = (v / 100) * 60 + v % 100;
		return *p == '-' ? -mins : mins;
	}
	static const struct { const char *n; int off; } zones[] = {
		{ "UT", 0 }, { "GMT", 0 }, { "UTC", 0 }, { "Z", 0 },
		{ "EST", -300 }, { "EDT", -240 }, { "CST", -360 }, { "CDT", -300 },
		{ "MST", -420 }, { "MDT", -360 }, { "PST", -480 }, { "PDT", -420 },
		{ "JST", 540 }, { "CET", 60 }, { "CEST", 120 },
	};
	if (!bw_isalpha((unsigned char)*p))
		return 0;                 /* every name begins with a letter */
	size_t n = strlen(p);
	for (size_t i = 0; i < ARRAY_LEN(zones); i++)
		if (bw_prefixcase(p, n, zones[i].n))
			return zones[i].off;
	return 0;
}

/* The month whose name p begins with (its first three letters, either
 * case), 1..12; -1 for none. */
static int month_of(const char *p)
{
	for (int i = 0; i < 12; i++)
		if (bw_lower((unsigned char)p[0]) == months[i][0] && bw_lower((unsigned char)p[1]) == months[i][1] &&
		    bw_lower((unsigned char)p[2]) == months[i][2])
			return i + 1;
	return -1;
}

time_t bw_parse_date(const char *s)
{
	const char *p = skip_ws(s);
	/* optional day name */
	if (bw_isalpha((unsigned char)*p)) {
		while (bw_isalpha((unsigned char)*p))
			p++;
		p = skip_ws(p);
	}
	int day, mon = -1, year, hh, mm, ss = 0;
	p = read_num(p, 2, &day);
	if (day < 1 || day > 31)
		return 0;
	p = skip_ws(p);
	if (*p == '-')
		p++;
	mon = month_of(p);
	if (mon < 0)
		return 0;
	while (bw_isalpha((unsigned char)*p))
		p++;
	if (*p == '-')
		p++;
	p = skip_ws(p);
	p = read_num(p, 4, &year);
	if (year < 0)
		return 0;
	if (year < 50)
		year += 2000;
	else if (year < 1000)
		year += 1900;
	p = skip_ws(p);
	p = read_num(p, 2, &hh);
	if (hh < 0 || *p != ':')
		return 0;
	p = read_num(p + 1, 2, &mm);
	if (mm < 0)
		return 0;
	if (*p == ':')
		p = read_num(p + 1, 2, &ss);
	if (ss < 0)
		ss = 0;
	p = skip_ws(p);
	if (hh > 23 || mm > 59 || ss > 60)
		return 0;
	long days = days_from_civil(year, mon, day);
	long long t = (long long)days * 86400 + hh * 3600 + mm * 60 + ss;
	t -= (long long)zone_offset(p) * 60;
	return t > 0 ? (time_t)t : 0;
}

/* The proleptic Gregorian date of day z since 1970-01-01, z >= 0 (the
 * inverse of days_from_civil, Howard Hinnant's method). */
static void civil_from_days(long z, long *y, unsigned *m, unsigned *d)
{
	z += 719468;
	long era = z / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (long)yoe + era * 400 + (*m <= 2);
}

/* Two decimal digits of v < 100 at p. */
static void put2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

void bw_format_time(time_t t, char *out, size_t outsz)
{
	/* 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z (four-digit years):
	 * strftime's text, put together without gmtime_r and strftime (1,400
	 * instructions a call, an event time for every parse --json event) */
	if (t >= 0 && (long long)t <= 253402300799LL && outsz >= 21) {
		long y;
		unsigned m, d, secs = (unsigned)(t % 86400);
		civil_from_days((long)(t / 86400), &y, &m, &d);
		put2(out, (unsigned)(y / 100));
		put2(out + 2, (unsigned)(y % 100));
		out[4] = '-';
		put2(out + 5, m);
		out[7] = '-';
		put2(out + 8, d);
		out[10] = 'T';
		put2(out + 11, secs / 3600);
		out[13] = ':';
		put2(out + 14, secs / 60 % 60);
		out[16] = ':';
		put2(out + 17, secs % 60);
		memcpy(out + 19, "Z", 2);
		return;
	}
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
