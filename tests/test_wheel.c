/* Unit tests of the hierarchical timing wheel (src/base/wheel.h).
 *
 * What is promised and checked here: a timer fires in the wheel_advance whose
 * now reaches its expiry, with w->now reading exactly its expiry tick (or, for
 * an expiry already past when armed, the tick it was armed at); ties fire in
 * arm order; callbacks may arm and cancel freely; wheel_next_expiry is never
 * later than the earliest due tick; count is exact.  The randomized tests use
 * a local xorshift64 with fixed seeds so a failure replays identically.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/wheel.h"

#define HOUR (3600ull * 1000) /* ticks are milliseconds in the stack */
#define DAY (24 * HOUR)
#define YEAR (365 * DAY)
#define SPAN (1ull << (WHEEL_LEVELS * WHEEL_SLOT_BITS)) /* 64^6 ticks */

static uint64_t xorshift64(uint64_t *state)
{
	uint64_t x = *state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

/* A bounded uniform-enough draw in [0, n); n == 0 means 0. */
static uint64_t draw(uint64_t *state, uint64_t n)
{
	return n == 0 ? 0 : xorshift64(state) % n;
}

/* ------------------------------------------------------------------------ */
/* Harness: a wheel, an array of timers, and a log of (timer, tick) fired.  */

#define LOG_MAX 4096

struct fired {
	size_t id;
	uint64_t tick; /* w->now inside the callback */
};

struct harness;
typedef void (*harness_action_fn)(struct harness *h, size_t id);

struct harness {
	struct wheel w;
	struct wheel_timer *timers;
	size_t ntimers;
	struct fired log[LOG_MAX];
	size_t nlog;
	harness_action_fn action; /* run after a fire is logged, may be NULL */
	uint64_t period;          /* for periodic_action */
	size_t victim;            /* for cancel/arm actions */
};

static struct harness *harness_new(size_t ntimers, uint64_t now)
{
	struct harness *h = calloc(1, sizeof(*h));
	assert_non_null(h);
	h->timers = calloc(ntimers, sizeof(*h->timers));
	assert_non_null(h->timers);
	h->ntimers = ntimers;
	wheel_init(&h->w, now);
	return h;
}

static void harness_free(struct harness *h)
{
	free(h->timers);
	free(h);
}

static void record_fire(void *ctx, struct wheel_timer *t)
{
	struct harness *h = ctx;
	size_t id = (size_t)(t - h->timers);
	assert_true(id < h->ntimers);
	assert_false(wheel_timer_armed(t));
	assert_true(h->nlog < LOG_MAX);
	h->log[h->nlog].id = id;
	h->log[h->nlog].tick = h->w.now;
	h->nlog++;
	if (h->action != NULL)
		h->action(h, id);
}

static size_t advance(struct harness *h, uint64_t now)
{
	return wheel_advance(&h->w, now, record_fire, h);
}

static void arm(struct harness *h, size_t id, uint64_t expires)
{
	wheel_arm(&h->w, &h->timers[id], expires);
}

/* ------------------------------------------------------------------------ */
/* Single timers: exact expiry at every level boundary.                      */

/* Arms one timer delta ticks after start and checks, along three different
 * paths of advances, that it fires at exactly start + delta. */
static void check_single_timer_exact(uint64_t start, uint64_t delta)
{
	uint64_t expires = start + delta;

	for (int path = 0; path < 3; path++) {
		struct harness *h = harness_new(1, start);
		arm(h, 0, expires);
		assert_int_equal(h->w.count, 1);
		assert_true(wheel_next_expiry(&h->w) <= expires);
		if (path == 0) { /* one jump to the tick before, then onto it */
			assert_int_equal(advance(h, expires - 1), 0);
			assert_true(wheel_timer_armed(&h->timers[0]));
			assert_int_equal(advance(h, expires), 1);
		} else if (path == 1) { /* halving jumps, then the last ticks one by one */
			uint64_t now = start;
			while (expires - now > 4) {
				now += (expires - now) / 2;
				assert_int_equal(advance(h, now), 0);
			}
			while (now + 1 < expires)
				assert_int_equal(advance(h, ++now), 0);
			assert_int_equal(advance(h, expires), 1);
		} else { /* one jump well past it: it still reports its own tick */
			uint64_t past = expires > UINT64_MAX - 5000 ? UINT64_MAX : expires + 5000;
			assert_int_equal(advance(h, past), 1);
		}
		assert_int_equal(h->nlog, 1);
		assert_int_equal(h->log[0].tick, expires);
		assert_false(wheel_timer_armed(&h->timers[0]));
		assert_int_equal(h->w.count, 0);
		assert_int_equal(wheel_next_expiry(&h->w), WHEEL_NEVER);
		harness_free(h);
	}
}

static const uint64_t test_starts[] = {
	0, 1, 63, 12345, 4096 * 64 - 2, SPAN - 3, 5 * SPAN + 777,
};

static void test_single_timer_fires_exactly_at_level_boundaries(void **state)
{
	(void)state;
	static const uint64_t deltas[] = {
		1, 2, 63, 64, 65, 127, 128, 4095, 4096, 4097,
		262143, 262144, 262145, 16777215, 16777216, 16777217,
		1073741823, 1073741824, 1073741825,
	};
	for (size_t s = 0; s < sizeof(test_starts) / sizeof(test_starts[0]); s++)
		for (size_t d = 0; d < sizeof(deltas) / sizeof(deltas[0]); d++)
			check_single_timer_exact(test_starts[s], deltas[d]);
}

static void test_single_timer_fires_exactly_after_hours_and_days(void **state)
{
	(void)state;
	static const uint64_t deltas[] = {
		HOUR, HOUR + 1, 10 * HOUR, DAY, DAY - 1, 7 * DAY + 13, 30 * DAY, YEAR,
	};
	for (size_t s = 0; s < sizeof(test_starts) / sizeof(test_starts[0]); s++)
		for (size_t d = 0; d < sizeof(deltas) / sizeof(deltas[0]); d++)
			check_single_timer_exact(test_starts[s], deltas[d]);
}

/* Beyond 64^6 ticks the timer is parked at the far edge and re-filed once per
 * span; it must still fire on its exact tick. */
static void test_timer_beyond_wheel_span_fires_exactly(void **state)
{
	(void)state;
	static const uint64_t deltas[] = {
		SPAN - 1, SPAN, SPAN + 1, 2 * SPAN - 1, 3 * SPAN + 12345, 10 * YEAR + 3,
	};
	for (size_t s = 0; s < sizeof(test_starts) / sizeof(test_starts[0]); s++)
		for (size_t d = 0; d < sizeof(deltas) / sizeof(deltas[0]); d++)
			check_single_timer_exact(test_starts[s], deltas[d]);
}

/* The top of the tick range: no overflow in slot arithmetic. */
static void test_timer_at_end_of_tick_range_fires_exactly(void **state)
{
	(void)state;
	check_single_timer_exact(UINT64_MAX - 3 * SPAN, 3 * SPAN);
	check_single_timer_exact(UINT64_MAX - 100, 100);
	check_single_timer_exact(UINT64_MAX - 1, 1);

	struct harness *h = harness_new(2, UINT64_MAX - SPAN - 10);
	arm(h, 0, UINT64_MAX);
	arm(h, 1, UINT64_MAX - 1);
	assert_int_equal(advance(h, UINT64_MAX), 2);
	assert_int_equal(h->log[0].id, 1);
	assert_int_equal(h->log[0].tick, UINT64_MAX - 1);
	assert_int_equal(h->log[1].id, 0);
	assert_int_equal(h->log[1].tick, UINT64_MAX);
	harness_free(h);
}

/* ------------------------------------------------------------------------ */
/* Past expiries, cancel, re-arm, time.                                      */

static void test_expiry_in_past_fires_on_next_advance(void **state)
{
	(void)state;
	struct harness *h = harness_new(3, 0);
	assert_int_equal(advance(h, 1000), 0);
	arm(h, 0, 10);   /* long past */
	arm(h, 1, 999);  /* just past */
	arm(h, 2, 1001); /* future: must wait */
	assert_int_equal(wheel_next_expiry(&h->w), 1000); /* due now */
	/* Even an advance that does not move the clock fires what is due. */
	assert_int_equal(advance(h, 1000), 2);
	assert_int_equal(h->log[0].id, 0);
	assert_int_equal(h->log[1].id, 1);
	assert_int_equal(h->log[0].tick, 1000);
	assert_int_equal(h->log[1].tick, 1000);
	assert_true(wheel_timer_armed(&h->timers[2]));
	assert_int_equal(h->w.count, 1);
	assert_int_equal(advance(h, 1001), 1);
	assert_int_equal(h->log[2].tick, 1001);
	harness_free(h);
}

static void test_expiry_equal_to_now_fires_on_next_advance(void **state)
{
	(void)state;
	struct harness *h = harness_new(1, 777);
	arm(h, 0, 777);
	assert_int_equal(wheel_next_expiry(&h->w), 777);
	assert_int_equal(advance(h, 900), 1);
	assert_int_equal(h->log[0].tick, 777);
	harness_free(h);
}

static void test_cancel_prevents_firing(void **state)
{
	(void)state;
	static const uint64_t deltas[] = {0, 1, 64, 5000, 10 * HOUR, SPAN + 9};
	size_t n = sizeof(deltas) / sizeof(deltas[0]);
	struct harness *h = harness_new(n, 100);
	for (size_t i = 0; i < n; i++)
		arm(h, i, 100 + deltas[i]);
	assert_int_equal(h->w.count, n);
	for (size_t i = 0; i < n; i += 2)
		wheel_cancel(&h->w, &h->timers[i]);
	assert_int_equal(h->w.count, n / 2);
	assert_int_equal(advance(h, 100 + 2 * SPAN), n / 2);
	for (size_t i = 0; i < h->nlog; i++)
		assert_int_equal(h->log[i].id % 2, 1);
	assert_int_equal(h->w.count, 0);
	assert_int_equal(wheel_next_expiry(&h->w), WHEEL_NEVER);
	for (int k = 0; k < WHEEL_LEVELS; k++)
		assert_int_equal(h->w.occupied[k], 0); /* cancel left no stale bit */
	harness_free(h);
}

static void test_cancel_unarmed_timer_is_harmless(void **state)
{
	(void)state;
	struct harness *h = harness_new(2, 0);
	wheel_cancel(&h->w, &h->timers[0]); /* never armed */
	arm(h, 1, 50);
	wheel_cancel(&h->w, &h->timers[1]);
	wheel_cancel(&h->w, &h->timers[1]); /* twice */
	assert_int_equal(h->w.count, 0);
	arm(h, 1, 60);
	assert_int_equal(advance(h, 60), 1);
	wheel_cancel(&h->w, &h->timers[1]); /* after it fired */
	assert_int_equal(h->w.count, 0);
	harness_free(h);
}

static void test_rearm_moves_timer_earlier_and_later(void **state)
{
	(void)state;
	struct harness *h = harness_new(1, 0);
	arm(h, 0, 10 * HOUR);
	arm(h, 0, 50); /* earlier */
	assert_int_equal(h->w.count, 1);
	assert_int_equal(wheel_next_expiry(&h->w), 50);
	assert_int_equal(advance(h, 49), 0);
	assert_int_equal(advance(h, 50), 1);
	assert_int_equal(h->log[0].tick, 50);

	arm(h, 0, 100);
	arm(h, 0, 5000); /* later */
	assert_int_equal(h->w.count, 1);
	assert_int_equal(advance(h, 4999), 0);
	assert_int_equal(advance(h, 10 * HOUR), 1);
	assert_int_equal(h->log[1].tick, 5000);
	assert_int_equal(h->w.count, 0);
	harness_free(h);
}

static void test_advance_to_earlier_tick_changes_nothing(void **state)
{
	(void)state;
	struct harness *h = harness_new(1, 5000);
	arm(h, 0, 5001);
	assert_int_equal(advance(h, 10), 0);
	assert_int_equal(h->w.now, 5000);
	assert_int_equal(advance(h, 5001), 1);
	assert_int_equal(h->log[0].tick, 5001);
	harness_free(h);
}

/* ------------------------------------------------------------------------ */
/* Callbacks that arm and cancel.                                            */

static void periodic_action(struct harness *h, size_t id)
{
	struct wheel_timer *t = &h->timers[id];
	wheel_arm(&h->w, t, t->expires + h->period);
}

static void check_periodic(uint64_t period, bool tick_by_tick)
{
	const uint64_t fires = 40;
	struct harness *h = harness_new(1, 0);
	h->action = periodic_action;
	h->period = period;
	arm(h, 0, period);
	uint64_t end = fires * period + period / 2;
	if (tick_by_tick) {
		for (uint64_t now = 1; now <= end; now++)
			advance(h, now);
	} else {
		assert_int_equal(advance(h, end), fires);
	}
	assert_int_equal(h->nlog, fires);
	for (uint64_t i = 0; i < fires; i++)
		assert_int_equal(h->log[i].tick, (i + 1) * period);
	assert_true(wheel_timer_armed(&h->timers[0]));
	assert_int_equal(h->w.count, 1);
	harness_free(h);
}

static void test_periodic_rearm_from_callback_fires_every_period(void **state)
{
	(void)state;
	static const uint64_t periods[] = {1, 7, 63, 64, 65, 1000, 4097, 300001, HOUR / 7};
	for (size_t i = 0; i < sizeof(periods) / sizeof(periods[0]); i++)
		check_periodic(periods[i], false);
	check_periodic(1, true);
	check_periodic(7, true);
	check_periodic(65, true);
}

static void cancel_victim_action(struct harness *h, size_t id)
{
	(void)id;
	wheel_cancel(&h->w, &h->timers[h->victim]);
}

/* Timer 0 cancels timer 1, the next in line; timer 2 cancels timer 4,
 * further down the same list. */
static void cancel_in_slot_action(struct harness *h, size_t id)
{
	if (id == 0)
		wheel_cancel(&h->w, &h->timers[1]);
	else if (id == 2)
		wheel_cancel(&h->w, &h->timers[4]);
}

static void test_callback_cancels_other_timer_in_same_slot(void **state)
{
	(void)state;
	struct harness *h = harness_new(5, 0);
	h->action = cancel_in_slot_action;
	for (size_t i = 0; i < 5; i++)
		arm(h, i, 4100); /* all in one slot, fired from one detached list */
	assert_int_equal(advance(h, 5000), 3);
	assert_int_equal(h->nlog, 3);
	assert_int_equal(h->log[0].id, 0);
	assert_int_equal(h->log[1].id, 2);
	assert_int_equal(h->log[2].id, 3);
	assert_int_equal(h->w.count, 0);
	for (size_t i = 0; i < 5; i++)
		assert_false(wheel_timer_armed(&h->timers[i]));
	harness_free(h);
}

static void test_callback_cancels_later_timer(void **state)
{
	(void)state;
	struct harness *h = harness_new(3, 0);
	h->action = cancel_victim_action;
	h->victim = 1;
	arm(h, 0, 100);
	arm(h, 1, 101);       /* next tick, same level-0 block */
	arm(h, 2, 2 * HOUR);  /* coarse level */
	assert_int_equal(advance(h, 3 * HOUR), 2);
	assert_int_equal(h->log[0].id, 0);
	assert_int_equal(h->log[1].id, 2);
	assert_int_equal(h->log[1].tick, 2 * HOUR);
	harness_free(h);
}

/* The callback of timer 0 arms timers 1..3 for a past tick, the current tick
 * and a tick before the advance's target: all fire in the same advance. */
static void arm_due_action(struct harness *h, size_t id)
{
	if (id != 0)
		return;
	uint64_t now = h->w.now;
	arm(h, 1, now + 5);
	arm(h, 2, now - 3);
	arm(h, 3, now);
}

static void test_callback_arms_due_timers_fire_in_same_advance(void **state)
{
	(void)state;
	struct harness *h = harness_new(5, 0);
	h->action = arm_due_action;
	arm(h, 0, 1000);
	arm(h, 4, 1000); /* a tie with timer 0, armed later */
	assert_int_equal(advance(h, 1010), 5);
	/* At 1000: 0, then 4 (already pending), then 2 and 3 in arm order. */
	size_t want_id[] = {0, 4, 2, 3, 1};
	uint64_t want_tick[] = {1000, 1000, 1000, 1000, 1005};
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(h->log[i].id, want_id[i]);
		assert_int_equal(h->log[i].tick, want_tick[i]);
	}
	assert_int_equal(h->w.count, 0);
	harness_free(h);
}

