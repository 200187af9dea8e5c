/* The connection pool and the tables that find a connection: the 4-tuple
 * hash (keyed SipHash, so a remote cannot aim at one bucket) and the bound
 * port hash (listeners and port conflicts).  Also state changes, readiness
 * events and the end of a connection. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tcp/tcp.h"

static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t p = 16;
	while (p < n && p < (1u << 30))
		p <<= 1;
	return p;
}

int tcp_tables_init(struct synack_stack *st)
{
	struct tcp_tables *tt = &st->tcp;
	uint32_t n = st->cfg.max_sockets;
	size_t per = (size_t)st->cfg.rmem + st->cfg.wmem;
	uint32_t hsize = pow2_at_least(n * 2);
	/* The 4-tuple hash holds request and TIME_WAIT entries too: about one
	 * bucket each. */
	uint32_t esize = pow2_at_least(2u * (n + st->cfg.max_syn_backlog) + st->cfg.max_tw_buckets);
	tt->pool = calloc(n, sizeof(struct tcb));
	/* One allocation for every buffer: untouched pages cost no memory. */
	tt->bufmem = calloc(n, per);
	tt->ehash = calloc(esize, sizeof(struct sk_common *));
	tt->bhash = calloc(hsize, sizeof(struct tcb *));
	tt->lhash = calloc(hsize, sizeof(struct sk_common *));
	if (!tt->pool || !tt->bufmem || !tt->ehash || !tt->bhash || !tt->lhash) {
		tcp_tables_free(st);
		return -ENOMEM;
	}
	tt->hmask = hsize - 1;
	tt->emask = esize - 1;
	tt->hash_key = rng_key(&st->rng);
	tt->isn_key = rng_key(&st->rng);
	tt->port_key = rng_key(&st->rng);
	tt->cookie_key = rng_key(&st->rng);
	if (tcp_req_init(st) < 0) {
		tcp_tables_free(st);
		return -ENOMEM;
	}
	for (uint32_t i = n; i-- > 0;) {
		struct tcb *t = &tt->pool[i];
		t->sock = (int)i;
		t->flags = TF_FREE;
		t->qnext = tt->free;
		tt->free = t;
	}
	int e = tw_init(st);
	if (e)
		tcp_tables_free(st);
	return e;
}

void tcp_tables_free(struct synack_stack *st)
{
	struct tcp_tables *tt = &st->tcp;
	tw_free_all(st);
	free(tt->pool);
	free(tt->bufmem);
	free(tt->ehash);
	free(tt->bhash);
	free(tt->lhash);
	tcp_req_free_all(st);
	memset(tt, 0, sizeof(*tt));
}

struct tcb *tcb_alloc(struct synack_stack *st)
{
	struct tcp_tables *tt = &st->tcp;
	struct tcb *t = tt->free;
	if (!t)
		return NULL;
	tt->free = t->qnext;
	int sock = t->sock;
	memset(t, 0, sizeof(*t));
	t->sock = sock;
	t->sk.kind = SK_TCB;
	t->state = SYNACK_CLOSED;
	t->rexmit_at = t->linger_at = SYNACK_TIME_NEVER;
	t->timer.fire = tcp_timer_fire;
	uint8_t *mem = tt->bufmem + (size_t)sock * ((size_t)st->cfg.rmem + st->cfg.wmem);
	ring_init(&t->rcv, mem, st->cfg.rmem);
	ring_init(&t->snd, mem + st->cfg.rmem, st->cfg.wmem);
	reass_init(&t->reass);
	rtt_init(&t->rtt, st->cfg.rto_initial_ms * 1000u);
	return t;
}

static uint32_t bucket_index(struct synack_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
                             uint16_t rport)
{
	uint64_t h = siphash24_u32x4(&st->tcp.hash_key, laddr, raddr, ((uint32_t)lport << 16) | rport, 0);
	return (uint32_t)h & st->tcp.hmask;
}

