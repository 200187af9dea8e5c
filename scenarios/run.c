/* Playing a scenario: the two-column network, notes, facts, crafted
 * segments, and printing the result as text or SVG. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "play.h"

/* ------------------------------------------------------------------ */
/* Building the network. */

static int col_of_node(const struct scenario_run *r, int node)
{
	return node == r->node[0] ? 0 : node == r->node[1] ? 1 : -1;
}

/* A raw column's ear: keeps the header fields of every TCP segment. */
static void raw_rx(void *ctx, int node, const uint8_t *pkt, size_t len, synack_time_t now)
{
	struct scenario_run *r = ctx;
	int col = col_of_node(r, node);
	struct synack_ipv4 ip;
	struct synack_tcp_seg seg;
	if (col < 0 || r->n_rx[col] >= sizeof(r->rx[col]) / sizeof(r->rx[col][0]) ||
	    synack_tcp_packet_parse(pkt, len, &ip, &seg) != SYNACK_WIRE_OK)
		return;
	r->rx[col][r->n_rx[col]++] = (struct scenario_rx){
	    .t = now, .seq = seg.seq, .ack = seg.ack, .payload_len = seg.payload_len, .sport = seg.sport,
	    .dport = seg.dport, .window = seg.window, .flags = seg.flags,
	};
}

bool sc_setup(struct scenario_run *r, int raw_col, sc_config_fn tweak, const char *label_c, const char *label_s)
{
	r->sim = synack_sim_new(r->params.seed);
	r->lad = synack_ladder_new();
	if (!r->sim || !r->lad) {
		snprintf(r->error, sizeof r->error, SC_OOM);
		return false;
	}
	for (int col = 0; col < 2; col++) {
		uint32_t addr = col == COL_C ? SCN_CLIENT_ADDR : SCN_SERVER_ADDR;
		if (col == raw_col) {
			r->node[col] = synack_sim_add_raw(r->sim, addr, raw_rx, r);
		} else {
			struct synack_config cfg;
			synack_config_default(&cfg);
			cfg.addr = addr;
			cfg.seed = r->params.seed * 2 + (uint64_t)col;
			cfg.max_sockets = 16;
			cfg.rmem = cfg.wmem = 65536;
			if (tweak)
				tweak(&cfg, col);
			r->node[col] = synack_sim_add_stack(r->sim, &cfg);
		}
		if (r->node[col] < 0) {
			snprintf(r->error, sizeof r->error, "cannot add node %d: error %d", col, r->node[col]);
			return false;
		}
		r->stack[col] = synack_sim_stack(r->sim, r->node[col]);
	}
	struct synack_link_model m = {.delay_us = SC_DELAY_US, .loss = r->params.loss};
	if (synack_sim_link(r->sim, r->node[0], r->node[1], &m, &m) != 0) {
		snprintf(r->error, sizeof r->error, "cannot link the columns");
		return false;
	}
	synack_ladder_set_columns(r->lad, r->node[0], label_c ? label_c : "client", r->node[1],
	                          label_s ? label_s : "server");
	struct synack_sim_hooks hooks;
	synack_ladder_sim_hooks(r->lad, &hooks);
	synack_sim_set_hooks(r->sim, &hooks);
	if (r->params.pcap)
		synack_sim_capture(r->sim, r->node[0], r->params.pcap);
	return true;
}

void sc_run_to(struct scenario_run *r, synack_time_t t)
{
	if (r->sim)
		synack_sim_run_until(r->sim, t);
}

synack_time_t sc_now(const struct scenario_run *r)
{
	return synack_sim_now(r->sim);
}

/* ------------------------------------------------------------------ */
/* Notes, answers, expectations. */

void sc_note(struct scenario_run *r, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (synack_ladder_note(r->lad, sc_now(r), buf) != 0 && !r->error[0])
		snprintf(r->error, sizeof r->error, SC_OOM);
}

void sc_answer(struct scenario_run *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->answer, sizeof r->answer, fmt, ap);
	va_end(ap);
}

bool sc_expect(struct scenario_run *r, bool cond, const char *fmt, ...)
{
	if (cond || r->error[0])
		return cond;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->error, sizeof r->error, fmt, ap);
	va_end(ap);
	return false;
}

void sc_append(char *buf, size_t cap, size_t *used, const char *fmt, ...)
{
	if (!cap || *used + 1 >= cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + *used, cap - *used, fmt, ap);
	va_end(ap);
	if (n > 0)
		*used = *used + (size_t)n < cap ? *used + (size_t)n : cap - 1;
}

const char *sc_secs(char *buf, synack_time_t t)
{
	snprintf(buf, 32, "%" PRIu64 ".%03u", t / 1000000u, (unsigned)(t % 1000000u / 1000u));
	return buf;
}