/* ------------------------------------------------------------------------ */
/* Ties.                                                                     */

static void test_ties_fire_in_arm_order(void **state)
{
	(void)state;
	enum { N = 32 };
	struct harness *h = harness_new(N, 0);
	size_t order[N];
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < N; i++)
		order[i] = i;
	for (size_t i = N - 1; i > 0; i--) { /* a fixed shuffle */
		size_t j = (size_t)draw(&rng, i + 1);
		size_t tmp = order[i];
		order[i] = order[j];
		order[j] = tmp;
	}
	for (size_t i = 0; i < N; i++)
		arm(h, order[i], 3 * HOUR + 17);
	assert_int_equal(advance(h, 4 * HOUR), N);
	for (size_t i = 0; i < N; i++)
		assert_int_equal(h->log[i].id, order[i]);
	harness_free(h);
}

/* Timers with one expiry armed at different times sit at different levels
 * when armed; arm order must survive the cascades, and a re-arm counts as a
 * new arm.  Also for far timers re-filed across a span. */
static void test_ties_keep_arm_order_across_cascades(void **state)
{
	(void)state;
	struct harness *h = harness_new(6, 0);
	arm(h, 0, 100000); /* level 2 */
	advance(h, 99000);
	arm(h, 1, 100000); /* level 1 */
	advance(h, 99990);
	arm(h, 2, 100000); /* level 0 */
	arm(h, 0, 100000); /* re-armed: now last */
	assert_int_equal(advance(h, 100000), 3);
	assert_int_equal(h->log[0].id, 1);
	assert_int_equal(h->log[1].id, 2);
	assert_int_equal(h->log[2].id, 0);

	h->nlog = 0;
	uint64_t far = 3 * SPAN + 5;
	arm(h, 3, far); /* far edge */
	advance(h, 2 * SPAN + 10);
	arm(h, 4, far); /* still far */
	advance(h, 3 * SPAN - 10);
	arm(h, 5, far);
	assert_int_equal(advance(h, far), 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(h->log[i].id, 3 + i);
		assert_int_equal(h->log[i].tick, far);
	}
	harness_free(h);
}

