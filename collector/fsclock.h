/*
 * fsclock.h - the two clocks, in milliseconds.
 *
 * DESIGN
 * fs_wall_ms() (CLOCK_REALTIME) is for what people and Redis read: record
 * times, buckets, detections, expiry dates.  fs_mono_ms()
 * (CLOCK_MONOTONIC) is for every duration and age: a step of the system
 * clock (NTP, an operator; HOSTILE D-5) must not expire templates, hold
 * back alerts or stretch a backoff.
 */
#ifndef FS_FSCLOCK_H
#define FS_FSCLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t
fs_clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static inline uint64_t
fs_wall_ms(void)
{
	return fs_clock_ms(CLOCK_REALTIME);
}

static inline uint64_t
fs_mono_ms(void)
{
	return fs_clock_ms(CLOCK_MONOTONIC);
}

#endif
