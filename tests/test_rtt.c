/* Unit tests of the RFC 6298 RTO estimator (src/tcp/rtt.h), SPEC D03.
 *
 * Expected values are worked out by hand from RFC 6298's formulas, with the
 * arithmetic beside each one.  All times in microseconds; every update rounds
 * down.  Configuration as Linux: rto_min 200 ms, rto_max 120 s, rto_initial
 * 1 s; clock granularity G = 1 ms unless a test says otherwise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>

#include "tcp/rtt.h"

#define MS 1000u
#define SEC 1000000u
#define RTO_MIN (200 * MS)
#define RTO_MAX (120 * SEC)
#define RTO_INIT (1 * SEC)
#define G (1 * MS)

static void sample(struct rtt *r, uint32_t r_us)
{
	rtt_sample(r, r_us, RTO_MIN, RTO_MAX, G);
}

static void test_D03_rto_initial_1s(void **unused)
{
	(void)unused;
	struct rtt r;
	rtt_init(&r, RTO_INIT);
	/* RFC 6298 2.1: before any measurement RTO = 1 s. */
	assert_false(r.has_sample);
	assert_int_equal(r.backoff, 0);
	assert_int_equal(rtt_rto(&r, RTO_MAX), 1000000);
}

static void test_D03_rto_first_sample(void **unused)
{
	(void)unused;
	struct rtt r;
	rtt_init(&r, RTO_INIT);
	sample(&r, 100 * MS);
	/* 2.2: SRTT = R = 100000; RTTVAR = R/2 = 50000;
	 * RTO = 100000 + max(1000, 4*50000 = 200000) = 300000. */
	assert_true(r.has_sample);
	assert_int_equal(r.srtt_us, 100000);
	assert_int_equal(r.rttvar_us, 50000);
	assert_int_equal(r.rto_us, 300000);
	assert_int_equal(rtt_rto(&r, RTO_MAX), 300000);
}

static void test_D03_rto_converges(void **unused)
{
	(void)unused;
	struct rtt r;
	rtt_init(&r, RTO_INIT);
	sample(&r, 100 * MS); /* SRTT 100000, RTTVAR 50000 (as above) */

	sample(&r, 120 * MS);
	/* 2.3, RTTVAR first with the old SRTT:
	 * RTTVAR = (3*50000 + |100000 - 120000|)/4 = (150000 + 20000)/4 = 42500
	 * SRTT   = (7*100000 + 120000)/8 = 820000/8 = 102500
	 * RTO    = 102500 + max(1000, 4*42500 = 170000) = 272500 */
	assert_int_equal(r.rttvar_us, 42500);
	assert_int_equal(r.srtt_us, 102500);
	assert_int_equal(r.rto_us, 272500);

	sample(&r, 80 * MS);
	/* RTTVAR = (3*42500 + |102500 - 80000|)/4 = (127500 + 22500)/4 = 37500
	 * SRTT   = (7*102500 + 80000)/8 = 797500/8 = 99687.5 -> 99687
	 * RTO    = 99687 + max(1000, 150000) = 249687 */
	assert_int_equal(r.rttvar_us, 37500);
	assert_int_equal(r.srtt_us, 99687);
	assert_int_equal(r.rto_us, 249687);

	/* A steady 100 ms path: RTTVAR decays by about 3/4 per sample, SRTT
	 * rises to within 8 us of 100000 (rounding down stops it once
	 * 100000 - SRTT < 8), and RTO falls to the 200 ms floor. */
	sample(&r, 100 * MS);
	/* RTTVAR = (3*37500 + |99687 - 100000|)/4 = 112813/4 -> 28203
	 * SRTT   = (7*99687 + 100000)/8 = 797809/8 -> 99726
	 * RTO    = 99726 + 4*28203 = 212538 */
	assert_int_equal(r.rttvar_us, 28203);
	assert_int_equal(r.srtt_us, 99726);
	assert_int_equal(r.rto_us, 212538);
	sample(&r, 100 * MS);
	/* RTTVAR = (3*28203 + 274)/4 = 84883/4 -> 21220
	 * SRTT   = (7*99726 + 100000)/8 = 798082/8 -> 99760
	 * RTO    = 99760 + 4*21220 = 184640 < 200000: the floor. */
	assert_int_equal(r.rttvar_us, 21220);
	assert_int_equal(r.srtt_us, 99760);
	assert_int_equal(r.rto_us, RTO_MIN);
	for (int i = 0; i < 200; i++)
		sample(&r, 100 * MS);
	assert_in_range(r.srtt_us, 100000 - 7, 100000);
	assert_in_range(r.rttvar_us, 0, 7);
	assert_int_equal(r.rto_us, RTO_MIN);

	/* Without the floor the RTO settles at SRTT + G (4*RTTVAR <= 28 < G). */
	rtt_sample(&r, 100 * MS, 0, RTO_MAX, G);
	assert_in_range(r.rto_us, 100000 - 7 + 1000, 100000 + 1000);
}

