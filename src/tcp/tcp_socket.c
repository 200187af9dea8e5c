/* The socket-like API: handles, errors as negative errno, never blocking. */
#include <errno.h>
#include <string.h>

#include "tcp/tcp.h"

/* Every entry point ends here: readiness events go out once the core is
 * consistent again. */
static int done(struct synack_stack *st, int ret)
{
	tcp_flush_events(st);
	return ret;
}

int synack_socket(struct synack_stack *st)
{
	if (!st)
		return -EINVAL;
	struct tcb *t = tcb_alloc(st);
	if (!t)
		return -ENOBUFS;
	t->flags |= TF_USER;
	return t->sock;
}

int synack_bind(struct synack_stack *st, int sock, uint32_t addr, uint16_t port)
{
	struct tcb *t = tcb_from_sock(st, sock);
	if (!t)
		return -EBADF;
	if (t->state != SYNACK_CLOSED || t->sk.lport != 0)
		return -EINVAL;
	if (addr != 0 && addr != st->cfg.addr)
		return -EADDRNOTAVAIL;
	if (port == 0) {
		/* Linux inet_csk_find_open_port: a port nobody holds, not even a
		 * TIME_WAIT entry, whatever SO_REUSEADDR says. */
		uint32_t lo = st->cfg.ip_local_port_range[0], num = st->cfg.ip_local_port_range[1] - lo + 1;
		uint32_t start = rng_below(&st->rng, num);
		for (uint32_t i = 0; i < num && port == 0; i++)
			if (!tcb_port_conflict(st, (uint16_t)(lo + (start + i) % num), false))
				port = (uint16_t)(lo + (start + i) % num);
		if (port == 0)
			return -EADDRINUSE;
	} else if (tcb_port_conflict(st, port, t->sockopts & SOF_REUSEADDR)) {
		return -EADDRINUSE; /* SPEC T07 */
	}
	t->sk.laddr = st->cfg.addr;
	tcb_bind_port(st, t, port);
	return 0;
}

int synack_listen(struct synack_stack *st, int sock, int backlog)
{
	struct tcb *t = tcb_from_sock(st, sock);
	if (!t)
		return -EBADF;
	if (t->state != SYNACK_CLOSED && t->state != SYNACK_LISTEN)
		return -EINVAL;
	if (t->sk.lport == 0) {
		int e = synack_bind(st, sock, 0, 0);
		if (e)
			return e;
	}
	/* SO_REUSEADDR lets sockets share a port, but never two listeners
	 * (Linux checks again at listen: inet_csk_get_port). */
	struct tcb *other = tcb_lookup_listener(st, t->sk.lport);
	if (other && other != t)
		return -EADDRINUSE;
	/* Linux: a negative backlog is 0, and somaxconn caps it. */
	uint32_t b = backlog < 0 ? 0u : (uint32_t)backlog;
	t->backlog = b > st->cfg.somaxconn ? st->cfg.somaxconn : b;
	tcb_set_state(st, t, SYNACK_LISTEN);
	tcb_listen_hash(st, t);
	return done(st, 0);
}

int synack_accept(struct synack_stack *st, int sock, uint32_t *peer_addr, uint16_t *peer_port)
{
	struct tcb *l = tcb_from_sock(st, sock);
	if (!l)
		return -EBADF;
	if (l->state != SYNACK_LISTEN)
		return -EINVAL;
	struct tcb *c = l->aq_head;
	if (!c)
		return -EAGAIN;
	l->aq_head = c->qnext;
	if (!l->aq_head)
		l->aq_tail = NULL;
	l->aq_len--;
	tcp_listener_trace(st, l);
	c->qnext = NULL;
	c->parent = NULL;
	c->flags = (c->flags & ~(uint32_t)TF_IN_AQ) | TF_USER;
	/* Socket options are inherited from the listener, as Linux's clone does. */
	c->sockopts = l->sockopts;
	c->linger_s = l->linger_s;
	if (peer_addr)
		*peer_addr = c->sk.raddr;
	if (peer_port)
		*peer_port = c->sk.rport;
	return c->sock;
}

