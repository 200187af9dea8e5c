/* Unit tests of the byte ring (src/tcp/ring.h), the send and receive buffers
 * behind the reliable byte stream (SPEC D01).
 *
 * Every ring's memory sits between guard bytes that are checked after each
 * test, so a copy past either end fails even without a sanitizer.  The
 * randomized test compares the ring with a linear model of its memory as seen
 * from head (a rotation of buf), driven by a local xorshift64 with a fixed
 * seed so a failure replays identically.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "tcp/ring.h"

#define GUARD 16
#define GUARD_BYTE 0xA5
#define BIG_CAP 4096

/* Memory for one ring with guard zones either side. */
struct arena {
	uint8_t bytes[GUARD + BIG_CAP + GUARD];
	uint32_t cap;
};

static uint8_t *arena_init(struct arena *a, uint32_t cap)
{
	assert_true(cap <= BIG_CAP);
	memset(a->bytes, GUARD_BYTE, sizeof(a->bytes));
	memset(a->bytes + GUARD, 0, cap);
	a->cap = cap;
	return a->bytes + GUARD;
}

static void arena_check(const struct arena *a)
{
	for (uint32_t i = 0; i < GUARD; i++) {
		assert_int_equal(a->bytes[i], GUARD_BYTE);
		assert_int_equal(a->bytes[GUARD + a->cap + i], GUARD_BYTE);
	}
}

static void check_invariants(const struct ring *r)
{
	assert_true(r->len <= r->cap);
	assert_true(r->cap == 0 ? r->head == 0 : r->head < r->cap);
	assert_int_equal(ring_len(r), r->len);
	assert_int_equal(ring_free(r), r->cap - r->len);
}

static uint64_t xorshift64(uint64_t *state)
{
	uint64_t x = *state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *state = x;
}

static uint32_t below(uint64_t *state, uint32_t n)
{
	return (uint32_t)(xorshift64(state) % n);
}

static void test_D01_ring_wrap_around(void **unused)
{
	(void)unused;
	struct arena a;
	struct ring r;
	uint8_t out[8];
	ring_init(&r, arena_init(&a, 7), 7);

	assert_int_equal(ring_write(&r, "abcde", 5), 5);
	assert_int_equal(ring_read(&r, out, 3), 3);
	assert_memory_equal(out, "abc", 3);
	assert_int_equal(r.head, 3);
	/* 5 more bytes: 2 fit before the end of buf, 3 wrap to its start. */
	assert_int_equal(ring_write(&r, "fghij", 5), 5);
	assert_int_equal(ring_len(&r), 7);
	assert_int_equal(ring_free(&r), 0);
	assert_memory_equal(r.buf, "hijdefg", 7); /* physical layout */
	assert_int_equal(ring_write(&r, "x", 1), 0); /* full */
	assert_int_equal(ring_read(&r, out, 8), 7);
	assert_memory_equal(out, "defghij", 7);
	assert_int_equal(r.head, 3); /* 3 + 7 = 10 = 3 mod 7 */
	check_invariants(&r);
	arena_check(&a);
}

static void test_D01_ring_peek_across_wrap(void **unused)
{
	(void)unused;
	struct arena a;
	struct ring r;
	uint8_t out[8];
	const char *stream = "0123456";
	ring_init(&r, arena_init(&a, 7), 7);

	/* Put head at 5 with the ring full: offsets 0-1 sit at buf[5..6],
	 * offsets 2-6 at buf[0..4]. */
	assert_int_equal(ring_write(&r, "zzzzz", 5), 5);
	ring_drop(&r, 5);
	assert_int_equal(r.head, 5);
	assert_int_equal(ring_write(&r, stream, 7), 7);

	for (uint32_t off = 0; off <= 8; off++) {
		for (uint32_t n = 0; n <= 8; n++) {
			uint32_t want = off >= 7 ? 0 : (n < 7 - off ? n : 7 - off);
			memset(out, 0, sizeof(out));
			assert_int_equal(ring_peek(&r, off, out, n), want);
			assert_memory_equal(out, stream + (off < 7 ? off : 0), want);
		}
	}
	assert_int_equal(ring_len(&r), 7); /* peek consumes nothing */
	check_invariants(&r);
	arena_check(&a);
}