/* ------------------------------------------------------------------------ */
/* next_expiry against a brute-force model.                                  */

/* A random expiry relative to now, over every scale from the past to beyond
 * the wheel's span. */
static uint64_t random_expiry(uint64_t *rng, uint64_t now)
{
	switch (draw(rng, 16)) {
	case 0: {
		uint64_t back = draw(rng, 1000);
		return back > now ? 0 : now - back;
	}
	case 1: return now;
	case 2: case 3: case 4: return now + 1 + draw(rng, 64);
	case 5: case 6: case 7: return now + 1 + draw(rng, 4096);
	case 8: case 9: case 10: return now + 1 + draw(rng, 300000);
	case 11: case 12: case 13: return now + 1 + draw(rng, 10 * HOUR);
	case 14: return now + 1 + draw(rng, 60 * DAY);
	default: return now + 1 + draw(rng, 4 * SPAN);
	}
}

static uint64_t random_jump(uint64_t *rng)
{
	switch (draw(rng, 16)) {
	case 0: return 0;
	case 1: case 2: case 3: case 4: return 1 + draw(rng, 64);
	case 5: case 6: case 7: return 1 + draw(rng, 4096);
	case 8: case 9: case 10: return 1 + draw(rng, 300000);
	case 11: case 12: case 13: return 1 + draw(rng, 10 * HOUR);
	case 14: return 1 + draw(rng, 30 * DAY);
	default: return 1 + draw(rng, 3 * SPAN);
	}
}