int synack_connect(struct synack_stack *st, int sock, uint32_t addr, uint16_t port, uint64_t now)
{
	struct tcb *t = tcb_from_sock(st, sock);
	if (!t)
		return -EBADF;
	if (t->state == SYNACK_SYN_SENT || t->state == SYNACK_SYN_RCVD)
		return -EALREADY;
	if (t->state != SYNACK_CLOSED)
		return t->state == SYNACK_LISTEN ? -EINVAL : -EISCONN;
	if (tcb_has(t, TF_WAS_SYNC) || t->error)
		return -EINVAL; /* a used socket is not reconnected; open a new one */
	if (addr == 0 || port == 0 || addr == 0xffffffffu)
		return -EINVAL;
	stack_set_now(st, now);
	uint16_t lport = t->sk.lport;
	bool ephemeral = lport == 0;
	if (ephemeral) {
		int e = tcb_pick_port(st, addr, port, &lport);
		if (e)
			return e;
	}
	/* SPEC T04: a 4-tuple still held, by TIME_WAIT too, is unavailable
	 * unless tw_reuse lets this connection take the entry over. */
	uint32_t iss = 0;
	struct sk_common *sk = sk_lookup(st, st->cfg.addr, lport, addr, port);
	if (sk) {
		if (sk->kind != SK_TW || !tw_reusable(st, sk_tw(sk)))
			return -EADDRNOTAVAIL;
		iss = tw_recycle(st, sk_tw(sk));
	}
	if (ephemeral)
		tcb_bind_port(st, t, lport);
	tcp_conn_init(st, t, st->cfg.addr, lport, addr, port);
	if (iss)
		t->iss = t->snd_una = t->snd_nxt = t->snd_max = iss;
	sk_hash(st, &t->sk);
	CTR_INC(st, TcpActiveOpens);
	tcb_set_state(st, t, SYNACK_SYN_SENT);
	t->rtt_start = st->now;
	tcp_send_syn(st, t);
	return done(st, -EINPROGRESS);
}

/* The error a data call reports once the connection is gone. */
static int take_error(struct tcb *t)
{
	int e = t->error;
	t->error = 0;
	return -e;
}

ssize_t synack_send(struct synack_stack *st, int sock, const void *buf, size_t len, uint64_t now)
{
	struct tcb *t = tcb_from_sock(st, sock);
	if (!t)
		return -EBADF;
	if (!buf && len > 0)
		return -EFAULT;
	if (t->error)
		return take_error(t);
	if (tcb_has(t, TF_FIN_QUEUED))
		return -EPIPE;
	switch (t->state) {
	case SYNACK_ESTABLISHED:
	case SYNACK_CLOSE_WAIT:
		break;
	case SYNACK_SYN_SENT:
	case SYNACK_SYN_RCVD:
		return -EAGAIN; /* connecting: POLLOUT tells when */
	case SYNACK_CLOSED:
		return tcb_has(t, TF_WAS_SYNC) ? -EPIPE : -ENOTCONN;
	default:
		return -ENOTCONN;
	}
	if (len == 0)
		return 0;
	stack_set_now(st, now);
	uint32_t n = ring_write(&t->snd, buf, len > UINT32_MAX ? UINT32_MAX : (uint32_t)len);
	if (n == 0)
		return -EAGAIN;
	tcp_output(st, t);
	tcp_flush_events(st);
	return (ssize_t)n;
}

/* After the application reads, tell the peer if the window grew a lot:
 * by two segments or half the buffer (RFC 1122 4.2.3.3, Linux's
 * tcp_cleanup_rbuf), not for every byte (no silly window, SPEC D02). */
static void maybe_window_update(struct synack_stack *st, struct tcb *t)
{
	if (t->state != SYNACK_ESTABLISHED && t->state != SYNACK_FIN_WAIT_1 && t->state != SYNACK_FIN_WAIT_2)
		return;
	uint32_t adv = tcb_adv_left(t);
	uint32_t now_wnd = tcp_rcv_window(t);
	if (now_wnd > adv && (now_wnd - adv >= 2u * t->snd_mss || now_wnd - adv >= t->rcv.cap / 2))
		tcp_send_ack(st, t);
}

