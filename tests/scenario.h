/* A two-node scenario on the simulated network for the TCP tests: a client
 * stack (192.0.2.1, column 0) and a server stack (192.0.2.2, column 1),
 * recorded by a ladder so tests assert on the exact segments and states.
 * Header-only: each test program includes it once. */
#ifndef SYNACK_TESTS_SCENARIO_H
#define SYNACK_TESTS_SCENARIO_H

#include <stdio.h>
#include <string.h>

#include "synack/ladder.h"
#include "synack/sim.h"
#include "synack/synack.h"
#include "synack/wire.h"

#define CLIENT_ADDR 0xc0000201u
#define SERVER_ADDR 0xc0000202u
#define C 0 /* ladder column of the client */
#define S 1 /* ladder column of the server */

struct scn {
	struct synack_sim *sim;
	struct synack_ladder *lad;
	struct synack_stack *c, *s;
	int cnode, snode;
};

typedef void (*scn_config_fn)(struct synack_config *cfg, int col);

/* What a raw column received, parsed (payload pointers cleared). */
#define RAWCAP_MAX 64
struct rawcap {
	struct {
		synack_time_t t;
		struct synack_ipv4 ip;
		struct synack_tcp_seg seg;
	} p[RAWCAP_MAX];
	int n;
};

static inline void scn_rawcap_rx(void *ctx, int node, const uint8_t *pkt, size_t len, synack_time_t now)
{
	(void)node;
	struct rawcap *r = ctx;
	struct synack_ipv4 ip;
	struct synack_tcp_seg seg;
	if (r->n >= RAWCAP_MAX || synack_tcp_packet_parse(pkt, len, &ip, &seg) != SYNACK_WIRE_OK)
		return;
	ip.payload = NULL;
	seg.payload = NULL;
	r->p[r->n].t = now;
	r->p[r->n].ip = ip;
	r->p[r->n].seg = seg;
	r->n++;
}

/* Two columns on one link; column raw_col (C or S, or -1 for none) is a raw
 * host whose received segments land in cap, the other a stack. */
static inline void scn_init_ex(struct scn *x, uint64_t seed, const struct synack_link_model *c2s,
                               const struct synack_link_model *s2c, scn_config_fn tweak, int raw_col,
                               struct rawcap *cap)
{
	memset(x, 0, sizeof(*x));
	if (cap)
		memset(cap, 0, sizeof(*cap));
	x->sim = synack_sim_new(seed);
	x->lad = synack_ladder_new();
	for (int col = 0; col < 2; col++) {
		uint32_t addr = col == C ? CLIENT_ADDR : SERVER_ADDR;
		int node;
		if (col == raw_col) {
			node = synack_sim_add_raw(x->sim, addr, scn_rawcap_rx, cap);
		} else {
			struct synack_config cfg;
			synack_config_default(&cfg);
			cfg.addr = addr;
			cfg.seed = seed * 2 + (uint64_t)col;
			cfg.max_sockets = 64;
			cfg.rmem = cfg.wmem = 65536;
			if (tweak)
				tweak(&cfg, col);
			node = synack_sim_add_stack(x->sim, &cfg);
		}
		if (col == C)
			x->cnode = node;
		else
			x->snode = node;
	}
	x->c = synack_sim_stack(x->sim, x->cnode);
	x->s = synack_sim_stack(x->sim, x->snode);
	synack_ladder_set_columns(x->lad, x->cnode, raw_col == C ? "raw client" : "client", x->snode,
	                          raw_col == S ? "raw server" : "server");
	struct synack_sim_hooks hooks;
	synack_ladder_sim_hooks(x->lad, &hooks);
	synack_sim_set_hooks(x->sim, &hooks);
	synack_sim_link(x->sim, x->cnode, x->snode, c2s, s2c);
}

static inline void scn_init(struct scn *x, uint64_t seed, const struct synack_link_model *c2s,
                            const struct synack_link_model *s2c, scn_config_fn tweak)
{
	scn_init_ex(x, seed, c2s, s2c, tweak, -1, NULL);
}

/* Sends a crafted segment from node (any source address: spoofing is the
 * point) with options o; NULL means MSS 1460 on a SYN and none otherwise.
 * Returns the packet's length (0 if it could not be built). */
static inline size_t scn_inject_opts(struct synack_sim *sim, int node, uint32_t src, uint32_t dst, uint16_t sport,
                                     uint16_t dport, uint8_t flags, uint32_t seq, uint32_t ack,
                                     const struct synack_tcp_opts *o, const void *data, uint32_t len)
{
	struct synack_tcp_seg s;
	memset(&s, 0, sizeof(s));
	s.sport = sport;
	s.dport = dport;
	s.seq = seq;
	s.ack = ack;
	s.flags = flags;
	s.window = 65535;
	s.payload = data;
	s.payload_len = len;
	if (o) {
		s.opt = *o;
	} else if (flags & SYNACK_TCP_SYN) {
		s.opt.present = SYNACK_OPT_MSS;
		s.opt.mss = 1460;
	}
	uint8_t buf[2048];
	struct synack_ipv4 ip = {.src = src, .dst = dst, .ttl = 64, .df = true};
	size_t n = synack_tcp_build(buf, sizeof(buf), &ip, &s);
	if (n > 0)
		synack_sim_inject(sim, node, buf, n);
	return n;
}