/* next_expiry is WHEEL_NEVER iff nothing is armed, never before the clock,
 * never after the earliest due tick, and exact when that tick lies in the
 * clock's current 64-tick block (level 0). */
static void check_next_expiry(const struct wheel *w, bool any, uint64_t min_due)
{
	uint64_t next = wheel_next_expiry(w);
	if (!any) {
		assert_int_equal(next, WHEEL_NEVER);
		return;
	}
	assert_true(next >= w->now);
	assert_true(next <= min_due);
	if (min_due < (w->now | (WHEEL_SLOTS - 1)) + 1)
		assert_int_equal(next, min_due);
}

static void test_next_expiry_never_later_than_earliest_expiry(void **state)
{
	(void)state;
	enum { N = 64 };
	struct harness *h = harness_new(N, 1234567);
	uint64_t due[N] = {0};
	uint64_t rng = 88172645463325252ull;
	for (int op = 0; op < 20000; op++) {
		uint64_t r = draw(&rng, 10);
		size_t id = (size_t)draw(&rng, N);
		if (r < 5) {
			uint64_t e = random_expiry(&rng, h->w.now);
			arm(h, id, e);
			due[id] = e > h->w.now ? e : h->w.now;
		} else if (r < 6) {
			wheel_cancel(&h->w, &h->timers[id]);
		} else {
			uint64_t target = r < 8 ? wheel_next_expiry(&h->w) : h->w.now + random_jump(&rng);
			if (target == WHEEL_NEVER)
				target = h->w.now + 1;
			h->nlog = 0;
			advance(h, target);
			for (size_t i = 0; i < h->nlog; i++)
				assert_int_equal(h->log[i].tick, due[h->log[i].id]);
		}
		bool any = false;
		uint64_t min_due = UINT64_MAX;
		for (size_t i = 0; i < N; i++) {
			if (wheel_timer_armed(&h->timers[i])) {
				any = true;
				min_due = due[i] < min_due ? due[i] : min_due;
			}
		}
		check_next_expiry(&h->w, any, min_due);
	}
	harness_free(h);
}

