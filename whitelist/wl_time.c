/*
 * wl_time.c - the times of the whitelist format: expiry dates, RFC 3339.
 *
 * DESIGN
 * Two spellings are read: a date YYYY-MM-DD, meaning the whole of that
 * day in UTC (so it is stored as the next midnight, the first moment it
 * no longer holds), and an RFC 3339 time with 'Z' or an offset and
 * optional fractional seconds (kept to the millisecond).  Years are 1970
 * to 9999 and the result is above 0 (0 means "never" and "unknown").
 * Writing is the inverse: a midnight as the date of the day before when
 * the caller allows dates, otherwise RFC 3339 in UTC, with .mmm only when
 * the time is not a whole second, so a time read and written reads back
 * the same.  Calendar arithmetic is Howard Hinnant's days-from-civil.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "wl_impl.h"

/* n decimal digits at s into *v; -1 when one is not a digit. */
static int
digits(const char *s, int n, unsigned *v)
{
	*v = 0;
	while (n-- > 0) {
		if (*s < '0' || *s > '9')
			return -1;
		*v = *v * 10 + (unsigned)(*s++ - '0');
	}
	return 0;
}

static int
leap(unsigned y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int64_t
days_from_civil(unsigned y, unsigned m, unsigned d)
{
	unsigned era, yoe, doy, doe;

	y -= m <= 2;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int64_t)era * 146097 + (int64_t)doe - 719468;
}

static void
civil_from_days(int64_t z, unsigned *y, unsigned *m, unsigned *d)
{
	unsigned era, doe, yoe, doy, mp;

	z += 719468;				/* z >= 0 from 1970 on */
	era = (unsigned)(z / 146097);
	doe = (unsigned)(z - (int64_t)era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yoe + era * 400 + (*m <= 2);
}

/* "YYYY-MM-DD" at s (10 bytes) as days since 1970-01-01; 0 or -1. */
static int
date10(const char *s, int64_t *days)
{
	static const unsigned char mdays[] = { 31, 28, 31, 30, 31, 30, 31,
	    31, 30, 31, 30, 31 };
	unsigned y, m, d;

	if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &m) ||
	    s[7] != '-' || digits(s + 8, 2, &d))
		return -1;
	if (y < 1970 || m < 1 || m > 12 || d < 1)
		return -1;
	if (d > (unsigned)mdays[m - 1] + (m == 2 && leap(y)))
		return -1;
	*days = days_from_civil(y, m, d);
	return 0;
}

int
wl_date_parse(const char *s, uint64_t *ms)
{
	int64_t days;

	if (strlen(s) != 10 || date10(s, &days) != 0)
		return -1;
	*ms = (uint64_t)(days + 1) * WL_DAY_MS;
	return 0;
}

int
wl_time_parse(const char *s, uint64_t *ms)
{
	int64_t days, t;
	unsigned h, mi, sec, frac = 0, oh, om, scale = 100;
	const char *p;

	if (strlen(s) < 20 || date10(s, &days) != 0)
		return -1;
	if ((s[10] != 'T' && s[10] != 't') || digits(s + 11, 2, &h) ||
	    s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
	    digits(s + 17, 2, &sec))
		return -1;
	if (h > 23 || mi > 59 || sec > 60)	/* 60: a leap second */
		return -1;
	p = s + 19;
	if (*p == '.') {			/* 1-9 digits, kept to the ms */
		if (*++p < '0' || *p > '9')
			return -1;
		for (; *p >= '0' && *p <= '9' && p - s < 29; p++) {
			frac += (unsigned)(*p - '0') * scale;
			scale /= 10;
		}
	}
	t = days * 86400000 + (int64_t)h * 3600000 + (int64_t)mi * 60000 +
	    (int64_t)sec * 1000 + (int64_t)frac;
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
		;
	else if ((*p == '+' || *p == '-') && strlen(p) == 6 &&
	    digits(p + 1, 2, &oh) == 0 && p[3] == ':' &&
	    digits(p + 4, 2, &om) == 0 && oh <= 23 && om <= 59)
		t += (*p == '+' ? -1 : 1) * ((int64_t)oh * 3600000 +
		    (int64_t)om * 60000);
	else
		return -1;
	if (t <= 0 || t >= (int64_t)WL_TIME_END)
		return -1;
	*ms = (uint64_t)t;
	return 0;
}

int
wl_time_format(uint64_t ms, int as_date, char *buf)
{
	unsigned y, m, d, r;

	if (ms == 0 || ms > WL_TIME_END)
		return -1;
	if (as_date && ms % WL_DAY_MS == 0) {
		civil_from_days((int64_t)(ms / WL_DAY_MS) - 1, &y, &m, &d);
		snprintf(buf, WL_TIME_LEN, "%04u-%02u-%02u", y, m, d);
		return 0;
	}
	if (ms == WL_TIME_END)
		return -1;
	civil_from_days((int64_t)(ms / WL_DAY_MS), &y, &m, &d);
	r = (unsigned)(ms % WL_DAY_MS);
	if (r % 1000)
		snprintf(buf, WL_TIME_LEN,
		    "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ", y, m, d,
		    r / 3600000, r / 60000 % 60, r / 1000 % 60, r % 1000);
	else
		snprintf(buf, WL_TIME_LEN, "%04u-%02u-%02uT%02u:%02u:%02uZ",
		    y, m, d, r / 3600000, r / 60000 % 60, r / 1000 % 60);
	return 0;
}
