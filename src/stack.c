/* The stack object: creation, time, timers, the tx path and the trace. */
#include "stack.h"
#include "tcp/tcp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void synack_config_default(struct synack_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->addr = 0xc0000201u; /* 192.0.2.1 (TEST-NET-1); callers set their own */
	cfg->seed = 0;
	cfg->mtu = 1500;
	cfg->ip_default_ttl = 64;          /* Linux net.ipv4.ip_default_ttl */
	cfg->icmp_echo_ignore_all = false; /* Linux net.ipv4.icmp_echo_ignore_all = 0 */
	cfg->max_sockets = 1024;
	cfg->rmem = 131072;   /* Linux tcp_rmem[1] */
	cfg->wmem = 131072;   /* Linux starts at tcp_wmem[1] 16384 and autotunes; we size once */
	cfg->syn_retries = 6;
	cfg->synack_retries = 5;
	cfg->retries2 = 15;
	cfg->orphan_retries = 0;
	cfg->fin_timeout_ms = 60000;
	cfg->msl_ms = 30000;  /* Linux's TIME_WAIT is a fixed 60 s = 2 * 30 s */
	cfg->rto_initial_ms = 1000;
	cfg->rto_min_ms = 200;
	cfg->rto_max_ms = 120000;
	cfg->invalid_ratelimit_ms = 500;
	cfg->max_syn_backlog = 2048; /* Linux sizes it from memory: 2048 on a 24 GiB machine */
	cfg->syncookies = 1;           /* Linux tcp_syncookies = 1 */
	cfg->abort_on_overflow = false; /* Linux tcp_abort_on_overflow = 0 */
	cfg->syn_rate_per_src = 0;
	cfg->somaxconn = 4096;
	cfg->ip_local_port_range[0] = 32768;
	cfg->ip_local_port_range[1] = 60999;
	cfg->timestamps = true;
	cfg->sack = true;
	cfg->window_scaling = true;
	/* Linux sizes tcp_max_tw_buckets from memory: 262144 on many machines.
	 * The pool is calloc'd, so entries never used cost no memory. */
	cfg->max_tw_buckets = 262144;
	/* Linux's tcp_tw_reuse default is 2, "loopback only"; a userspace stack
	 * has no loopback, so that is 0 here: TIME_WAIT keeps its full 2*MSL
	 * protection unless the application asks otherwise. */
	cfg->tw_reuse = 0;
	cfg->tw_reuse_delay_ms = 1000; /* Linux tcp_tw_reuse_delay */
	/* Linux's tcp_rfc1337 default is 0 (a RST ends TIME_WAIT); RFC 1337's
	 * fix is the safe side, so ours is 1. */
	cfg->rfc1337 = true;
}

static int config_check(const struct synack_config *cfg)
{
	if (cfg->addr == 0 || cfg->addr == 0xffffffffu)
		return -EINVAL;
	if (cfg->mtu < 68) /* RFC 791: every host must take 68-byte datagrams */
		return -EINVAL;
	if (cfg->ip_default_ttl == 0)
		return -EINVAL;
	if (cfg->max_sockets == 0 || cfg->max_sockets > (1u << 24))
		return -EINVAL;
	/* Buffers must hold a segment and fit a 30-bit scaled window (RFC 7323 2.3). */
	if (cfg->rmem < 1024 || cfg->wmem < 1024 || cfg->rmem > (1u << 30) || cfg->wmem > (1u << 30))
		return -EINVAL;
	if (cfg->syncookies > 2 || cfg->max_syn_backlog == 0 || cfg->max_syn_backlog > (1u << 24))
		return -EINVAL;
	if (cfg->ip_local_port_range[0] == 0 || cfg->ip_local_port_range[0] > cfg->ip_local_port_range[1])
		return -EINVAL;
	if (cfg->rto_min_ms == 0 || cfg->rto_min_ms > cfg->rto_max_ms || cfg->rto_initial_ms == 0 ||
	    cfg->msl_ms == 0)
		return -EINVAL;
	/* Times in microseconds are 32-bit products of these (rto_max_ms * 1000):
	 * bounded so none can wrap. */
	const uint32_t us32 = UINT32_MAX / 1000u;
	if (cfg->rto_max_ms > us32 || cfg->rto_initial_ms > us32 || cfg->invalid_ratelimit_ms > us32)
		return -EINVAL;
	/* TIME_WAIT deadlines are kept as 32-bit tick counts: 2*MSL < 2^31 ms. */
	if (cfg->msl_ms >= (1u << 30) || cfg->tw_reuse_delay_ms >= (1u << 30))
		return -EINVAL;
	if (cfg->max_tw_buckets > (1u << 24) || cfg->tw_reuse > 1)
		return -EINVAL;
	return 0;
}

