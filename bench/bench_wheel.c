/* Timing-wheel benchmark: prints sizes and nanoseconds per operation.
 *
 * Populations of 1k, 100k and 10M timers with expiries uniform over
 * 1 ms .. 10 h (1 tick = 1 ms, as in the stack: RTOs, keepalives, TIME_WAIT).
 * Figures, never assertions: a slow machine must not fail a build.
 *
 *   arm      wheel_arm of an unarmed timer
 *   re-arm   wheel_arm of an armed timer to a new expiry (an RTO restart)
 *   cancel   wheel_cancel of an armed timer
 *   tick/1M  wheel_advance by one tick with the whole population armed,
 *            over the first 1M ticks (~17 simulated minutes), cascades and
 *            the timers that come due included
 *   tick/10h the same over all 36M ticks to 10 h, which drains every timer
 *   fire     draining the population with one advance to 10 h, per timer
 *            fired (cascades included)
 *
 * Random expiries come from an inline xorshift64 (about a nanosecond, and it
 * is part of every arm/re-arm figure).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "base/wheel.h"

#define HOUR (3600ull * 1000)
#define HORIZON (10 * HOUR)
#define TICK_RUN 1000000ull

static uint64_t xorshift64(uint64_t *state)
{
	uint64_t x = *state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void count_fire(void *ctx, struct wheel_timer *t)
{
	(void)t;
	(*(size_t *)ctx)++;
}

struct row {
	double arm, rearm, cancel, tick_1m, tick_10h, fire;
	size_t fired_1m;
};

/* Arms every timer on a fresh wheel at tick 0; returns ns per arm. */
static double arm_all(struct wheel *w, struct wheel_timer *timers, size_t n, uint64_t *rng)
{
	wheel_init(w, 0);
	for (size_t i = 0; i < n; i++)
		wheel_timer_init(&timers[i]);
	double t0 = now_ns();
	for (size_t i = 0; i < n; i++)
		wheel_arm(w, &timers[i], 1 + xorshift64(rng) % HORIZON);
	return (now_ns() - t0) / (double)n;
}

static void measure_ops(struct wheel *w, struct wheel_timer *timers, size_t n,
                        uint64_t *rng, struct row *r)
{
	r->arm = arm_all(w, timers, n, rng);

	double t0 = now_ns();
	for (size_t i = 0; i < n; i++)
		wheel_arm(w, &timers[i], 1 + xorshift64(rng) % HORIZON);
	r->rearm = (now_ns() - t0) / (double)n;

	t0 = now_ns();
	for (size_t i = 0; i < n; i++)
		wheel_cancel(w, &timers[i]);
	r->cancel = (now_ns() - t0) / (double)n;
}

static void measure_advance(struct wheel *w, struct wheel_timer *timers, size_t n,
                            uint64_t *rng, struct row *r)
{
	size_t fired = 0;

	arm_all(w, timers, n, rng);
	double t0 = now_ns();
	for (uint64_t tick = 1; tick <= TICK_RUN; tick++)
		wheel_advance(w, tick, count_fire, &fired);
	double t1 = now_ns();
	r->tick_1m = (t1 - t0) / (double)TICK_RUN;
	r->fired_1m = fired;
	for (uint64_t tick = TICK_RUN + 1; tick <= HORIZON; tick++)
		wheel_advance(w, tick, count_fire, &fired);
	r->tick_10h = (now_ns() - t0) / (double)HORIZON;
	if (fired != n || w->count != 0)
		printf("  (warning: %zu of %zu fired in 1-tick steps)\n", fired, n);

	arm_all(w, timers, n, rng);
	fired = 0;
	t0 = now_ns();
	wheel_advance(w, HORIZON, count_fire, &fired);
	r->fire = (now_ns() - t0) / (double)fired;
	if (fired != n || w->count != 0)
		printf("  (warning: %zu of %zu fired in one jump)\n", fired, n);
}

int main(void)
{
	static const size_t sizes[] = {1000, 100000, 10000000};
	static const char *const names[] = {"1k", "100k", "10M"};
	struct wheel *w = malloc(sizeof(*w));
	if (w == NULL)
		return 1;

	printf("timing wheel: %u levels x %u slots, 1 tick = 1 ms, expiries 1 ms .. 10 h\n",
	       (unsigned)WHEEL_LEVELS, (unsigned)WHEEL_SLOTS);
	printf("sizeof(struct wheel_timer) = %zu bytes\n", sizeof(struct wheel_timer));
	printf("sizeof(struct wheel)       = %zu bytes\n\n", sizeof(struct wheel));
	printf("%-7s %8s %8s %8s %9s %9s %9s %10s\n", "timers", "arm", "re-arm", "cancel",
	       "tick/1M", "tick/10h", "fire", "fired/1M");
	printf("%-7s %8s %8s %8s %9s %9s %9s %10s\n", "", "ns/op", "ns/op", "ns/op",
	       "ns/tick", "ns/tick", "ns/timer", "timers");

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t n = sizes[k];
		struct wheel_timer *timers = malloc(n * sizeof(*timers));
		if (timers == NULL) {
			printf("%-7s (no memory for %zu timers)\n", names[k], n);
			continue;
		}
		uint64_t rng = 0x9e3779b97f4a7c15ull ^ n;
		struct row r;
		measure_ops(w, timers, n, &rng, &r);
		measure_advance(w, timers, n, &rng, &r);
		printf("%-7s %8.1f %8.1f %8.1f %9.1f %9.1f %9.1f %10zu\n", names[k], r.arm,
		       r.rearm, r.cancel, r.tick_1m, r.tick_10h, r.fire, r.fired_1m);
		fflush(stdout);
		free(timers);
	}
	printf("\ntick/1M:  one-tick advances over the first 1M ticks, population armed\n"
	       "          (fired/1M timers came due meanwhile; their callbacks included)\n"
	       "tick/10h: one-tick advances over all 36M ticks, draining every timer\n"
	       "fire:     one advance from 0 to 10 h, per timer fired (cascades included)\n");
	free(w);
	return 0;
}