ssize_t synack_recv(struct synack_stack *st, int sock, void *buf, size_t len, uint64_t now)
{
	struct tcb *t = tcb_from_sock(st, sock);
	if (!t)
		return -EBADF;
	if (!buf && len > 0)
		return -EFAULT;
	if (t->state == SYNACK_LISTEN)
		return -ENOTCONN;
	if (ring_len(&t->rcv) == 0) {
		if (t->error) /* Linux reports a reset before end of stream */
			return take_error(t);
		if (tcb_has(t, TF_RCV_EOF))
			return 0; /* end of stream (SPEC C02) */
		/* After shutdown(SHUT_RD), as Linux's tcp_recvmsg: what is queued
		 * is still returned, and 0 instead of EAGAIN once nothing is.
		 * Data the peer sends later is still taken and readable (Linux
		 * does not discard it, unlike BSD); only in FIN_WAIT_1/2 does it
		 * draw a RST (segment_arrives.c). */
		if (tcb_has(t, TF_RD_SHUT))
			return 0;
		if (t->state == SYNACK_CLOSED)
			return tcb_has(t, TF_WAS_SYNC) ? 0 : -ENOTCONN;
		return -EAGAIN;
	}
	if (len == 0)
		return 0;
	stack_set_now(st, now);
	uint32_t n = ring_read(&t->rcv, buf, len > UINT32_MAX ? UINT32_MAX : (uint32_t)len);
	maybe_window_update(st, t);
	tcp_flush_events(st);
	return (ssize_t)n;
}

/* Queue our FIN after the data (SPEC C01, C05).  In SYN_RCVD (a
 * simultaneous open: a passive one has no handle yet) the FIN waits for
 * ESTABLISHED, as RFC 9293 3.10.4 CLOSE lets us: until our SYN is
 * acknowledged the SYN+ACK is what we retransmit, and a FIN must not take
 * its sequence number (segment_arrives.c moves on to FIN_WAIT_1). */
static void send_fin(struct synack_stack *st, struct tcb *t)
{
	if (tcb_has(t, TF_FIN_QUEUED))
		return;
	t->flags |= TF_FIN_QUEUED;
	if (t->state == SYNACK_ESTABLISHED)
		tcb_set_state(st, t, SYNACK_FIN_WAIT_1);
	else if (t->state == SYNACK_CLOSE_WAIT)
		tcb_set_state(st, t, SYNACK_LAST_ACK);
	tcp_output(st, t);
}

int synack_shutdown(struct synack_stack *st, int sock, int how, uint64_t now)
{
	struct tcb *t = tcb_from_sock(st, sock);
	if (!t)
		return -EBADF;
	if (how < SYNACK_SHUT_RD || how > SYNACK_SHUT_RDWR)
		return -EINVAL;
	if (t->state == SYNACK_CLOSED || t->state == SYNACK_LISTEN)
		return -ENOTCONN;
	stack_set_now(st, now);
	if (how != SYNACK_SHUT_WR)
		t->flags |= TF_RD_SHUT;
	if (how != SYNACK_SHUT_RD) {
		if (t->state == SYNACK_SYN_SENT)
			tcb_close(st, t, 0);
		else
			send_fin(st, t);
	}
	tcb_notify(st, t);
	return done(st, 0);
}

/* Closing a listener resets the connections waiting to be accepted and
 * forgets the half-open ones, as Linux does (inet_csk_listen_stop). */
static void close_listener(struct synack_stack *st, struct tcb *l)
{
	tcp_req_purge(st, l);
	while (l->aq_head) {
		struct tcb *c = l->aq_head;
		tcb_unqueue(st, c);
		if (c->state == SYNACK_CLOSED) { /* it ended while queued */
			tcb_free(st, c);
			continue;
		}
		tcp_send_rst(st, c);
		tcb_close(st, c, ECONNRESET);
	}
	for (uint32_t i = 0; i < st->cfg.max_sockets && l->synq_len > 0; i++) {
		struct tcb *c = &st->tcp.pool[i];
		if (!tcb_has(c, TF_FREE) && c->parent == l)
			tcb_close(st, c, 0);
	}
}

/* SO_LINGER {1, 0} (SPEC T08): an abortive close, as Linux's tcp_disconnect:
 * RST wherever the peer may still hold state (in CLOSING and LAST_ACK only
 * if our FIN never went out), then CLOSED with no TIME_WAIT.  Linux counts
 * it as TCPAbortOnData (tcp_close), and so do we. */
static void close_abort(struct synack_stack *st, struct tcb *t)
{
	bool closing = t->state == SYNACK_CLOSING || t->state == SYNACK_LAST_ACK;
	if (!closing || !tcb_has(t, TF_FIN_SENT))
		tcp_send_rst(st, t);
	CTR_INC(st, TcpExtTCPAbortOnData);
	tcb_close(st, t, 0);
}