static struct sk_common **ehash_bucket(struct synack_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
                                       uint16_t rport)
{
	uint64_t h = siphash24_u32x4(&st->tcp.hash_key, laddr, raddr, ((uint32_t)lport << 16) | rport, 0);
	return &st->tcp.ehash[(uint32_t)h & st->tcp.emask];
}

static struct sk_common **ebucket(struct synack_stack *st, const struct sk_common *k)
{
	return ehash_bucket(st, k->laddr, k->lport, k->raddr, k->rport);
}

static struct tcb **port_bucket(struct synack_stack *st, uint16_t port)
{
	return &st->tcp.bhash[bucket_index(st, 0, port, 0, 0)];
}

static struct sk_common **listen_bucket(struct synack_stack *st, uint16_t port)
{
	return &st->tcp.lhash[bucket_index(st, 0, port, 0, 0)];
}

static void chain_remove(struct sk_common **pp, struct sk_common *sk)
{
	for (; *pp; pp = &(*pp)->hnext) {
		if (*pp == sk) {
			*pp = sk->hnext;
			sk->hnext = NULL;
			return;
		}
	}
}

void sk_hash(struct synack_stack *st, struct sk_common *sk)
{
	struct sk_common **b = ebucket(st, sk);
	sk->hnext = *b;
	*b = sk;
}

void sk_unhash(struct synack_stack *st, struct sk_common *sk)
{
	if (sk->rport == 0)
		return;
	chain_remove(ebucket(st, sk), sk);
}

void sk_replace(struct synack_stack *st, struct sk_common *old, struct sk_common *sk)
{
	for (struct sk_common **pp = ebucket(st, old); *pp; pp = &(*pp)->hnext) {
		if (*pp == old) {
			sk->hnext = old->hnext;
			*pp = sk;
			old->hnext = NULL;
			return;
		}
	}
	sk_hash(st, sk);
}

void tcb_bind_port(struct synack_stack *st, struct tcb *t, uint16_t port)
{
	struct tcb **b = port_bucket(st, port);
	t->sk.lport = port;
	t->bnext = *b;
	if (*b)
		(*b)->bpprev = &t->bnext;
	t->bpprev = b;
	*b = t;
}

void tcb_unbind_port(struct tcb *t)
{
	if (!t->bpprev)
		return;
	*t->bpprev = t->bnext;
	if (t->bnext)
		t->bnext->bpprev = t->bpprev;
	t->bnext = NULL;
	t->bpprev = NULL;
}

void tcb_listen_hash(struct synack_stack *st, struct tcb *t)
{
	if (tcb_has(t, TF_IN_LHASH))
		return;
	struct sk_common **b = listen_bucket(st, t->sk.lport);
	t->sk.hnext = *b;
	*b = &t->sk;
	t->flags |= TF_IN_LHASH;
}

static void tcb_listen_unhash(struct synack_stack *st, struct tcb *t)
{
	if (!tcb_has(t, TF_IN_LHASH))
		return;
	chain_remove(listen_bucket(st, t->sk.lport), &t->sk);
	t->flags &= ~(uint32_t)TF_IN_LHASH;
}

void tcb_free(struct synack_stack *st, struct tcb *t)
{
	if (tcb_has(t, TF_FREE))
		return;
	stack_timer_cancel(st, &t->timer);
	sk_unhash(st, &t->sk);
	tcb_listen_unhash(st, t);
	tcb_unbind_port(t);
	if (tcb_has(t, TF_EV_PENDING)) {
		for (struct tcb **pp = &st->tcp.ev_head; *pp; pp = &(*pp)->evnext)
			if (*pp == t) {
				*pp = t->evnext;
				break;
			}
	}
	t->flags = TF_FREE;
	t->state = SYNACK_CLOSED;
	t->qnext = st->tcp.free;
	st->tcp.free = t;
}

struct tcb *tcb_from_sock(const struct synack_stack *st, int sock)
{
	if (sock < 0 || (uint32_t)sock >= st->cfg.max_sockets)
		return NULL;
	struct tcb *t = &st->tcp.pool[sock];
	if ((t->flags & (TF_FREE | TF_USER)) != TF_USER)
		return NULL;
	return t;
}

