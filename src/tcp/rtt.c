/* RFC 6298 retransmission timeout estimator: see rtt.h for the contract.
 *
 * The state is kept in microseconds, unscaled, and every update is computed in
 * 64 bits: 7 * SRTT + R and 3 * RTTVAR + |SRTT - R| stay below 2^35, and the
 * results fit back in 32 bits because each is a weighted mean of 32-bit
 * values. */
#include "tcp/rtt.h"

static uint64_t clamp_u64(uint64_t v, uint64_t lo, uint64_t hi)
{
	if (v < lo)
		v = lo;
	if (v > hi)
		v = hi; /* hi wins if the bounds cross */
	return v;
}

void rtt_init(struct rtt *r, uint32_t rto_initial_us)
{
	/* RFC 6298 2.1: until a measurement is made, RTO = the initial value. */
	r->srtt_us = 0;
	r->rttvar_us = 0;
	r->rto_us = rto_initial_us;
	r->backoff = 0;
	r->has_sample = false;
}

void rtt_sample(struct rtt *r, uint32_t r_us, uint32_t rto_min_us,
		uint32_t rto_max_us, uint32_t granularity_us)
{
	uint64_t m = r_us;
	uint64_t srtt = r->srtt_us;
	uint64_t rttvar = r->rttvar_us;

	if (!r->has_sample) {
		/* RFC 6298 2.2: SRTT <- R, RTTVAR <- R/2. */
		srtt = m;
		rttvar = m / 2;
		r->has_sample = true;
	} else {
		/* RFC 6298 2.3, beta = 1/4 then alpha = 1/8: RTTVAR is updated
		 * first, with the old SRTT. */
		uint64_t diff = srtt > m ? srtt - m : m - srtt;
		rttvar = (3 * rttvar + diff) / 4;
		srtt = (7 * srtt + m) / 8;
	}
	r->srtt_us = (uint32_t)srtt;
	r->rttvar_us = (uint32_t)rttvar;

	/* RFC 6298 2.3: RTO <- SRTT + max(G, K*RTTVAR), K = 4; then the
	 * floor (2.4, Linux's 200 ms rather than 1 s) and the ceiling (2.5). */
	uint64_t k_rttvar = 4 * rttvar;
	uint64_t rto = srtt + (k_rttvar > granularity_us ? k_rttvar : granularity_us);
	r->rto_us = (uint32_t)clamp_u64(rto, rto_min_us, rto_max_us);

	/* RFC 6298 5 (note after 5.7): a new measurement collapses the
	 * backed-off timer. */
	r->backoff = 0;
}

uint32_t rtt_rto(const struct rtt *r, uint32_t rto_max_us)
{
	/* RFC 6298 5.5: RTO doubles per expiry, up to the ceiling.  The shift
	 * is at most 32 on a 64-bit value, so it cannot overflow. */
	unsigned shift = r->backoff < 32 ? r->backoff : 32;
	uint64_t rto = (uint64_t)r->rto_us << shift;
	return rto < rto_max_us ? (uint32_t)rto : rto_max_us;
}

void rtt_backoff(struct rtt *r)
{
	if (r->backoff < RTT_BACKOFF_MAX)
		r->backoff++;
}

void rtt_syn_fallback(struct rtt *r)
{
	/* RFC 6298 5.7 (Linux tcp_init_metrics: TCP_TIMEOUT_FALLBACK when no
	 * RTT was measured in a handshake that retransmitted). */
	if (!r->has_sample && r->rto_us < RTT_SYN_FALLBACK_US)
		r->rto_us = RTT_SYN_FALLBACK_US;
	r->backoff = 0;
}