/* Releases the handle.  The connection closes in the background: FIN after
 * queued data; RST instead if unread data would be lost (RFC 1122
 * 4.2.2.13, RFC 2525, SPEC C11) or SO_LINGER is {1, 0}.  SO_LINGER {1, N}:
 * our close() cannot block as Linux's does, so it returns at once and N
 * becomes a deadline: a connection whose data and FIN are not all
 * acknowledged N seconds later is reset (TcpExtTCPAbortOnLinger). */
int synack_close(struct synack_stack *st, int sock, uint64_t now)
{
	struct tcb *t = tcb_from_sock(st, sock);
	if (!t)
		return -EBADF;
	stack_set_now(st, now);
	t->flags &= ~(uint32_t)TF_USER; /* the handle is gone; the connection may linger */
	t->flags |= TF_RD_SHUT;
	bool linger = (t->sockopts & SOF_LINGER) != 0;
	switch (t->state) {
	case SYNACK_LISTEN:
		close_listener(st, t);
		tcb_close(st, t, 0);
		return done(st, 0);
	case SYNACK_CLOSED:
	case SYNACK_SYN_SENT:
		tcb_close(st, t, 0);
		return done(st, 0);
	default:
		break;
	}
	/* Unread data in any other state, after shutdown(SHUT_WR) too (FIN_WAIT_1/2,
	 * CLOSING, LAST_ACK): RST, checked before SO_LINGER as Linux's tcp_close. */
	if (ring_len(&t->rcv) > 0) {
		CTR_INC(st, TcpExtTCPAbortOnClose);
		tcp_send_rst(st, t);
		tcb_close(st, t, 0);
		return done(st, 0);
	}
	if (linger && t->linger_s == 0) {
		close_abort(st, t);
		return done(st, 0);
	}
	switch (t->state) {
	case SYNACK_FIN_WAIT_2: /* orphaned now: fin_timeout bounds it (SPEC C09) */
		t->linger_at = st->now + SYNACK_MS(st->cfg.fin_timeout_ms);
		tcp_timer_update(st, t);
		return done(st, 0);
	case SYNACK_ESTABLISHED:
	case SYNACK_CLOSE_WAIT:
	case SYNACK_SYN_RCVD:
		send_fin(st, t);
		break;
	default: /* FIN_WAIT_1, CLOSING, LAST_ACK: our FIN is queued already */
		break;
	}
	if (linger && !tcb_has(t, TF_FREE) && t->state != SYNACK_FIN_WAIT_2 && t->state != SYNACK_CLOSED) {
		t->linger_at = st->now + SYNACK_SEC(t->linger_s);
		tcp_timer_update(st, t);
	}
	return done(st, 0);
}