static void test_D01_ring_write_at_commit(void **unused)
{
	(void)unused;
	struct arena a;
	struct ring r;
	uint8_t out[16];
	ring_init(&r, arena_init(&a, 10), 10);

	/* Move head to 6 so the parked data wraps. */
	assert_int_equal(ring_write(&r, "zzzzzz", 6), 6);
	ring_drop(&r, 6);
	assert_int_equal(ring_write(&r, "ab", 2), 2);

	/* Out-of-order "fgh" at stream offset 5 (physical 1..3), gap "cde". */
	assert_int_equal(ring_write_at(&r, 5, "fgh", 3), 3);
	assert_int_equal(ring_len(&r), 2);
	assert_int_equal(ring_peek(&r, 2, out, 5), 0); /* not readable yet */

	/* Refused: below the committed end, or at or past cap. */
	assert_int_equal(ring_write_at(&r, 1, "Q", 1), 0);
	assert_int_equal(ring_write_at(&r, 10, "Q", 1), 0);
	assert_int_equal(ring_write_at(&r, 0xFFFFFFFFu, "Q", 1), 0);
	/* Clamped at cap: offset 9 has room for one byte. */
	assert_int_equal(ring_write_at(&r, 9, "jk", 2), 1);

	/* The gap fills in order; parked bytes become readable by commit. */
	assert_int_equal(ring_write(&r, "cde", 3), 3);
	ring_commit(&r, 3);
	assert_int_equal(ring_len(&r), 8);
	assert_int_equal(ring_peek(&r, 0, out, 16), 8);
	assert_memory_equal(out, "abcdefgh", 8);

	/* Commit clamps to free space (2 left, one of them the parked "j"). */
	ring_commit(&r, 100);
	assert_int_equal(ring_len(&r), 10);
	assert_int_equal(ring_read(&r, out, 16), 10);
	assert_memory_equal(out, "abcdefgh", 8);
	assert_int_equal(out[9], 'j');
	check_invariants(&r);
	arena_check(&a);
}

static void test_D01_ring_parked_data_survives_drain(void **unused)
{
	(void)unused;
	struct arena a;
	struct ring r;
	uint8_t out[8];
	ring_init(&r, arena_init(&a, 8), 8);

	/* The reader empties the ring while out-of-order data is parked: head
	 * must not be reset, or the parked bytes would move. */
	assert_int_equal(ring_write(&r, "abc", 3), 3);
	assert_int_equal(ring_write_at(&r, 4, "ef", 2), 2);
	assert_int_equal(ring_read(&r, out, 3), 3);
	assert_int_equal(ring_len(&r), 0);
	assert_int_equal(ring_write(&r, "d", 1), 1);
	ring_commit(&r, 2);
	assert_int_equal(ring_read(&r, out, 8), 3);
	assert_memory_equal(out, "def", 3);
	check_invariants(&r);
	arena_check(&a);
}

static void test_D01_ring_clamps(void **unused)
{
	(void)unused;
	struct arena a;
	struct ring r;
	uint8_t out[8];
	ring_init(&r, arena_init(&a, 5), 5);

	assert_int_equal(ring_write(&r, "abcdefg", 7), 5); /* partial */
	assert_int_equal(ring_peek(&r, 5, out, 1), 0);
	assert_int_equal(ring_peek(&r, 0xFFFFFFFFu, out, 0xFFFFFFFFu), 0);
	ring_drop(&r, 2);
	assert_int_equal(ring_read(&r, out, 0xFFFFFFFFu), 3);
	assert_memory_equal(out, "cde", 3);
	ring_drop(&r, 1); /* more than len: nothing to drop */
	assert_int_equal(ring_len(&r), 0);
	assert_int_equal(ring_read(&r, out, 8), 0);
	assert_int_equal(ring_write(&r, "x", 0), 0);
	check_invariants(&r);
	arena_check(&a);
}

static void test_D01_ring_capacity_0_and_1(void **unused)
{
	(void)unused;
	struct arena a;
	struct ring r;
	uint8_t out[4] = {0};

	ring_init(&r, arena_init(&a, 0), 0);
	assert_int_equal(ring_free(&r), 0);
	assert_int_equal(ring_write(&r, "a", 1), 0);
	assert_int_equal(ring_write_at(&r, 0, "a", 1), 0);
	ring_commit(&r, 1);
	ring_drop(&r, 1);
	assert_int_equal(ring_read(&r, out, 1), 0);
	check_invariants(&r);
	arena_check(&a);

	ring_init(&r, arena_init(&a, 1), 1);
	for (int i = 0; i < 5; i++) {
		uint8_t c = (uint8_t)('a' + i);
		assert_int_equal(ring_write(&r, &c, 1), 1);
		assert_int_equal(ring_write(&r, &c, 1), 0);
		assert_int_equal(ring_read(&r, out, 4), 1);
		assert_int_equal(out[0], c);
		assert_int_equal(r.head, 0);
	}
	assert_int_equal(ring_write_at(&r, 0, "z", 2), 1);
	ring_commit(&r, 1);
	assert_int_equal(ring_read(&r, out, 4), 1);
	assert_int_equal(out[0], 'z');
	check_invariants(&r);
	arena_check(&a);
}

