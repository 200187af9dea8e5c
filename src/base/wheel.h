/* Hierarchical timing wheel: O(1) arm and cancel, exact expiry at 1-tick
 * resolution, tick cost independent of how many timers are armed.
 *
 * A tick is whatever unit the owner chooses (the stack uses 1 ms).  Timers are
 * intrusive: the owner embeds a struct wheel_timer in its own object and finds
 * the object again with container_of in the fire callback.  The wheel never
 * allocates.
 *
 * Levels: WHEEL_LEVELS levels of WHEEL_SLOTS slots; level k slots are
 * 64^k ticks wide, so the wheel spans 64^6 ticks (about 2.2 years at 1 ms).
 * A timer further out than that is held at the far edge and re-filed as time
 * approaches it.  Each level keeps a 64-bit occupancy bitmap, so empty
 * stretches of time are skipped without visiting slots.
 */
#ifndef SYNACK_BASE_WHEEL_H
#define SYNACK_BASE_WHEEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WHEEL_LEVELS 6
#define WHEEL_SLOT_BITS 6
#define WHEEL_SLOTS (1u << WHEEL_SLOT_BITS)
#define WHEEL_NEVER UINT64_MAX

struct wheel_timer {
	struct wheel_timer *next;
	struct wheel_timer **pprev; /* NULL when not armed */
	uint64_t expires;           /* tick at which it fires */
};

struct wheel {
	uint64_t now;                              /* every timer with expires < now has fired */
	uint64_t occupied[WHEEL_LEVELS];           /* bit s set <=> slot[level][s] non-empty */
	struct wheel_timer *slot[WHEEL_LEVELS][WHEEL_SLOTS];
	size_t count;                              /* timers armed */
};

typedef void (*wheel_fire_fn)(void *ctx, struct wheel_timer *t);

/* Guarantees beyond the declarations below:
 * - Timers fire by due tick, where due = max(expires, w->now when armed);
 *   ties fire in the order of their latest wheel_arm (a re-arm goes last),
 *   across cascades too: runs replay exactly.
 * - Inside a fire callback, w->now reads the tick being fired.
 * - wheel_advance to a tick before w->now is an advance to w->now.
 * - A callback must not call wheel_advance, and a callback that always
 *   re-arms for a tick <= now would keep the advance looping. */

/* Starts an empty wheel whose clock reads now. */
void wheel_init(struct wheel *w, uint64_t now);

/* A timer that has never been armed must be zeroed (or wheel_timer_init'ed). */
static inline void wheel_timer_init(struct wheel_timer *t)
{
	t->next = NULL;
	t->pprev = NULL;
	t->expires = 0;
}

static inline bool wheel_timer_armed(const struct wheel_timer *t)
{
	return t->pprev != NULL;
}

/* Arms t to fire at tick expires (re-arming it if already armed).  A timer
 * armed for a tick before w->now fires at the next wheel_advance.  O(1). */
void wheel_arm(struct wheel *w, struct wheel_timer *t, uint64_t expires);

/* Disarms t; harmless if t is not armed.  O(1). */
void wheel_cancel(struct wheel *w, struct wheel_timer *t);

/* Moves the wheel's clock to now and fires every timer with expires <= now,
 * in order of expiry.  The callback may arm or cancel any timer, including
 * the one that fired; a timer armed during the advance for a tick <= now
 * fires within the same advance.  Returns how many timers fired.  Cost: the
 * timers fired plus the slots that must be re-filed, never the ticks elapsed. */
size_t wheel_advance(struct wheel *w, uint64_t now, wheel_fire_fn fire, void *ctx);

/* The tick at which wheel_advance next has work to do, or WHEEL_NEVER.
 * Never later than the earliest expiry; it may be earlier (when a coarse slot
 * is due to be re-filed), in which case an advance to it fires nothing and a
 * second call returns a later tick.  O(WHEEL_LEVELS). */
uint64_t wheel_next_expiry(const struct wheel *w);

#endif