const char *sc_dur(char *buf, synack_time_t t)
{
	sc_secs(buf, t);
	char *dot = strchr(buf, '.');
	if (dot) {
		char *end = buf + strlen(buf);
		while (end > dot + 1 && end[-1] == '0')
			*--end = '\0';
		if (end == dot + 1)
			*dot = '\0';
	}
	return buf;
}

void sc_note_discarded_requests(struct scenario_run *r)
{
	size_t n = synack_ladder_state_count(r->lad);
	for (size_t i = 0; i < n; i++) {
		const struct synack_ladder_state *s = synack_ladder_state_get(r->lad, i);
		if (s->col == COL_S && s->old_state == SYNACK_LISTEN && s->new_state == SYNACK_CLOSED && s->rport != 0)
			synack_ladder_note(r->lad, s->time,
			                   "server: the half-open connection, back in LISTEN, is discarded (CLOSED); "
			                   "the listener itself still listens");
	}
}

/* ------------------------------------------------------------------ */
/* Crafted segments and what raw columns heard. */

void sc_send(struct scenario_run *r, int col, const struct sc_seg *s)
{
	struct synack_tcp_seg t;
	memset(&t, 0, sizeof(t));
	t.sport = s->sport;
	t.dport = s->dport;
	t.seq = s->seq;
	t.ack = s->ack;
	t.flags = s->flags;
	t.window = s->window ? s->window : (s->flags & SYNACK_TCP_RST) ? 0 : 65535;
	t.urg_ptr = s->urg_ptr;
	t.payload = (const uint8_t *)s->data;
	t.payload_len = s->len;
	if (s->flags & SYNACK_TCP_SYN) {
		t.opt.present = SYNACK_OPT_MSS;
		t.opt.mss = 1460;
	}
	uint8_t buf[2048];
	struct synack_ipv4 ip = {
	    .src = synack_sim_addr(r->sim, r->node[col]), .dst = synack_sim_addr(r->sim, r->node[1 - col]),
	    .ttl = 64, .df = true,
	};
	size_t n = synack_tcp_build(buf, sizeof(buf), &ip, &t);
	if (sc_expect(r, n > 0, "cannot build a crafted segment"))
		synack_sim_inject(r->sim, r->node[col], buf, n);
}

/* The filter behind sc_hold_copy: copies, never drops. */
static bool hold_filter(void *ctx, const uint8_t *pkt, size_t len, synack_time_t now)
{
	(void)now;
	struct scenario_run *r = ctx;
	struct synack_ipv4 ip;
	struct synack_tcp_seg seg;
	if (r->held_len || len > sizeof(r->held) || synack_tcp_packet_parse(pkt, len, &ip, &seg) != SYNACK_WIRE_OK ||
	    seg.flags != r->held_flags)
		return false;
	memcpy(r->held, pkt, len);
	r->held_len = len;
	return false;
}

void sc_hold_copy(struct scenario_run *r, int col, uint8_t flags)
{
	r->held_len = 0;
	r->held_col = col;
	r->held_flags = flags;
	synack_sim_set_filter(r->sim, r->node[col], r->node[1 - col], hold_filter, r);
}

bool sc_deliver_held(struct scenario_run *r)
{
	if (!sc_expect(r, r->held_len > 0, "the network held no copy to deliver"))
		return false;
	synack_sim_set_filter(r->sim, r->node[r->held_col], r->node[1 - r->held_col], NULL, NULL);
	synack_sim_inject(r->sim, r->node[r->held_col], r->held, r->held_len);
	return true;
}