static void test_D01_ring_capacity_4096_stream(void **unused)
{
	(void)unused;
	struct arena a;
	struct ring r;
	uint8_t chunk[1500], out[1500];
	uint32_t wrote = 0, got = 0;
	ring_init(&r, arena_init(&a, BIG_CAP), BIG_CAP);

	/* 1 MB through a 4 KB ring in MSS-sized pieces: every pass wraps at a
	 * different place; byte i of the stream is (uint8_t)(i * 7 + i / 256). */
	while (got < (1u << 20)) {
		uint32_t n = ring_free(&r) < sizeof(chunk) ? ring_free(&r) : sizeof(chunk);
		for (uint32_t i = 0; i < n; i++)
			chunk[i] = (uint8_t)((wrote + i) * 7 + (wrote + i) / 256);
		assert_int_equal(ring_write(&r, chunk, n), n);
		wrote += n;
		uint32_t m = ring_read(&r, out, 1000);
		for (uint32_t i = 0; i < m; i++)
			assert_int_equal(out[i], (uint8_t)((got + i) * 7 + (got + i) / 256));
		got += m;
		check_invariants(&r);
	}
	arena_check(&a);
}

/* The model: lin[i] is the byte at stream offset i, for every i < cap,
 * committed or not, i.e. buf rotated left by head. */
struct model {
	uint8_t lin[BIG_CAP];
	uint32_t cap, len;
};

static void model_rotate(struct model *m, uint32_t n)
{
	uint8_t tmp[BIG_CAP];
	memcpy(tmp, m->lin, n);
	memmove(m->lin, m->lin + n, m->cap - n);
	memcpy(m->lin + m->cap - n, tmp, n);
}

static void random_step(struct ring *r, struct model *m, uint64_t *rs)
{
	uint8_t data[BIG_CAP + 8], out[BIG_CAP + 8];
	uint32_t cap = m->cap, maxn = cap + 3;
	uint32_t n = below(rs, maxn + 1), off = below(rs, maxn + 1), want;
	for (uint32_t i = 0; i < n; i++)
		data[i] = (uint8_t)xorshift64(rs);

	switch (below(rs, 6)) {
	case 0: /* write */
		want = n < cap - m->len ? n : cap - m->len;
		assert_int_equal(ring_write(r, data, n), want);
		memcpy(m->lin + m->len, data, want);
		m->len += want;
		break;
	case 1: /* read */
		want = n < m->len ? n : m->len;
		assert_int_equal(ring_read(r, out, n), want);
		assert_memory_equal(out, m->lin, want);
		model_rotate(m, want);
		m->len -= want;
		break;
	case 2: /* peek */
		want = off >= m->len ? 0 : (n < m->len - off ? n : m->len - off);
		assert_int_equal(ring_peek(r, off, out, n), want);
		if (want)
			assert_memory_equal(out, m->lin + off, want);
		break;
	case 3: /* drop */
		want = n < m->len ? n : m->len;
		ring_drop(r, n);
		model_rotate(m, want);
		m->len -= want;
		break;
	case 4: /* write_at, usually just past the end */
		if (below(rs, 2))
			off = m->len + below(rs, 4);
		want = (off < m->len || off >= cap) ? 0 : (n < cap - off ? n : cap - off);
		assert_int_equal(ring_write_at(r, off, data, n), want);
		memcpy(m->lin + (want ? off : 0), data, want);
		break;
	default: /* commit */
		n = below(rs, 8);
		m->len += n < cap - m->len ? n : cap - m->len;
		ring_commit(r, n);
		break;
	}
	check_invariants(r);
	assert_int_equal(r->len, m->len);
	/* The whole of buf, seen from head, matches the model. */
	for (uint32_t i = 0; i < cap; i++)
		out[i] = r->buf[(r->head + i) % cap];
	assert_memory_equal(out, m->lin, cap);
}

static void test_D01_ring_random_vs_linear_model(void **unused)
{
	(void)unused;
	static const uint32_t caps[] = {1, 2, 7, 100, 1000, BIG_CAP};
	uint64_t rs = 0x9E3779B97F4A7C15ull;

	for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
		struct arena a;
		struct ring r;
		struct model m = {.cap = caps[c], .len = 0};
		ring_init(&r, arena_init(&a, caps[c]), caps[c]);
		memset(m.lin, 0, sizeof(m.lin));
		for (int step = 0; step < 20000; step++)
			random_step(&r, &m, &rs);
		arena_check(&a);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_D01_ring_wrap_around),
		cmocka_unit_test(test_D01_ring_peek_across_wrap),
		cmocka_unit_test(test_D01_ring_write_at_commit),
		cmocka_unit_test(test_D01_ring_parked_data_survives_drain),
		cmocka_unit_test(test_D01_ring_clamps),
		cmocka_unit_test(test_D01_ring_capacity_0_and_1),
		cmocka_unit_test(test_D01_ring_capacity_4096_stream),
		cmocka_unit_test(test_D01_ring_random_vs_linear_model),
	};
	return cmocka_run_group_tests(tests, 0, 0);
}