/* Following next_expiry visits at most one event per level on the way down
 * to a timer (plus one per span for a far one) and lands exactly on it. */
static void test_advancing_to_next_expiry_fires_earliest_on_time(void **state)
{
	(void)state;
	static const uint64_t deltas[] = {
		0, 1, 63, 64, 4097, 262145, 16777217, 10 * HOUR, 30 * DAY, YEAR,
		SPAN - 1, SPAN + 1, 3 * SPAN + 7,
	};
	for (size_t s = 0; s < sizeof(test_starts) / sizeof(test_starts[0]); s++) {
		for (size_t d = 0; d < sizeof(deltas) / sizeof(deltas[0]); d++) {
			uint64_t start = test_starts[s], expires = start + deltas[d];
			struct harness *h = harness_new(2, start);
			arm(h, 0, expires);
			arm(h, 1, expires + 1 + deltas[d] / 3); /* a later one, never first */
			unsigned steps = 0;
			while (h->nlog == 0) {
				uint64_t next = wheel_next_expiry(&h->w);
				assert_true(next <= expires);
				advance(h, next);
				steps++;
			}
			assert_int_equal(h->nlog, 1);
			assert_int_equal(h->log[0].id, 0);
			assert_int_equal(h->log[0].tick, expires);
			unsigned spans = (unsigned)((expires >> 36) - (start >> 36));
			assert_true(steps <= WHEEL_LEVELS + spans);
			harness_free(h);
		}
	}
}