static inline void scn_inject(struct synack_sim *sim, int node, uint32_t src, uint32_t dst, uint16_t sport,
                              uint16_t dport, uint8_t flags, uint32_t seq, uint32_t ack, const void *data,
                              uint32_t len)
{
	scn_inject_opts(sim, node, src, dst, sport, dport, flags, seq, ack, NULL, data, len);
}

static inline void scn_free(struct scn *x)
{
	synack_ladder_free(x->lad);
	synack_sim_free(x->sim);
}

static inline synack_time_t scn_now(const struct scn *x)
{
	return synack_sim_now(x->sim);
}

static inline void scn_run_for(struct scn *x, synack_time_t dt)
{
	synack_sim_run_until(x->sim, synack_sim_now(x->sim) + dt);
}

/* The i-th TCP segment of the run (skipping anything else). */
static inline const struct synack_ladder_seg *scn_seg(const struct scn *x, size_t i)
{
	size_t k = 0;
	for (size_t j = 0; j < synack_ladder_count(x->lad); j++) {
		const struct synack_ladder_seg *s = synack_ladder_get(x->lad, j);
		if (!s->is_tcp)
			continue;
		if (k++ == i)
			return s;
	}
	return NULL;
}

static inline size_t scn_seg_count(const struct scn *x)
{
	size_t k = 0;
	for (size_t j = 0; j < synack_ladder_count(x->lad); j++)
		k += synack_ladder_get(x->lad, j)->is_tcp;
	return k;
}

/* "OLD>NEW OLD>NEW ..." for one column, in order. */
static inline const char *scn_states(const struct scn *x, int col, char *buf, size_t cap)
{
	return synack_ladder_states_text(x->lad, col, buf, cap);
}

/* Prints the ladder (visible with ctest --output-on-failure). */
static inline void scn_print(const struct scn *x, const char *title)
{
	struct synack_ladder_opts o = {.title = title};
	synack_ladder_render_text(x->lad, stdout, &o);
}

#define assert_seg(x, i, col, fl, rseq, rack, plen)                                                        \
	do {                                                                                                   \
		const struct synack_ladder_seg *s_ = scn_seg((x), (i));                                            \
		if (!s_)                                                                                           \
			scn_print((x), "segment missing");                                                          \
		assert_non_null(s_);                                                                               \
		if (s_->from_col != (col) || s_->flags != (fl) || s_->rel_seq != (uint32_t)(rseq) ||              \
		    ((fl)&SYNACK_TCP_ACK && s_->rel_ack != (uint32_t)(rack)) || s_->payload_len != (plen)) {       \
			scn_print((x), "unexpected segment");                                                       \
			fprintf(stdout, "segment %d: col %d flags 0x%02x seq %u ack %u len %u\n", (int)(i),            \
			        s_->from_col, s_->flags, s_->rel_seq, s_->rel_ack, s_->payload_len);                 \
		}                                                                                                  \
		assert_int_equal(s_->from_col, (col));                                                             \
		assert_int_equal(s_->flags, (fl));                                                                 \
		assert_int_equal(s_->rel_seq, (uint32_t)(rseq));                                                   \
		if ((fl)&SYNACK_TCP_ACK)                                                                           \
			assert_int_equal(s_->rel_ack, (uint32_t)(rack));                                               \
		assert_int_equal(s_->payload_len, (plen));                                                         \
	} while (0)

/* The state of a socket, or -1 if the handle is gone. */
static inline int scn_state_of(struct synack_stack *st, int sock)
{
	struct synack_sockinfo i;
	if (synack_sockinfo(st, sock, &i) != 0)
		return -1;
	return i.state;
}

static inline void scn_count_visit(void *ctx, int sock, const struct synack_sockinfo *info)
{
	(void)sock, (void)info;
	(*(int *)ctx)++;
}

/* How many connections (and listeners) a stack still holds, handle or not. */
static inline int scn_conns_held(struct synack_stack *st)
{
	int n = 0;
	synack_sock_foreach(st, scn_count_visit, &n);
	return n;
}

static inline void scn_tw_visit(void *ctx, int sock, const struct synack_sockinfo *info)
{
	if (sock < 0 && info->state == SYNACK_TIME_WAIT)
		(*(int *)ctx)++;
}

/* How many TIME_WAIT entries a stack holds (they have no handle). */
static inline int scn_tw_held(struct synack_stack *st)
{
	int n = 0;
	synack_sock_foreach(st, scn_tw_visit, &n);
	return n;
}

#define F_SYN SYNACK_TCP_SYN
#define F_SA (SYNACK_TCP_SYN | SYNACK_TCP_ACK)
#define F_A SYNACK_TCP_ACK
#define F_PA (SYNACK_TCP_PSH | SYNACK_TCP_ACK)
#define F_FA (SYNACK_TCP_FIN | SYNACK_TCP_ACK)
#define F_FPA (SYNACK_TCP_FIN | SYNACK_TCP_PSH | SYNACK_TCP_ACK)
#define F_R SYNACK_TCP_RST
#define F_RA (SYNACK_TCP_RST | SYNACK_TCP_ACK)

#endif
