/* Hierarchical timing wheel: how wheel.h's promises are kept.
 *
 * Filing rule.  Write ticks in base 64: digit k is bits [6k, 6k+6).  A timer
 * is filed relative to w->now at level k = the highest digit in which its
 * expiry differs from now, in slot = the expiry's digit k.  So a timer at
 * level k shares every digit above k with now and its digit k is strictly
 * greater than now's; at level 0 its slot is >= now's digit 0.  Two
 * consequences carry the whole design:
 *   - the wheel's next event is the first occupied slot of the lowest
 *     non-empty level (every level-k slot starts before any level-(k+1) one),
 *     found with one ctz per level;
 *   - jumping w->now straight to that event keeps every other timer correctly
 *     filed, so an advance visits events, never elapsed ticks.
 * A level-k slot (k >= 1) is "re-filed" at its start tick: its timers drop to
 * lower levels (relative to the new now), and a level-0 slot fires.
 *
 * Far timers.  An expiry that differs from now above digit 5 is parked in
 * level 5, slot 0, which reads "the start of the next 64^6-tick span" (a
 * normal level-5 timer always has a slot above now's digit 5, so slot 0 is
 * never both).  At that tick it is re-filed, exactly like a coarse slot, and
 * keeps its exact expiry.
 *
 * Past expiries.  expires <= w->now files in level 0 at now's own slot, so
 * it counts as due at w->now: wheel_next_expiry reports w->now and the next
 * wheel_advance fires it.
 *
 * Order (determinism).  Timers fire in order of due tick, where a timer's due
 * tick is max(expires, w->now when it was armed); ties fire in the order of
 * their latest wheel_arm.  Why ties are FIFO: by the filing rule, a timer's
 * level and slot are a function of (expires, w->now) alone, so two timers
 * with the same due tick share one slot list from the moment the later one
 * is armed.  Slots push at the head (O(1) without a tail pointer), so lists
 * run newest first; cascades keep that order and a list is reversed just
 * before it is fired.
 */
#include "base/wheel.h"

#include <assert.h>
#include <string.h>

#define DIGIT_MASK ((uint64_t)WHEEL_SLOTS - 1)
#define TOP_LEVEL (WHEEL_LEVELS - 1)
#define FAR_SLOT 0u

static unsigned level_shift(unsigned level)
{
	return level * WHEEL_SLOT_BITS;
}

static unsigned digit(uint64_t tick, unsigned level)
{
	return (unsigned)((tick >> level_shift(level)) & DIGIT_MASK);
}

/* Where a timer expiring at `expires` belongs while the clock reads now. */
static void locate(uint64_t now, uint64_t expires, unsigned *level, unsigned *slot)
{
	if (expires <= now) {
		*level = 0;
		*slot = digit(now, 0);
		return;
	}
	unsigned top_bit = 63u - (unsigned)__builtin_clzll(expires ^ now);
	unsigned k = top_bit / WHEEL_SLOT_BITS;
	if (k >= WHEEL_LEVELS) {
		*level = TOP_LEVEL;
		*slot = FAR_SLOT;
		return;
	}
	*level = k;
	*slot = digit(expires, k);
}

static void slot_push(struct wheel *w, unsigned level, unsigned slot, struct wheel_timer *t)
{
	struct wheel_timer **head = &w->slot[level][slot];
	t->next = *head;
	if (t->next != NULL)
		t->next->pprev = &t->next;
	t->pprev = head;
	*head = t;
	w->occupied[level] |= 1ull << slot;
}

static void file_timer(struct wheel *w, struct wheel_timer *t)
{
	unsigned level, slot;
	locate(w->now, t->expires, &level, &slot);
	slot_push(w, level, slot, t);
}

/* Unlinks an armed timer.  pprev may point at a slot head, at the previous
 * timer's next field, or at the list being fired in wheel_advance; only the
 * first can empty a slot, and the address tells which slot (O(1)). */
static void unlink_timer(struct wheel *w, struct wheel_timer *t)
{
	struct wheel_timer **pprev = t->pprev;
	*pprev = t->next;
	if (t->next != NULL) {
		t->next->pprev = pprev;
	} else {
		uintptr_t off = (uintptr_t)pprev - (uintptr_t)&w->slot[0][0];
		if (off < sizeof(w->slot)) { /* it was alone in its slot */
			size_t idx = off / sizeof(w->slot[0][0]);
			w->occupied[idx / WHEEL_SLOTS] &= ~(1ull << (idx % WHEEL_SLOTS));
		}
	}
	t->next = NULL;
	t->pprev = NULL;
}

void wheel_init(struct wheel *w, uint64_t now)
{
	memset(w, 0, sizeof(*w));
	w->now = now;
}

void wheel_arm(struct wheel *w, struct wheel_timer *t, uint64_t expires)
{
	if (wheel_timer_armed(t))
		unlink_timer(w, t); /* a re-arm goes to the back of its new slot */
	else
		w->count++;
	t->expires = expires;
	file_timer(w, t);
}

void wheel_cancel(struct wheel *w, struct wheel_timer *t)
{
	if (!wheel_timer_armed(t))
		return;
	unlink_timer(w, t);
	w->count--;
}

/* The wheel's next event: the lowest non-empty level's first slot and the
 * tick at which it needs work (fire for level 0, re-file above).  By the
 * filing rule, occupied slots at level 0 are >= now's digit 0 and at levels
 * 1-4 are > now's digit, so the lowest set bit is the earliest.  Level 5 may
 * also hold the far slot, which comes after every normal level-5 slot. */