/* ------------------------------------------------------------------------ */
/* Randomized differential test against a reference model.                   */

#define DIFF_TIMERS 192
#define DIFF_LOG_MAX (1u << 16)

/* What a callback does, decided from (timer, tick, fires so far) alone so the
 * wheel and the model take the same decisions. */
enum diff_act { ACT_NONE, ACT_ARM, ACT_CANCEL };

struct diff_action {
	enum diff_act kind;
	size_t target;
	uint64_t expires;
};

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static struct diff_action diff_decide(size_t id, uint64_t tick, size_t nfired)
{
	uint64_t r = mix64(id * 0x9e3779b97f4a7c15ull ^ mix64(tick) ^ (nfired << 20));
	uint64_t arg = r >> 16;
	size_t other = (size_t)(arg % DIFF_TIMERS);
	struct diff_action a = {ACT_NONE, id, 0};
	switch (r % 12) {
	case 0: a.kind = ACT_ARM; a.expires = tick + arg % 100; break;      /* may be now */
	case 1: a.kind = ACT_ARM; a.expires = tick + arg % (2 * HOUR); break;
	case 2: a.kind = ACT_CANCEL; a.target = other; break;
	case 3: a.kind = ACT_ARM; a.target = other; a.expires = tick - (tick < 50 ? tick : arg % 50); break;
	case 4: a.kind = ACT_ARM; a.target = other; a.expires = tick + arg % 5000; break;
	default: break;
	}
	return a;
}

struct model {
	uint64_t now;
	uint64_t next_seq;
	size_t count;
	bool armed[DIFF_TIMERS];
	uint64_t due[DIFF_TIMERS]; /* max(expires, now when armed) */
	uint64_t seq[DIFF_TIMERS]; /* arm order, for ties */
};

static void model_arm(struct model *m, size_t id, uint64_t expires)
{
	if (!m->armed[id])
		m->count++;
	m->armed[id] = true;
	m->due[id] = expires > m->now ? expires : m->now;
	m->seq[id] = m->next_seq++;
}

static void model_cancel(struct model *m, size_t id)
{
	if (m->armed[id])
		m->count--;
	m->armed[id] = false;
}

struct diff_log {
	struct fired e[DIFF_LOG_MAX];
	size_t n;
};

static void log_append(struct diff_log *log, size_t id, uint64_t tick)
{
	assert_true(log->n < DIFF_LOG_MAX);
	log->e[log->n].id = id;
	log->e[log->n].tick = tick;
	log->n++;
}

/* The reference: repeatedly fire the armed timer with the least (due, seq). */
static void model_advance(struct model *m, uint64_t now, struct diff_log *log)
{
	if (now < m->now)
		now = m->now;
	for (;;) {
		size_t best = DIFF_TIMERS;
		for (size_t i = 0; i < DIFF_TIMERS; i++) {
			if (!m->armed[i] || m->due[i] > now)
				continue;
			if (best == DIFF_TIMERS || m->due[i] < m->due[best] ||
			    (m->due[i] == m->due[best] && m->seq[i] < m->seq[best]))
				best = i;
		}
		if (best == DIFF_TIMERS)
			break;
		m->now = m->due[best];
		model_cancel(m, best);
		log_append(log, best, m->now);
		struct diff_action a = diff_decide(best, m->now, log->n);
		if (a.kind == ACT_ARM)
			model_arm(m, a.target, a.expires);
		else if (a.kind == ACT_CANCEL)
			model_cancel(m, a.target);
	}
	m->now = now;
}

