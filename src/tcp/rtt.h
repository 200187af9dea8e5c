/* Retransmission timeout estimator, RFC 6298 (SPEC D03), in microseconds.
 *
 * Integer arithmetic only, with 64-bit intermediates: no input overflows.
 * Each update rounds down (at most a few microseconds below the exact value).
 *
 * Karn's algorithm (RFC 6298 3) is the CALLER's job: never pass rtt_sample a
 * measurement taken from a segment that was retransmitted, unless it comes
 * from a timestamp echo (RFC 7323 4.1), which is unambiguous.  Take at most
 * one sample per RTT without timestamps (RFC 6298 3, 2.3 note).
 *
 * Deviations, following Linux: RTO is clamped below by rto_min (Linux
 * tcp_rto_min, 200 ms) where RFC 6298 2.4 says 1 s; the ceiling rto_max
 * (Linux 120 s) satisfies RFC 6298 2.5 (at least 60 s).
 */
#ifndef SYNACK_TCP_RTT_H
#define SYNACK_TCP_RTT_H

#include <stdbool.h>
#include <stdint.h>

#define RTT_BACKOFF_MAX 31           /* rtt_backoff saturates here */
#define RTT_SYN_FALLBACK_US 3000000u /* RFC 6298 5.7: 3 s */

struct rtt {
	uint32_t srtt_us;   /* smoothed RTT; 0 until has_sample */
	uint32_t rttvar_us; /* RTT variation; 0 until has_sample */
	uint32_t rto_us;    /* RTO before backoff, already clamped */
	uint8_t backoff;    /* timer expirations since the last sample (5.5) */
	bool has_sample;
};

/* RFC 6298 2.1: no sample yet, RTO = rto_initial_us (Linux and the RFC: 1 s). */
void rtt_init(struct rtt *r, uint32_t rto_initial_us);

/* Feed one RTT measurement r_us.  First sample (2.2): SRTT = R, RTTVAR = R/2;
 * later (2.3): RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R|, then SRTT = 7/8 SRTT +
 * 1/8 R.  RTO = SRTT + max(G, 4 RTTVAR), clamped to [rto_min_us, rto_max_us]
 * (rto_max wins if they cross).  Resets backoff to 0: a fresh measurement
 * collapses a backed-off RTO (RFC 6298 5, note after 5.7). */
void rtt_sample(struct rtt *r, uint32_t r_us, uint32_t rto_min_us,
		uint32_t rto_max_us, uint32_t granularity_us);

/* The timeout to arm now: min(RTO << backoff, rto_max_us) (RFC 6298 5.5). */
uint32_t rtt_rto(const struct rtt *r, uint32_t rto_max_us);

/* The retransmission timer expired (RFC 6298 5.5): double the RTO.  Saturates
 * at RTT_BACKOFF_MAX; count retries (tcp_retries2, syn_retries) separately. */
void rtt_backoff(struct rtt *r);

/* RFC 6298 5.7: call when the handshake completes if the SYN (or SYN-ACK) was
 * retransmitted: with no sample yet and RTO below 3 s, RTO becomes 3 s (Linux
 * TCP_TIMEOUT_FALLBACK).  Also clears the handshake's backoff. */
void rtt_syn_fallback(struct rtt *r);

#endif
