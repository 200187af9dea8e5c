/* Sequence-number arithmetic modulo 2^32 (RFC 9293 3.4; SPEC W04).
 *
 * Sequence numbers wrap, so "a < b" means "a comes before b within half the
 * space": (int32_t)(a - b) < 0.  Plain < on uint32_t breaks when a connection's
 * ISN sits just below 2^32 (picoTCP's bug); use these everywhere.  Comparisons
 * are only meaningful for numbers less than 2^31 apart.
 */
#ifndef SYNACK_WIRE_SEQ_H
#define SYNACK_WIRE_SEQ_H

#include <stdbool.h>
#include <stdint.h>

static inline bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline bool seq_leq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

static inline bool seq_gt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

static inline bool seq_geq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}

/* lo <= x < hi, modulo 2^32: the half-open interval walked forward from lo to
 * hi (so it may cross the wrap).  Empty when lo == hi.  Exact for any span
 * below 2^32, not only below 2^31: it compares offsets, not signs. */
static inline bool seq_between(uint32_t x, uint32_t lo, uint32_t hi)
{
	return x - lo < hi - lo;
}

/* start <= x < start + len, modulo 2^32: RFC 9293 3.10.7.4's window test
 * "RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND".  Empty when len == 0 (the caller
 * handles RFC 9293's zero-window special cases itself). */
static inline bool seq_in_window(uint32_t x, uint32_t start, uint32_t len)
{
	return x - start < len;
}

static inline uint32_t seq_max(uint32_t a, uint32_t b)
{
	return seq_gt(a, b) ? a : b;
}

static inline uint32_t seq_min(uint32_t a, uint32_t b)
{
	return seq_lt(a, b) ? a : b;
}

#endif