static void test_D03_rto_min_clamp(void **unused)
{
	(void)unused;
	struct rtt r;
	rtt_init(&r, RTO_INIT);
	sample(&r, 10 * MS);
	/* SRTT 10000, RTTVAR 5000: RTO = 10000 + max(1000, 20000) = 30000,
	 * below rto_min: 200000 (Linux's floor; RFC 6298 2.4 would say 1 s). */
	assert_int_equal(r.srtt_us, 10000);
	assert_int_equal(r.rto_us, 200000);

	/* The floor is the caller's: RFC 6298's own 1 s. */
	rtt_init(&r, RTO_INIT);
	rtt_sample(&r, 10 * MS, 1 * SEC, RTO_MAX, G);
	assert_int_equal(r.rto_us, 1000000);
}

static void test_D03_rto_max_clamp_and_granularity(void **unused)
{
	(void)unused;
	struct rtt r;
	rtt_init(&r, RTO_INIT);
	sample(&r, 100 * SEC);
	/* SRTT 100 s, RTTVAR 50 s: RTO = 100 + 200 = 300 s, capped at 120 s. */
	assert_int_equal(r.rto_us, 120000000);

	/* A coarse clock: G = 500 ms dominates 4*RTTVAR = 200 ms.
	 * RTO = 100000 + max(500000, 200000) = 600000. */
	rtt_init(&r, RTO_INIT);
	rtt_sample(&r, 100 * MS, RTO_MIN, RTO_MAX, 500 * MS);
	assert_int_equal(r.rto_us, 600000);

	/* Crossed bounds: the ceiling wins. */
	rtt_init(&r, RTO_INIT);
	rtt_sample(&r, 1 * MS, 5 * SEC, 2 * SEC, G);
	assert_int_equal(r.rto_us, 2000000);
}

static void test_D03_no_overflow_at_extremes(void **unused)
{
	(void)unused;
	struct rtt r;
	rtt_init(&r, RTO_INIT);
	rtt_sample(&r, UINT32_MAX, 0, UINT32_MAX, UINT32_MAX);
	/* SRTT = 4294967295, RTTVAR = 2147483647; RTO = 4294967295 +
	 * max(G = 4294967295, 8589934588) does not fit: clamped to UINT32_MAX. */
	assert_int_equal(r.srtt_us, 4294967295u);
	assert_int_equal(r.rttvar_us, 2147483647u);
	assert_int_equal(r.rto_us, UINT32_MAX);

	rtt_sample(&r, 0, 0, UINT32_MAX, 0);
	/* RTTVAR = (3*2147483647 + 4294967295)/4 = 10737418236/4 = 2684354559
	 * SRTT   = (7*4294967295 + 0)/8 = 30064771065/8 -> 3758096383 */
	assert_int_equal(r.rttvar_us, 2684354559u);
	assert_int_equal(r.srtt_us, 3758096383u);
	assert_int_equal(r.rto_us, UINT32_MAX);
	for (int i = 0; i < 40; i++)
		rtt_backoff(&r);
	assert_int_equal(rtt_rto(&r, UINT32_MAX), UINT32_MAX);
}