int synack_getsockopt(struct synack_stack *st, int sock, enum synack_sockopt opt, int *val)
{
	struct tcb *t = tcb_from_sock(st, sock);
	if (!t)
		return -EBADF;
	if (!val)
		return -EFAULT;
	switch (opt) {
	case SYNACK_SO_ERROR:
		*val = t->error;
		t->error = 0;
		return 0;
	case SYNACK_TCP_NODELAY:
		*val = tcb_has(t, TF_NODELAY);
		return 0;
	case SYNACK_SO_REUSEADDR:
		*val = (t->sockopts & SOF_REUSEADDR) != 0;
		return 0;
	case SYNACK_SO_LINGER:
		*val = (t->sockopts & SOF_LINGER) ? (int)t->linger_s : -1;
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

int synack_setsockopt(struct synack_stack *st, int sock, enum synack_sockopt opt, int val)
{
	struct tcb *t = tcb_from_sock(st, sock);
	if (!t)
		return -EBADF;
	switch (opt) {
	case SYNACK_TCP_NODELAY:
		if (val)
			t->flags |= TF_NODELAY;
		else
			t->flags &= ~(uint32_t)TF_NODELAY;
		tcp_output(st, t); /* Linux pushes pending data when Nagle is turned off */
		return done(st, 0);
	case SYNACK_SO_REUSEADDR:
		if (val)
			t->sockopts |= SOF_REUSEADDR;
		else
			t->sockopts &= (uint8_t)~SOF_REUSEADDR;
		return 0;
	case SYNACK_SO_LINGER:
		if (val < 0) {
			t->sockopts &= (uint8_t)~SOF_LINGER;
			t->linger_s = 0;
		} else {
			t->sockopts |= SOF_LINGER;
			t->linger_s = (uint32_t)val;
		}
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

int synack_sock_events(const struct synack_stack *st, int sock)
{
	const struct tcb *t = tcb_from_sock(st, sock);
	if (!t)
		return -EBADF;
	int ev = 0;
	if (t->state == SYNACK_LISTEN)
		return t->aq_len > 0 ? SYNACK_POLLIN : 0;
	bool eof = tcb_has(t, TF_RCV_EOF);
	if (ring_len(&t->rcv) > 0 || eof || tcb_has(t, TF_RD_SHUT) || t->error)
		ev |= SYNACK_POLLIN;
	if ((t->state == SYNACK_ESTABLISHED || t->state == SYNACK_CLOSE_WAIT) && !tcb_has(t, TF_FIN_QUEUED) &&
	    ring_free(&t->snd) > 0)
		ev |= SYNACK_POLLOUT;
	if (t->error)
		ev |= SYNACK_POLLERR;
	/* Linux's tcp_poll: RDHUP once reading is over, by the peer's FIN or
	 * our SHUT_RD; hang-up once both directions are or the socket is closed. */
	bool rd_over = eof || tcb_has(t, TF_RD_SHUT);
	if (rd_over)
		ev |= SYNACK_POLLRDHUP;
	if (t->state == SYNACK_CLOSED || (rd_over && tcb_has(t, TF_FIN_QUEUED)))
		ev |= SYNACK_POLLHUP;
	return ev;
}

static void fill_info(const struct tcb *t, uint32_t rto_max_us, struct synack_sockinfo *o)
{
	memset(o, 0, sizeof(*o));
	o->state = t->state;
	o->laddr = t->sk.laddr;
	o->raddr = t->sk.raddr;
	o->lport = t->sk.lport;
	o->rport = t->sk.rport;
	if (t->state == SYNACK_LISTEN) {
		o->recv_q = t->aq_len;
		o->send_q = t->backlog;
		o->synq_len = t->synq_len;
	} else {
		o->recv_q = ring_len(&t->rcv);
		o->send_q = ring_len(&t->snd);
	}
	synack_time_t at = t->rexmit_at < t->linger_at ? t->rexmit_at : t->linger_at;
	o->timer_at = at;
	o->rto_us = rtt_rto(&t->rtt, rto_max_us);
	o->srtt_us = t->rtt.srtt_us;
	o->snd_mss = t->snd_mss;
	o->snd_wscale = t->snd_wscale;
	o->rcv_wscale = t->rcv_wscale;
	o->ts_ok = tcb_has(t, TF_TS);
	o->sack_ok = tcb_has(t, TF_SACK);
	o->iss = t->iss;
	o->irs = t->irs;
	o->snd_una = t->snd_una;
	o->snd_nxt = t->snd_nxt;
	o->rcv_nxt = t->rcv_nxt;
	o->snd_wnd = t->snd_wnd;
	o->rcv_wnd = t->state == SYNACK_LISTEN ? 0 : tcp_rcv_window(t);
}

int synack_sockinfo(const struct synack_stack *st, int sock, struct synack_sockinfo *out)
{
	const struct tcb *t = tcb_from_sock(st, sock);
	if (!t)
		return -EBADF;
	if (!out)
		return -EFAULT;
	fill_info(t, st->cfg.rto_max_ms * 1000u, out);
	return 0;
}

size_t synack_sock_foreach(const struct synack_stack *st, synack_sock_visit_fn fn, void *ctx)
{
	size_t n = 0;
	for (uint32_t i = 0; i < st->cfg.max_sockets; i++) {
		const struct tcb *t = &st->tcp.pool[i];
		if (tcb_has(t, TF_FREE))
			continue;
		struct synack_sockinfo info;
		fill_info(t, st->cfg.rto_max_ms * 1000u, &info);
		fn(ctx, tcb_has(t, TF_USER) ? t->sock : -1, &info);
		n++;
	}
	return n + tcp_req_foreach(st, fn, ctx) + tw_foreach(st, fn, ctx); /* requests and TIME_WAIT entries: sock -1 */
}