struct diff_wheel {
	struct wheel w;
	struct wheel_timer timers[DIFF_TIMERS];
	struct diff_log log;
};

static void diff_fire(void *ctx, struct wheel_timer *t)
{
	struct diff_wheel *d = ctx;
	size_t id = (size_t)(t - d->timers);
	assert_true(id < DIFF_TIMERS);
	log_append(&d->log, id, d->w.now);
	struct diff_action a = diff_decide(id, d->w.now, d->log.n);
	if (a.kind == ACT_ARM)
		wheel_arm(&d->w, &d->timers[a.target], a.expires);
	else if (a.kind == ACT_CANCEL)
		wheel_cancel(&d->w, &d->timers[a.target]);
}

static void diff_compare(const struct diff_wheel *d, const struct model *m,
                         const struct diff_log *mlog)
{
	assert_int_equal(d->log.n, mlog->n);
	for (size_t i = 0; i < mlog->n; i++) {
		assert_int_equal(d->log.e[i].id, mlog->e[i].id);
		assert_int_equal(d->log.e[i].tick, mlog->e[i].tick);
	}
	assert_int_equal(d->w.now, m->now);
	assert_int_equal(d->w.count, m->count);
	bool any = false;
	uint64_t min_due = UINT64_MAX;
	for (size_t i = 0; i < DIFF_TIMERS; i++) {
		assert_int_equal(wheel_timer_armed(&d->timers[i]), m->armed[i]);
		if (m->armed[i]) {
			any = true;
			min_due = m->due[i] < min_due ? m->due[i] : min_due;
		}
	}
	check_next_expiry(&d->w, any, min_due);
}

static void run_differential(uint64_t seed, uint64_t start, int ops)
{
	struct diff_wheel *d = calloc(1, sizeof(*d));
	struct model *m = calloc(1, sizeof(*m));
	struct diff_log *mlog = calloc(1, sizeof(*mlog));
	assert_true(d != NULL && m != NULL && mlog != NULL);
	wheel_init(&d->w, start);
	m->now = start;
	uint64_t rng = seed;
	size_t total_fired = 0;

	for (int op = 0; op < ops; op++) {
		uint64_t r = draw(&rng, 100);
		size_t id = (size_t)draw(&rng, DIFF_TIMERS);
		d->log.n = 0;
		mlog->n = 0;
		if (r < 45) {
			uint64_t e = random_expiry(&rng, m->now);
			wheel_arm(&d->w, &d->timers[id], e);
			model_arm(m, id, e);
		} else if (r < 55) {
			wheel_cancel(&d->w, &d->timers[id]);
			model_cancel(m, id);
		} else {
			uint64_t target = r < 62 ? wheel_next_expiry(&d->w) : m->now + random_jump(&rng);
			if (target == WHEEL_NEVER)
				target = m->now;
			size_t fired = wheel_advance(&d->w, target, diff_fire, d);
			assert_int_equal(fired, d->log.n);
			model_advance(m, target, mlog);
			total_fired += fired;
		}
		diff_compare(d, m, mlog);
	}
	assert_true(total_fired > (size_t)ops / 10); /* the test did exercise firing */
	free(mlog);
	free(m);
	free(d);
}

static void test_randomized_differential_against_reference_model(void **state)
{
	(void)state;
	run_differential(0x2545f4914f6cdd1dull, 0, 20000);
	run_differential(0x853c49e6748fea9bull, SPAN - 5000, 20000);
	run_differential(0xda3e39cb94b95bdbull, 0x123456789abcull, 20000);
	run_differential(0x5851f42d4c957f2dull, UINT64_MAX - (1ull << 56), 20000);
}

/* ------------------------------------------------------------------------ */
/* Scale and long jumps.                                                     */

struct million {
	struct wheel w;
	struct wheel_timer *timers;
	unsigned char *fired;
	uint64_t last_tick;
	size_t errors;
	size_t nfired;
};

static void million_fire(void *ctx, struct wheel_timer *t)
{
	struct million *m = ctx;
	size_t id = (size_t)(t - m->timers);
	/* Count errors instead of asserting a million times. */
	if (m->w.now != t->expires || m->fired[id] != 0 || m->w.now < m->last_tick)
		m->errors++;
	m->fired[id]++;
	m->last_tick = m->w.now;
	m->nfired++;
}