const struct scenario_rx *sc_last_rx(const struct scenario_run *r, int col, uint8_t flags)
{
	for (size_t i = r->n_rx[col]; i-- > 0;)
		if ((r->rx[col][i].flags & flags) == flags)
			return &r->rx[col][i];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Socket calls. */

int sc_listen(struct scenario_run *r, int col, uint16_t port)
{
	struct synack_stack *st = r->stack[col];
	int s = synack_socket(st);
	sc_expect(r, s >= 0, "socket() failed: %d", s);
	int rc = synack_bind(st, s, 0, port);
	sc_expect(r, rc == 0, "bind(%u) failed: %d", (unsigned)port, rc);
	rc = synack_listen(st, s, 16);
	sc_expect(r, rc == 0, "listen() failed: %d", rc);
	return s;
}

int sc_connect(struct scenario_run *r, int col, uint16_t bind_port, uint16_t port)
{
	struct synack_stack *st = r->stack[col];
	int s = synack_socket(st);
	sc_expect(r, s >= 0, "socket() failed: %d", s);
	if (bind_port) {
		int rc = synack_bind(st, s, 0, bind_port);
		sc_expect(r, rc == 0, "bind(%u) failed: %d", (unsigned)bind_port, rc);
	}
	uint32_t dst = synack_sim_addr(r->sim, r->node[1 - col]);
	int rc = synack_connect(st, s, dst, port, sc_now(r));
	sc_expect(r, rc == -EINPROGRESS, "connect() returned %d", rc);
	return s;
}

bool sc_open(struct scenario_run *r, struct sc_conn *k, const char *what)
{
	sc_note(r, "client: connect(192.0.2.2:80)%s", what ? what : "");
	k->c = sc_connect(r, COL_C, 0, 80);
	sc_run_to(r, sc_now(r) + SYNACK_MS(100));
	k->a = synack_accept(r->stack[COL_S], k->l, NULL, NULL);
	return sc_expect(r, k->a >= 0, "the connection did not open");
}

synack_time_t sc_state_change_time(const struct scenario_run *r, int col, enum synack_tcp_state from,
                                   enum synack_tcp_state to)
{
	for (size_t i = 0; i < synack_ladder_state_count(r->lad); i++) {
		const struct synack_ladder_state *s = synack_ladder_state_get(r->lad, i);
		if (s->col == col && s->old_state == from && s->new_state == to)
			return s->time;
	}
	return SYNACK_TIME_NEVER;
}

struct count_ctx {
	enum synack_tcp_state s;
	int n;
};

static void count_visit(void *ctx, int sock, const struct synack_sockinfo *info)
{
	(void)sock;
	struct count_ctx *c = ctx;
	c->n += info->state == (int)c->s;
}

int sc_count_state(const struct scenario_run *r, int col, enum synack_tcp_state s)
{
	struct count_ctx c = {s, 0};
	if (r->stack[col])
		synack_sock_foreach(r->stack[col], count_visit, &c);
	return c.n;
}

static void conn_visit(void *ctx, int sock, const struct synack_sockinfo *info)
{
	(void)sock, (void)info;
	(*(int *)ctx)++;
}

int sc_count_conns(const struct scenario_run *r, int col)
{
	int n = 0;
	if (r->stack[col])
		synack_sock_foreach(r->stack[col], conn_visit, &n);
	return n;
}

struct ss_ctx {
	char *buf;
	size_t cap, used;
};

static void ss_visit(void *ctx, int sock, const struct synack_sockinfo *i)
{
	(void)sock;
	char local[24], peer[24], la[16], ra[16];
	snprintf(local, sizeof local, "%s:%u", synack_ip_format(i->laddr, la), (unsigned)i->lport);
	if (i->state == SYNACK_LISTEN)
		snprintf(peer, sizeof peer, "0.0.0.0:*");
	else
		snprintf(peer, sizeof peer, "%s:%u", synack_ip_format(i->raddr, ra), (unsigned)i->rport);
	struct ss_ctx *c = ctx;
	sc_append(c->buf, c->cap, &c->used, "\n%-11s %6" PRIu32 " %6" PRIu32 " %-16s %s",
	          synack_state_name((enum synack_tcp_state)i->state), i->recv_q, i->send_q, local, peer);
}

void sc_ss(const struct scenario_run *r, int col, char *buf, size_t cap)
{
	struct ss_ctx c = {buf, cap, 0};
	if (!cap)
		return;
	buf[0] = '\0';
	sc_append(buf, cap, &c.used, "%-11s %6s %6s %-16s %s", "State", "Recv-Q", "Send-Q", "Local", "Peer");
	if (r->stack[col])
		synack_sock_foreach(r->stack[col], ss_visit, &c);
}

/* ------------------------------------------------------------------ */
/* Facts and the recorded run. */

void scenario_fact(struct scenario_run *r, const char *name, int64_t value)
{
	for (size_t i = 0; i < r->n_facts; i++)
		if (!strcmp(r->facts[i].name, name)) {
			r->facts[i].value = value;
			return;
		}
	if (!sc_expect(r, r->n_facts < SCENARIO_MAX_FACTS, "too many facts"))
		return;
	struct scenario_fact *f = &r->facts[r->n_facts++];
	snprintf(f->name, sizeof f->name, "%s", name);
	f->value = value;
}

bool scenario_has_fact(const struct scenario_run *r, const char *name)
{
	for (size_t i = 0; i < r->n_facts; i++)
		if (!strcmp(r->facts[i].name, name))
			return true;
	return false;
}

int64_t scenario_fact_or(const struct scenario_run *r, const char *name, int64_t def)
{
	for (size_t i = 0; i < r->n_facts; i++)
		if (!strcmp(r->facts[i].name, name))
			return r->facts[i].value;
	return def;
}

size_t scenario_seg_count(const struct scenario_run *r)
{
	size_t k = 0;
	for (size_t j = 0; j < synack_ladder_count(r->lad); j++)
		k += synack_ladder_get(r->lad, j)->is_tcp;
	return k;
}

const struct synack_ladder_seg *scenario_seg(const struct scenario_run *r, size_t i)
{
	size_t k = 0;
	for (size_t j = 0; j < synack_ladder_count(r->lad); j++) {
		const struct synack_ladder_seg *s = synack_ladder_get(r->lad, j);
		if (s->is_tcp && k++ == i)
			return s;
	}
	return NULL;
}

size_t scenario_count_segs(const struct scenario_run *r, int col, uint8_t flags)
{
	size_t k = 0;
	for (size_t j = 0; j < synack_ladder_count(r->lad); j++) {
		const struct synack_ladder_seg *s = synack_ladder_get(r->lad, j);
		k += s->is_tcp && s->from_col == col && s->flags == flags;
	}
	return k;
}

const struct synack_ladder_seg *scenario_nth_seg(const struct scenario_run *r, int col, uint8_t flags, size_t i)
{
	size_t k = 0;
	for (size_t j = 0; j < synack_ladder_count(r->lad); j++) {
		const struct synack_ladder_seg *s = synack_ladder_get(r->lad, j);
		if (s->is_tcp && s->from_col == col && s->flags == flags && k++ == i)
			return s;
	}
	return NULL;
}

const struct synack_ladder_seg *scenario_seg_from(const struct scenario_run *r, int col, uint8_t flags, synack_time_t t)
{
	for (size_t j = 0; j < synack_ladder_count(r->lad); j++) {
		const struct synack_ladder_seg *s = synack_ladder_get(r->lad, j);
		if (s->is_tcp && s->from_col == col && s->flags == flags && s->time >= t)
			return s;
	}
	return NULL;
}

const char *scenario_states(const struct scenario_run *r, int col, char *buf, size_t cap)
{
	return synack_ladder_states_text(r->lad, col, buf, cap);
}

synack_time_t scenario_state_time(const struct scenario_run *r, int col, enum synack_tcp_state st, unsigned n)
{
	for (size_t i = 0; i < synack_ladder_state_count(r->lad); i++) {
		const struct synack_ladder_state *s = synack_ladder_state_get(r->lad, i);
		if (s->col == col && s->new_state == st && n-- == 0)
			return s->time;
	}
	return SYNACK_TIME_NEVER;
}

/* ------------------------------------------------------------------ */
/* Playing and printing. */

int scenario_play(const struct scenario *s, const struct scenario_params *p, struct scenario_run *r)
{
	if (!r)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->node[0] = r->node[1] = -1;
	if (!s || !s->play)
		return -EINVAL;
	r->scn = s;
	if (p)
		r->params = *p;
	if (r->params.seed == 0)
		r->params.seed = 1;
	if (!(r->params.loss >= 0 && r->params.loss <= 0.9))
		return -EINVAL;
	s->play(r);
	for (int c = 0; c < 2; c++)
		if (r->stack[c])
			r->counters[c] = *synack_get_counters(r->stack[c]);
	if (!r->error[0] && r->lad && synack_ladder_unrecorded(r->lad))
		snprintf(r->error, sizeof r->error, SC_OOM);
	if (!r->error[0])
		return 0;
	return strcmp(r->error, SC_OOM) ? -EPROTO : -ENOMEM;
}

void scenario_run_free(struct scenario_run *r)
{
	if (!r)
		return;
	synack_ladder_free(r->lad);
	synack_sim_free(r->sim);
	r->lad = NULL;
	r->sim = NULL;
	r->stack[0] = r->stack[1] = NULL;
}

void scenario_heading(const struct scenario_run *r, char *buf, size_t cap)
{
	const struct scenario *s = r->scn;
	snprintf(buf, cap, "synack sim %s (%s)\n%s", s->name, s->ids, r->title ? r->title : s->question);
}

static struct synack_ladder_opts print_opts(const struct scenario_run *r, bool absolute, char *title)
{
	scenario_heading(r, title, 512);
	return (struct synack_ladder_opts){
	    .title = title, .absolute = absolute || r->absolute, .ports = r->ports,
	    .caption = r->answer[0] ? r->answer : NULL,
	};
}

int scenario_print_text(const struct scenario_run *r, FILE *out, bool absolute)
{
	if (!r || !r->lad)
		return -EINVAL;
	char title[512];
	struct synack_ladder_opts o = print_opts(r, absolute, title);
	return synack_ladder_render_text(r->lad, out, &o);
}

int scenario_print_svg(const struct scenario_run *r, FILE *out, bool absolute)
{
	if (!r || !r->lad)
		return -EINVAL;
	char title[512];
	struct synack_ladder_opts o = print_opts(r, absolute, title);
	return synack_ladder_render_svg(r->lad, out, &o);
}