static void test_D03_backoff_doubles_and_caps(void **unused)
{
	(void)unused;
	struct rtt r;
	rtt_init(&r, RTO_INIT);
	sample(&r, 100 * MS); /* RTO 300000 */

	/* RFC 6298 5.5: each expiry doubles, up to rto_max (120 s):
	 * 300000 << 1..8 = 600000, 1200000, ..., 76800000;
	 * 300000 << 9 = 153600000 > 120000000: capped. */
	uint32_t want = 300000;
	for (int k = 1; k <= 8; k++) {
		rtt_backoff(&r);
		want *= 2;
		assert_int_equal(r.backoff, k);
		assert_int_equal(rtt_rto(&r, RTO_MAX), want);
	}
	assert_int_equal(want, 76800000);
	rtt_backoff(&r);
	assert_int_equal(rtt_rto(&r, RTO_MAX), 120000000);
	assert_int_equal(r.rto_us, 300000); /* the base is untouched */

	/* Saturates: shifts never overflow. */
	for (int k = 0; k < 1000; k++)
		rtt_backoff(&r);
	assert_int_equal(r.backoff, RTT_BACKOFF_MAX);
	assert_int_equal(rtt_rto(&r, RTO_MAX), 120000000);
	assert_int_equal(rtt_rto(&r, UINT32_MAX), UINT32_MAX);

	/* A SYN's timer (no sample): 1 s doubling; syn_retries 6 waits
	 * 1+2+4+8+16+32 s, the 6th backoff arms 64 s, the 7th 128 -> 120 s. */
	rtt_init(&r, RTO_INIT);
	for (int k = 0; k < 6; k++)
		rtt_backoff(&r);
	assert_int_equal(rtt_rto(&r, RTO_MAX), 64000000);
	rtt_backoff(&r);
	assert_int_equal(rtt_rto(&r, RTO_MAX), 120000000);
}

static void test_D03_sample_resets_backoff(void **unused)
{
	(void)unused;
	struct rtt r;
	rtt_init(&r, RTO_INIT);
	sample(&r, 100 * MS); /* SRTT 100000, RTTVAR 50000, RTO 300000 */
	rtt_backoff(&r);
	rtt_backoff(&r);
	rtt_backoff(&r);
	assert_int_equal(rtt_rto(&r, RTO_MAX), 2400000); /* 300000 << 3 */

	/* A valid new measurement (new data ACKed: Karn) collapses the
	 * backed-off timer (RFC 6298 5, note after 5.7):
	 * RTTVAR = (3*50000 + |100000 - 100000|)/4 = 37500; SRTT = 100000;
	 * RTO = 100000 + 4*37500 = 250000. */
	sample(&r, 100 * MS);
	assert_int_equal(r.backoff, 0);
	assert_int_equal(rtt_rto(&r, RTO_MAX), 250000);
}

static void test_D03_syn_timeout_fallback_3s(void **unused)
{
	(void)unused;
	struct rtt r;
	/* RFC 6298 5.7: the SYN was retransmitted (RTO backed off to 2 s) and
	 * no RTT was measured: data transmission starts with RTO = 3 s. */
	rtt_init(&r, RTO_INIT);
	rtt_backoff(&r);
	assert_int_equal(rtt_rto(&r, RTO_MAX), 2000000);
	rtt_syn_fallback(&r);
	assert_int_equal(r.backoff, 0);
	assert_int_equal(rtt_rto(&r, RTO_MAX), 3000000);
	/* The first later sample replaces it entirely (2.2). */
	sample(&r, 100 * MS);
	assert_int_equal(rtt_rto(&r, RTO_MAX), 300000);

	/* An RTO already at or above 3 s is kept. */
	rtt_init(&r, 5 * SEC);
	rtt_syn_fallback(&r);
	assert_int_equal(rtt_rto(&r, RTO_MAX), 5000000);

	/* A measurement (from a timestamp echo) is kept: 300000. */
	rtt_init(&r, RTO_INIT);
	sample(&r, 100 * MS);
	rtt_backoff(&r);
	rtt_syn_fallback(&r);
	assert_int_equal(rtt_rto(&r, RTO_MAX), 300000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_D03_rto_initial_1s),
		cmocka_unit_test(test_D03_rto_first_sample),
		cmocka_unit_test(test_D03_rto_converges),
		cmocka_unit_test(test_D03_rto_min_clamp),
		cmocka_unit_test(test_D03_rto_max_clamp_and_granularity),
		cmocka_unit_test(test_D03_no_overflow_at_extremes),
		cmocka_unit_test(test_D03_backoff_doubles_and_caps),
		cmocka_unit_test(test_D03_sample_resets_backoff),
		cmocka_unit_test(test_D03_syn_timeout_fallback_3s),
	};
	return cmocka_run_group_tests(tests, 0, 0);
}