struct synack_stack *synack_stack_new(const struct synack_config *cfg, const struct synack_hooks *hooks,
                                      int *err)
{
	int e = 0;
	struct synack_stack *st = NULL;
	if (!cfg || !hooks || !hooks->tx)
		e = -EINVAL;
	else
		e = config_check(cfg);
	if (e == 0) {
		st = calloc(1, sizeof(*st));
		if (!st)
			e = -ENOMEM;
	}
	if (err)
		*err = e;
	if (e)
		return NULL;
	st->cfg = *cfg;
	st->hooks = *hooks;
	rng_seed(&st->rng, cfg->seed);
	st->ip_id = (uint16_t)rng_next(&st->rng);
	wheel_init(&st->wheel, 0);
	e = tcp_tables_init(st);
	if (e) {
		free(st);
		if (err)
			*err = e;
		return NULL;
	}
	return st;
}

void synack_stack_free(struct synack_stack *st)
{
	if (!st)
		return;
	tcp_tables_free(st);
	free(st);
}

void stack_set_now(struct synack_stack *st, synack_time_t now)
{
	if (now > st->now)
		st->now = now;
}

void stack_trace(struct synack_stack *st, struct synack_trace *ev)
{
	if (!st->hooks.trace)
		return;
	ev->now = st->now;
	st->hooks.trace(st->hooks.ctx, ev);
}

void stack_ip_out(struct synack_stack *st, struct synack_ipv4 *ip, uint32_t dst, uint8_t proto)
{
	memset(ip, 0, sizeof(*ip));
	ip->src = st->cfg.addr;
	ip->dst = dst;
	ip->proto = proto;
	ip->ttl = st->cfg.ip_default_ttl;
	ip->id = st->ip_id++;
	ip->df = true; /* we never fragment; path MTU discovery as Linux (ip_no_pmtu_disc=0) */
}

void stack_tx(struct synack_stack *st, size_t len)
{
	CTR_INC(st, IpOutRequests);
	struct synack_trace ev = {.kind = SYNACK_TRACE_PKT_OUT, .pkt = st->txbuf, .len = len};
	stack_trace(st, &ev);
	st->hooks.tx(st->hooks.ctx, st->txbuf, len);
}

void stack_drop(struct synack_stack *st, enum synack_counter_id ctr, const uint8_t *pkt, size_t len)
{
	counter_inc(&st->ctr, ctr);
	struct synack_trace ev = {.kind = SYNACK_TRACE_DROP, .pkt = pkt, .len = len, .counter = ctr};
	stack_trace(st, &ev);
}

static uint64_t tick_ceil(synack_time_t at)
{
	return at / STACK_TICK_US + (at % STACK_TICK_US != 0);
}

void stack_timer_arm(struct synack_stack *st, struct stack_timer *t, synack_time_t at)
{
	wheel_arm(&st->wheel, &t->wt, tick_ceil(at));
}

void stack_timer_cancel(struct synack_stack *st, struct stack_timer *t)
{
	wheel_cancel(&st->wheel, &t->wt);
}

static void timer_fire(void *ctx, struct wheel_timer *wt)
{
	struct stack_timer *t = container_of(wt, struct stack_timer, wt);
	t->fire(ctx, t);
}

void synack_poll(struct synack_stack *st, synack_time_t now)
{
	stack_set_now(st, now);
	wheel_advance(&st->wheel, st->now / STACK_TICK_US, timer_fire, st);
	tcp_flush_events(st);
}

synack_time_t synack_next_timeout(const struct synack_stack *st)
{
	uint64_t tick = wheel_next_expiry(&st->wheel);
	if (tick == WHEEL_NEVER || tick > SYNACK_TIME_NEVER / STACK_TICK_US)
		return SYNACK_TIME_NEVER;
	return tick * STACK_TICK_US;
}

const struct synack_counters *synack_get_counters(const struct synack_stack *st)
{
	return &st->ctr;
}

const struct synack_config *synack_get_config(const struct synack_stack *st)
{
	return &st->cfg;
}