static void test_one_million_timers_each_fire_once_at_their_tick(void **state)
{
	(void)state;
	enum { N = 1000000 };
	struct million *m = calloc(1, sizeof(*m));
	assert_non_null(m);
	m->timers = malloc(N * sizeof(*m->timers));
	m->fired = calloc(N, 1);
	assert_true(m->timers != NULL && m->fired != NULL);
	wheel_init(&m->w, 0);
	uint64_t rng = 0xc0ffee1234567891ull;
	for (size_t i = 0; i < N; i++) {
		wheel_timer_init(&m->timers[i]);
		wheel_arm(&m->w, &m->timers[i], 1 + draw(&rng, 10 * HOUR)); /* 1 ms .. 10 h */
	}
	assert_int_equal(m->w.count, N);

	/* Jumps of every size, from single ticks to many minutes. */
	uint64_t now = 0;
	while (m->w.count > 0) {
		now += 1 + draw(&rng, 1ull << draw(&rng, 24));
		wheel_advance(&m->w, now, million_fire, m);
	}
	assert_int_equal(m->nfired, N);
	assert_int_equal(m->errors, 0);
	for (size_t i = 0; i < N; i++)
		assert_int_equal(m->fired[i], 1);
	assert_int_equal(wheel_next_expiry(&m->w), WHEEL_NEVER);
	free(m->fired);
	free(m->timers);
	free(m);
}

/* Ten hours (36 million ticks) and ten years (3e11 ticks, past the span) in
 * one advance.  A wheel that walked ticks would hang here; following
 * next_expiry shows how few events the wheel actually visits. */
static void test_long_jumps_with_three_timers_take_few_steps(void **state)
{
	(void)state;
	const uint64_t horizons[] = {10 * HOUR, 10 * YEAR};
	for (size_t k = 0; k < 2; k++) {
		uint64_t end = horizons[k];
		uint64_t expiry[3] = {end / 10 + 7, end / 2 + 3, end};
		struct harness *h = harness_new(3, 0);
		for (size_t i = 0; i < 3; i++)
			arm(h, i, expiry[i]);
		assert_int_equal(advance(h, end), 3);
		for (size_t i = 0; i < 3; i++) {
			assert_int_equal(h->log[i].id, i);
			assert_int_equal(h->log[i].tick, expiry[i]);
		}

		wheel_init(&h->w, 0);
		memset(h->timers, 0, 3 * sizeof(*h->timers));
		h->nlog = 0;
		for (size_t i = 0; i < 3; i++)
			arm(h, i, expiry[i]);
		unsigned steps = 0;
		while (h->w.count > 0) {
			advance(h, wheel_next_expiry(&h->w));
			steps++;
		}
		unsigned spans = (unsigned)(end >> 36);
		assert_true(steps <= 3 * (WHEEL_LEVELS + spans));
		for (size_t i = 0; i < 3; i++)
			assert_int_equal(h->log[i].tick, expiry[i]);
		harness_free(h);
	}
}

static void test_timer_struct_is_three_words(void **state)
{
	(void)state;
	/* The per-connection cost of a timer: two links and an expiry. */
	assert_true(sizeof(struct wheel_timer) <= 24);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_timer_fires_exactly_at_level_boundaries),
		cmocka_unit_test(test_single_timer_fires_exactly_after_hours_and_days),
		cmocka_unit_test(test_timer_beyond_wheel_span_fires_exactly),
		cmocka_unit_test(test_timer_at_end_of_tick_range_fires_exactly),
		cmocka_unit_test(test_expiry_in_past_fires_on_next_advance),
		cmocka_unit_test(test_expiry_equal_to_now_fires_on_next_advance),
		cmocka_unit_test(test_cancel_prevents_firing),
		cmocka_unit_test(test_cancel_unarmed_timer_is_harmless),
		cmocka_unit_test(test_rearm_moves_timer_earlier_and_later),
		cmocka_unit_test(test_advance_to_earlier_tick_changes_nothing),
		cmocka_unit_test(test_periodic_rearm_from_callback_fires_every_period),
		cmocka_unit_test(test_callback_cancels_other_timer_in_same_slot),
		cmocka_unit_test(test_callback_cancels_later_timer),
		cmocka_unit_test(test_callback_arms_due_timers_fire_in_same_advance),
		cmocka_unit_test(test_ties_fire_in_arm_order),
		cmocka_unit_test(test_ties_keep_arm_order_across_cascades),
		cmocka_unit_test(test_next_expiry_never_later_than_earliest_expiry),
		cmocka_unit_test(test_advancing_to_next_expiry_fires_earliest_on_time),
		cmocka_unit_test(test_randomized_differential_against_reference_model),
		cmocka_unit_test(test_one_million_timers_each_fire_once_at_their_tick),
		cmocka_unit_test(test_long_jumps_with_three_timers_take_few_steps),
		cmocka_unit_test(test_timer_struct_is_three_words),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