static bool next_event(const struct wheel *w, unsigned *level, unsigned *slot, uint64_t *when)
{
	for (unsigned k = 0; k < WHEEL_LEVELS; k++) {
		uint64_t occ = w->occupied[k];
		if (occ == 0)
			continue;
		unsigned shift = level_shift(k);
		uint64_t span_mask = (1ull << (shift + WHEEL_SLOT_BITS)) - 1;
		uint64_t base = w->now & ~span_mask;
		*level = k;
		if (k == TOP_LEVEL) {
			/* 2 << 63 is 0 in uint64_t, so the mask is empty at digit 63. */
			uint64_t ahead = occ & ~((2ull << digit(w->now, k)) - 1);
			if (ahead == 0) {
				assert(occ == 1ull << FAR_SLOT);
				assert(base + span_mask != UINT64_MAX); /* far timers exist */
				*slot = FAR_SLOT;
				*when = base + span_mask + 1;
				return true;
			}
			occ = ahead;
		}
		*slot = (unsigned)__builtin_ctzll(occ);
		assert(*slot > digit(w->now, k) || (k == 0 && *slot == digit(w->now, 0)));
		*when = base | ((uint64_t)*slot << shift);
		return true;
	}
	return false;
}

uint64_t wheel_next_expiry(const struct wheel *w)
{
	unsigned level, slot;
	uint64_t when;
	return next_event(w, &level, &slot, &when) ? when : WHEEL_NEVER;
}

/* Detaches a slot's list to be fired and reverses it into arm order, with
 * the first timer's pprev aimed at *head so cancel and re-arm still work on
 * it.  Level-0 lists are short: one tick's worth of timers. */
static void slot_take(struct wheel *w, unsigned level, unsigned slot, struct wheel_timer **head)
{
	struct wheel_timer *t = w->slot[level][slot];
	struct wheel_timer *out = NULL;

	w->slot[level][slot] = NULL;
	w->occupied[level] &= ~(1ull << slot);
	while (t != NULL) {
		struct wheel_timer *next = t->next;
		t->next = out;
		if (out != NULL)
			out->pprev = &t->next;
		out = t;
		t = next;
	}
	*head = out;
	if (out != NULL)
		out->pprev = head;
}

/* Cascade: the clock has reached this slot's start, so every timer in it now
 * belongs to a lower level (or, for the far slot, possibly the far slot
 * again, one span later).  Every target slot is empty when a cascade starts:
 * lower levels' slots all come due before this one, and the far slot drains
 * at a span start, when no normal level-5 slot can be left.  So walking the
 * list once, newest first, and appending at per-slot tails keeps each new
 * list newest first: one pass over memory that is usually cold, where a
 * reverse-then-push would take two.  No callback runs here. */
static void refile_slot(struct wheel *w, unsigned level, unsigned slot)
{
	struct wheel_timer **tail[WHEEL_LEVELS][WHEEL_SLOTS]; /* valid where occupied */
	struct wheel_timer *t = w->slot[level][slot];

	w->slot[level][slot] = NULL;
	w->occupied[level] &= ~(1ull << slot);
	while (t != NULL) {
		struct wheel_timer *next = t->next;
		unsigned l, s;
		locate(w->now, t->expires, &l, &s);
		if ((w->occupied[l] & (1ull << s)) == 0) {
			assert(w->slot[l][s] == NULL);
			tail[l][s] = &w->slot[l][s];
			w->occupied[l] |= 1ull << s;
		}
		t->next = NULL;
		t->pprev = tail[l][s];
		*tail[l][s] = t;
		tail[l][s] = &t->next;
		t = next;
	}
}

/* Fires a level-0 slot.  Callbacks may cancel or re-arm any timer, including
 * ones still waiting in this list, so each is popped from the head of a list
 * they can see through pprev, never walked with a saved next pointer. */
static size_t fire_slot(struct wheel *w, unsigned slot, wheel_fire_fn fire, void *ctx)
{
	struct wheel_timer *pending;
	size_t fired = 0;

	slot_take(w, 0, slot, &pending);
	while (pending != NULL) {
		struct wheel_timer *t = pending;
		pending = t->next;
		if (pending != NULL)
			pending->pprev = &pending;
		t->next = NULL;
		t->pprev = NULL;
		w->count--;
		fired++;
		fire(ctx, t);
	}
	return fired;
}

/* During a callback w->now reads the tick being fired.  The callback must
 * not call wheel_advance on the same wheel, and one that always re-arms for a
 * tick <= w->now keeps this advance going for ever (the wheel cannot tell a
 * bug from a busy tick).  The loop runs once per event (a slot to fire or to
 * re-file), so its cost never depends on the ticks elapsed. */
size_t wheel_advance(struct wheel *w, uint64_t now, wheel_fire_fn fire, void *ctx)
{
	size_t fired = 0;
	unsigned level, slot;
	uint64_t when;

	if (now < w->now)
		now = w->now; /* the clock never runs backwards */
	while (next_event(w, &level, &slot, &when) && when <= now) {
		w->now = when;
		if (level == 0)
			fired += fire_slot(w, slot, fire, ctx);
		else
			refile_slot(w, level, slot);
	}
	/* Sound because now is before the next event: no filed timer's digits
	 * above its level change, nor does its slot fall behind the clock. */
	w->now = now;
	return fired;
}