struct sk_common *sk_lookup(struct synack_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
                            uint16_t rport)
{
	for (struct sk_common *sk = *ehash_bucket(st, laddr, lport, raddr, rport); sk; sk = sk->hnext)
		if (sk->lport == lport && sk->rport == rport && sk->raddr == raddr && sk->laddr == laddr)
			return sk;
	return NULL;
}

struct tcb *tcb_lookup_listener(struct synack_stack *st, uint16_t lport)
{
	for (struct sk_common *sk = *listen_bucket(st, lport); sk; sk = sk->hnext) {
		struct tcb *t = sk_tcb(sk);
		if (sk->lport == lport && t->state == SYNACK_LISTEN)
			return t;
	}
	return NULL;
}

bool tcb_port_in_use(struct synack_stack *st, uint16_t port)
{
	for (struct tcb *t = *port_bucket(st, port); t; t = t->bnext)
		if (t->sk.lport == port)
			return true;
	return false;
}

/* Linux's inet_bind_conflict (bind's "relax" case): two holders of a port
 * conflict unless both have SO_REUSEADDR and the other is not listening.
 * TIME_WAIT entries count as holders (SPEC T07). */
bool tcb_port_conflict(struct synack_stack *st, uint16_t port, bool reuse)
{
	for (struct tcb *t = *port_bucket(st, port); t; t = t->bnext) {
		if (t->sk.lport != port)
			continue;
		if (!reuse || !(t->sockopts & SOF_REUSEADDR) || t->state == SYNACK_LISTEN)
			return true;
	}
	return tw_port_conflict(st, port, reuse);
}

/* A port may serve a new connection to raddr:rport if no listener or
 * unconnected bound socket claims the port and the 4-tuple is free, or is
 * held by a TIME_WAIT entry that tw_reuse lets us take over (SPEC T04). */
static bool port_usable(struct synack_stack *st, uint16_t port, uint32_t raddr, uint16_t rport)
{
	for (struct tcb *t = *port_bucket(st, port); t; t = t->bnext) {
		if (t->sk.lport != port)
			continue;
		if (t->sk.rport == 0 || (t->sk.raddr == raddr && t->sk.rport == rport))
			return false;
	}
	struct sk_common *sk = sk_lookup(st, st->cfg.addr, port, raddr, rport);
	return !sk || (sk->kind == SK_TW && tw_reusable(st, sk_tw(sk)));
}

/* RFC 6056 3.3.3 (Algorithm 3): start from a keyed hash of the destination,
 * so ports are not predictable, and walk the range once: a full range gives
 * EADDRNOTAVAIL after at most one pass.  After each pick the counter moves
 * on by a random 1..8, as Linux does since 5.18 ("tcp: add small random
 * increments to the source port"), so successive ports to one destination
 * are not sequential either (RFC 6056 3.3.5's idea). */
int tcb_pick_port(struct synack_stack *st, uint32_t raddr, uint16_t rport, uint16_t *port)
{
	uint32_t lo = st->cfg.ip_local_port_range[0], hi = st->cfg.ip_local_port_range[1];
	uint32_t num = hi - lo + 1;
	uint32_t offset = (uint32_t)siphash24_u32x4(&st->tcp.port_key, st->cfg.addr, raddr, rport, 0);
	for (uint32_t i = 0; i < num; i++) {
		uint16_t p = (uint16_t)(lo + (offset + st->tcp.port_hint + i) % num);
		if (port_usable(st, p, raddr, rport)) {
			st->tcp.port_hint += i + 1 + rng_below(&st->rng, 8);
			*port = p;
			return 0;
		}
	}
	return -EADDRNOTAVAIL;
}

