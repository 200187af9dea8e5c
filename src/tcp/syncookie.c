/* SYN cookies (RFC 4987 3.6, SPEC L03): when the SYN queue is full (or
 * always, syncookies = 2) the listener answers a SYN without keeping
 * anything, and rebuilds the request from the ACK that comes back.
 *
 * The server ISN, as Linux lays it out (secure_tcp_syn_cookie):
 *     ISS = H(4-tuple, 0) + client ISN + (count << 24)
 *           + ((H(4-tuple, count) + MSS index) mod 2^24)
 * H is SipHash-2-4 under a per-stack secret, count a clock that ticks once a
 * minute.  The top 8 bits say when the cookie was made; the low 24 bits
 * carry the MSS index under a keyed hash only we can compute, so a forged or
 * replayed ACK is refused with probability 1 - 4/2^24 per try.  A cookie is
 * good for the minute it was made and the next (Linux's MAX_SYNCOOKIE_AGE).
 *
 * Options have no room in the ISN.  With timestamps on, the low 6 bits of
 * our TSval carry the peer's window scale, SACK-permitted and ECN request,
 * and come back in TSecr (Linux's cookie_init_timestamp); without
 * timestamps a cookie connection does without window scaling and SACK, and
 * its SYN+ACK offers neither. */
#include "tcp/tcp.h"

#define COOKIE_BITS 24
#define COOKIE_MASK ((1u << COOKIE_BITS) - 1u)
#define COOKIE_PERIOD SYNACK_SEC(60)
#define COOKIE_MAX_AGE 2u

#define TS_OPT_BITS 6
#define TS_OPT_WSCALE_MASK 0x0fu /* 0x0f: no window scaling */
#define TS_OPT_SACK 0x10u
#define TS_OPT_ECN 0x20u

/* Linux's IPv4 table: the common MSS values, so rounding down costs little. */
static const uint16_t cookie_mss[] = {536, 1300, 1440, 1460};
#define COOKIE_MSS_N (sizeof(cookie_mss) / sizeof(cookie_mss[0]))

static uint32_t cookie_hash(const struct synack_stack *st, const struct sk_common *k, uint32_t word)
{
	return (uint32_t)siphash24_u32x4(&st->tcp.cookie_key, k->laddr, k->raddr,
	                                 ((uint32_t)k->lport << 16) | k->rport, word);
}

/* Domain separation: the per-count hash never takes the fixed hash's input. */
static uint32_t count_word(uint32_t count)
{
	return (count << 1) | 1u;
}

static uint32_t cookie_count(const struct synack_stack *st)
{
	return (uint32_t)(st->now / COOKIE_PERIOD);
}

void tcp_cookie_make(struct synack_stack *st, struct reqsk *r, uint32_t *tsval)
{
	uint32_t idx = COOKIE_MSS_N - 1u;
	while (idx > 0 && r->mss < cookie_mss[idx])
		idx--;
	r->mss = cookie_mss[idx]; /* below 536 rounds up to 536, as Linux */
	uint32_t count = cookie_count(st);
	r->iss = cookie_hash(st, &r->sk, 0) + r->irs + (count << COOKIE_BITS) +
	         ((cookie_hash(st, &r->sk, count_word(count)) + idx) & COOKIE_MASK);
	*tsval = 0;
	if (!(r->opts & RQ_TS)) {
		r->opts = 0; /* nowhere to remember them */
		return;
	}
	uint32_t opts = (r->opts & RQ_WSCALE) ? r->snd_wscale : TS_OPT_WSCALE_MASK;
	if (r->opts & RQ_SACK)
		opts |= TS_OPT_SACK;
	if (r->opts & RQ_ECN)
		opts |= TS_OPT_ECN;
	uint32_t now = (uint32_t)(st->now / 1000u) + tcp_ts_offset(st, r->sk.laddr, r->sk.raddr);
	uint32_t ts = (now & ~((1u << TS_OPT_BITS) - 1u)) | opts;
	/* Never ahead of the connection's clock, which must not run backwards. */
	if (seq_gt(ts, now))
		ts -= 1u << TS_OPT_BITS;
	*tsval = ts;
}

/* The options a returning TSecr carries (Linux's cookie_timestamp_decode). */
static bool cookie_options(const struct synack_stack *st, const struct synack_tcp_seg *seg, struct reqsk *r)
{
	r->opts = 0;
	r->snd_wscale = 0;
	if (!(seg->opt.present & SYNACK_OPT_TS))
		return true; /* a connection without timestamps, scaling or SACK */
	if (!st->cfg.timestamps)
		return false; /* we never sent a timestamp to come back */
	uint32_t opts = seg->opt.ts_ecr & ((1u << TS_OPT_BITS) - 1u);
	r->opts = RQ_TS;
	r->ts_recent = seg->opt.ts_val;
	if (opts & TS_OPT_SACK) {
		if (!st->cfg.sack)
			return false;
		r->opts |= RQ_SACK;
	}
	if (opts & TS_OPT_ECN)
		r->opts |= RQ_ECN;
	uint32_t ws = opts & TS_OPT_WSCALE_MASK;
	if (ws != TS_OPT_WSCALE_MASK) {
		if (!st->cfg.window_scaling || ws > 14)
			return false;
		r->opts |= RQ_WSCALE;
		r->snd_wscale = (uint8_t)ws;
	}
	return true;
}

bool tcp_cookie_check(struct synack_stack *st, const struct synack_ipv4 *ip, const struct synack_tcp_seg *seg,
                      struct reqsk *r)
{
	tcp_req_key(r, ip, seg);
	r->irs = seg->seq - 1u;
	r->iss = seg->ack - 1u;
	uint32_t v = r->iss - cookie_hash(st, &r->sk, 0) - r->irs;
	uint32_t now = cookie_count(st);
	uint32_t age = (now - (v >> COOKIE_BITS)) & (0xffffffffu >> COOKIE_BITS);
	if (age >= COOKIE_MAX_AGE)
		return false;
	uint32_t count = now - age;
	uint32_t idx = (v - cookie_hash(st, &r->sk, count_word(count))) & COOKIE_MASK;
	if (idx >= COOKIE_MSS_N)
		return false;
	r->mss = cookie_mss[idx];
	if (!cookie_options(st, seg, r))
		return false;
	r->sent_us = (uint32_t)st->now;
	r->opts |= RQ_RESENT; /* when the SYN+ACK left is unknown: no clock RTT sample */
	return true;
}