void tcb_set_state(struct synack_stack *st, struct tcb *t, enum synack_tcp_state s)
{
	enum synack_tcp_state old = t->state;
	if (old == s)
		return;
	t->state = s;
	/* RFC 1213's definitions, as Linux applies them in tcp_set_state(). */
	bool was_estab = old == SYNACK_ESTABLISHED || old == SYNACK_CLOSE_WAIT;
	if (s == SYNACK_ESTABLISHED) {
		st->ctr.TcpCurrEstab++;
		t->flags |= TF_WAS_SYNC;
	} else if (was_estab && s != SYNACK_CLOSE_WAIT) {
		st->ctr.TcpCurrEstab--;
	}
	if (was_estab && s == SYNACK_CLOSED)
		CTR_INC(st, TcpEstabResets);
	if ((old == SYNACK_SYN_SENT || old == SYNACK_SYN_RCVD) && (s == SYNACK_CLOSED || s == SYNACK_LISTEN))
		CTR_INC(st, TcpAttemptFails);
	struct synack_trace ev = {.kind = SYNACK_TRACE_STATE, .sock = tcb_has(t, TF_USER) ? t->sock : -1,
	                          .old_state = old, .new_state = s, .laddr = t->sk.laddr, .raddr = t->sk.raddr,
	                          .lport = t->sk.lport, .rport = t->sk.rport};
	stack_trace(st, &ev);
	tcb_notify(st, t);
}

void tcb_notify(struct synack_stack *st, struct tcb *t)
{
	if (!st->hooks.event || !tcb_has(t, TF_USER) || tcb_has(t, TF_EV_PENDING))
		return;
	t->flags |= TF_EV_PENDING;
	t->evnext = st->tcp.ev_head;
	st->tcp.ev_head = t;
}

/* Runs at the end of every entry point, when the core is consistent, so the
 * hook may call back into the API.  Bounded: each pass empties the list and a
 * hook that keeps generating events stops after max_sockets rounds. */
void tcp_flush_events(struct synack_stack *st)
{
	for (uint32_t round = 0; st->tcp.ev_head && round <= st->cfg.max_sockets; round++) {
		struct tcb *t = st->tcp.ev_head;
		st->tcp.ev_head = t->evnext;
		t->evnext = NULL;
		t->flags &= (uint32_t)~TF_EV_PENDING;
		if (tcb_has(t, TF_USER))
			st->hooks.event(st->hooks.ctx, t->sock, synack_sock_events(st, t->sock));
	}
}

static void listener_forget_child(struct synack_stack *st, struct tcb *l, struct tcb *t)
{
	if (tcb_has(t, TF_IN_AQ)) {
		struct tcb **pp = &l->aq_head;
		struct tcb *prev = NULL;
		while (*pp && *pp != t) {
			prev = *pp;
			pp = &(*pp)->qnext;
		}
		if (*pp) {
			*pp = t->qnext;
			if (l->aq_tail == t)
				l->aq_tail = prev;
			l->aq_len--;
		}
		t->flags &= (uint32_t)~TF_IN_AQ;
	} else if (l->synq_len > 0) {
		l->synq_len--;
	}
	t->parent = NULL;
	tcp_listener_trace(st, l);
}

void tcb_unqueue(struct synack_stack *st, struct tcb *t)
{
	if (t->parent)
		listener_forget_child(st, t->parent, t);
}

/* A connection that ends while on its listener's accept queue stays there,
 * CLOSED with its error and its unread data, as Linux's does: accept()
 * hands it over, recv() returns the data, then the error (a reset child
 * is not silently lost).  Only closing the listener takes it off. */
void tcb_close(struct synack_stack *st, struct tcb *t, int err)
{
	if (err && !t->error)
		t->error = (int16_t)err;
	bool queued = t->parent && tcb_has(t, TF_IN_AQ);
	if (t->parent && !queued)
		listener_forget_child(st, t->parent, t);
	tcb_set_state(st, t, SYNACK_CLOSED);
	t->rexmit_at = t->linger_at = SYNACK_TIME_NEVER;
	stack_timer_cancel(st, &t->timer);
	sk_unhash(st, &t->sk);
	tcb_listen_unhash(st, t);
	if (!tcb_has(t, TF_USER) && !queued)
		tcb_free(st, t);
}
