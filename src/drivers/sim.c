/* Simulated network: nodes (stacks or raw hosts) joined by links with a
 * seeded fault model per direction, on a virtual clock.
 *
 * Determinism is the point.  Every choice comes from a seeded xoshiro256**
 * stream (one per link direction, derived from the sim's seed and the order
 * links were made), the event queue is ordered by (time, insertion number)
 * so ties break the same way every run, and the clock only moves to the
 * next thing that happens.  The same seed and the same calls replay a run
 * bit for bit.
 *
 * Outside the core: stacks are driven only through the public API.
 */
#include "synack/sim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "synack/pcap.h"

/* ------------------------------------------------------------------ */
/* PRNG: splitmix64 to seed, xoshiro256** to draw (Blackman & Vigna). */

struct sim_rng {
	uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static void rng_seed(struct sim_rng *r, uint64_t seed)
{
	uint64_t x = seed;
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct sim_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* A uniform double in [0, 1): p == 0 never fires, p == 1 always does. */
static double unit(uint64_t r)
{
	return (double)(r >> 11) * 0x1.0p-53;
}

/* Uniform in [0, n]; the modulo bias is below 2^-40 for any sane n. */
static uint64_t upto(uint64_t r, uint64_t n)
{
	return n == UINT64_MAX ? r : r % (n + 1);
}

static synack_time_t sat_add(synack_time_t a, synack_time_t b)
{
	return a > SYNACK_TIME_NEVER - b ? SYNACK_TIME_NEVER : a + b;
}

/* ------------------------------------------------------------------ */
/* Data structures. */

struct sim_dir { /* one direction of a link */
	int from, to;
	struct synack_link_model model;
	synack_sim_filter_fn filter;
	void *filter_ctx;
	struct sim_rng rng;
	/* FIFO serialization: the link is busy until busy_until plus
	 * busy_rem / bandwidth_bps microseconds. */
	synack_time_t busy_until;
	uint64_t busy_rem;
	struct synack_sim_link_stats stats;
};

struct sim_link {
	struct sim_dir dir[2]; /* a->b, b->a */
};

struct sim_node {
	struct synack_sim *sim;
	int index;
	uint32_t addr;
	struct synack_stack *stack; /* NULL for a raw host */
	synack_sim_rx_fn rx;
	void *rx_ctx;
	struct sim_dir **out;       /* directions leaving this node, in link order */
	size_t n_out, cap_out;
	struct synack_pcap **pcaps;
	size_t n_pcaps, cap_pcaps;
	/* Stall guard (see node_deadline). */
	bool polled;
	synack_time_t polled_at;
	uint64_t poll_epoch;
	uint32_t stalled_polls;
};

enum sim_ev_kind { EV_DELIVER, EV_CALL };

struct sim_ev {
	synack_time_t t;
	uint64_t seq; /* insertion order: breaks ties in t deterministically */
	enum sim_ev_kind kind;
	union {
		struct {
			struct sim_dir *dir;
			uint8_t *pkt;
			size_t len;
		} d;
		struct {
			synack_sim_call_fn fn;
			void *ctx;
		} c;
	} u;
};

struct synack_sim {
	uint64_t seed;
	synack_time_t now;
	uint64_t next_seq;
	/* Bumped whenever something other than a stack's own synack_poll may
	 * have changed some stack's timers. */
	uint64_t epoch;
	bool closing;
	struct synack_sim_hooks hooks;
	struct sim_node **nodes;
	size_t n_nodes, cap_nodes;
	struct sim_link **links;
	size_t n_links, cap_links;
	struct sim_ev *heap; /* binary min-heap on (t, seq) */
	size_t n_heap, cap_heap;
};

/* Makes room for n elements; returns the (maybe moved) array or NULL, in
 * which case the old array is untouched. */
static void *grow(void *arr, size_t *cap, size_t n, size_t elem)
{
	if (n <= *cap)
		return arr;
	size_t c = *cap ? *cap * 2 : 8;
	while (c < n)
		c *= 2;
	void *p = realloc(arr, c * elem);
	if (p)
		*cap = c;
	return p;
}

static struct sim_node *node_at(const struct synack_sim *sim, int i)
{
	if (!sim || i < 0 || (size_t)i >= sim->n_nodes)
		return NULL;
	return sim->nodes[i];
}

static struct sim_dir *dir_find(const struct synack_sim *sim, int from, int to)
{
	struct sim_node *n = node_at(sim, from);
	if (!n)
		return NULL;
	for (size_t i = 0; i < n->n_out; i++)
		if (n->out[i]->to == to)
			return n->out[i];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Event heap. */

static bool ev_before(const struct sim_ev *a, const struct sim_ev *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static int heap_push(struct synack_sim *sim, struct sim_ev *ev)
{
	struct sim_ev *h = grow(sim->heap, &sim->cap_heap, sim->n_heap + 1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	sim->heap = h;
	ev->seq = sim->next_seq++;
	size_t i = sim->n_heap++;
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!ev_before(ev, &h[parent]))
			break;
		h[i] = h[parent];
		i = parent;
	}
	h[i] = *ev;
	return 0;
}

static struct sim_ev heap_pop(struct synack_sim *sim)
{
	struct sim_ev *h = sim->heap;
	struct sim_ev top = h[0];
	struct sim_ev last = h[--sim->n_heap];
	size_t n = sim->n_heap, i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && ev_before(&h[c + 1], &h[c]))
			c++;
		if (!ev_before(&h[c], &last))
			break;
		h[i] = h[c];
		i = c;
	}
	if (n > 0)
		h[i] = last;
	return top;
}

/* ------------------------------------------------------------------ */
/* Links: the fault model. */

static void emit(struct synack_sim *sim, enum synack_sim_event_kind kind, int from, int to,
                 const uint8_t *pkt, size_t len)
{
	if (!sim->hooks.link_event)
		return;
	struct synack_sim_event ev = {
		.kind = kind, .now = sim->now, .from = from, .to = to, .pkt = pkt, .len = len,
	};
	sim->epoch++; /* the user's hook may drive any stack */
	sim->hooks.link_event(sim->hooks.ctx, &ev);
}

/* Every random number one packet may need, drawn in a fixed order whether
 * or not it is used, so the stream's position depends only on how many
 * packets took this direction: a drop filter or a changed probability does
 * not reshuffle the fate of every later packet. */
struct fate {
	bool lose, corrupt, dup;
	size_t bit;                /* the bit to flip */
	synack_time_t extra[2];    /* jitter + reorder hold, original and copy */
};

static void draw_fate(struct sim_dir *d, size_t len, struct fate *f)
{
	const struct synack_link_model *m = &d->model;
	uint64_t r[8];
	for (int i = 0; i < 8; i++)
		r[i] = rng_next(&d->rng);
	f->lose = unit(r[0]) < m->loss;
	f->corrupt = len > 0 && unit(r[1]) < m->corrupt;
	f->bit = len > 0 ? (size_t)(r[2] % ((uint64_t)len * 8u)) : 0;
	f->dup = unit(r[3]) < m->duplicate;
	for (int c = 0; c < 2; c++) {
		synack_time_t x = m->jitter_us ? upto(r[4 + 2 * c], m->jitter_us) : 0;
		if (unit(r[5 + 2 * c]) < m->reorder)
			x = sat_add(x, m->reorder_delay_us);
		f->extra[c] = x;
	}
}

/* FIFO serialization at bandwidth_bps: returns when the packet's last bit
 * has left.  Keeps the sub-microsecond remainder so small packets on a
 * fast link cost what they should over time, not a rounded-up microsecond. */
static synack_time_t serialize(struct sim_dir *d, synack_time_t now, size_t len)
{
	uint64_t bw = d->model.bandwidth_bps;
	if (bw == 0)
		return now;
	if (d->busy_until < now) {
		d->busy_until = now;
		d->busy_rem = 0;
	}
	uint64_t cost = (uint64_t)len * 8u * 1000000u; /* microseconds * bps */
	d->busy_rem += cost % bw;
	d->busy_until = sat_add(d->busy_until, cost / bw + d->busy_rem / bw);
	d->busy_rem %= bw;
	return sat_add(d->busy_until, d->busy_rem ? 1 : 0);
}

/* Puts one copy (owned by the sim from here) on the wire. */
static void schedule_copy(struct synack_sim *sim, struct sim_dir *d, uint8_t *pkt, size_t len,
                          synack_time_t extra)
{
	synack_time_t t = serialize(d, sim->now, len);
	t = sat_add(sat_add(t, d->model.delay_us), extra);
	struct sim_ev ev = {.t = t, .kind = EV_DELIVER, .u.d = {.dir = d, .pkt = pkt, .len = len}};
	if (heap_push(sim, &ev) != 0) {
		d->stats.lost++; /* out of memory: the network ate it */
		emit(sim, SYNACK_SIM_LOST, d->from, d->to, pkt, len);
		free(pkt);
	}
}

static uint8_t *copy_of(const uint8_t *pkt, size_t len)
{
	uint8_t *c = malloc(len ? len : 1);
	if (c && len)
		memcpy(c, pkt, len);
	return c;
}

static void drop(struct synack_sim *sim, struct sim_dir *d, const uint8_t *pkt, size_t len)
{
	d->stats.lost++;
	emit(sim, SYNACK_SIM_LOST, d->from, d->to, pkt, len);
}

/* Routing: the first link (in the order they were made) from src to a node
 * owning the destination address.  Bytes 16..19 are read directly, never
 * validated: a corrupted packet is still delivered and the receiver's
 * checks decide its fate. */
static struct sim_dir *route(const struct synack_sim *sim, const struct sim_node *src,
                             const uint8_t *pkt, size_t len)
{
	if (len < 20)
		return NULL;
	uint32_t dst = (uint32_t)pkt[16] << 24 | (uint32_t)pkt[17] << 16 | (uint32_t)pkt[18] << 8 | pkt[19];
	for (size_t i = 0; i < src->n_out; i++)
		if (sim->nodes[src->out[i]->to]->addr == dst)
			return src->out[i];
	return NULL;
}

/* A node puts a packet on the wire: filter, loss, corruption, duplication,
 * delay, in that order. */
static void sim_send(struct synack_sim *sim, struct sim_node *src, const uint8_t *pkt, size_t len)
{
	if (sim->closing)
		return;
	struct sim_dir *d = route(sim, src, pkt, len);
	if (!d) {
		emit(sim, SYNACK_SIM_NO_ROUTE, src->index, -1, pkt, len);
		return;
	}
	d->stats.sent++;
	emit(sim, SYNACK_SIM_SENT, d->from, d->to, pkt, len);
	struct fate f;
	draw_fate(d, len, &f);
	if ((d->filter && d->filter(d->filter_ctx, pkt, len, sim->now)) || f.lose) {
		drop(sim, d, pkt, len);
		return;
	}
	uint8_t *c = copy_of(pkt, len);
	if (!c) {
		drop(sim, d, pkt, len);
		return;
	}
	if (f.corrupt) {
		c[f.bit / 8] ^= (uint8_t)(1u << (f.bit % 8));
		d->stats.corrupted++;
		emit(sim, SYNACK_SIM_CORRUPTED, d->from, d->to, c, len);
	}
	uint8_t *dup = f.dup ? copy_of(c, len) : NULL;
	schedule_copy(sim, d, c, len, f.extra[0]);
	if (dup) {
		d->stats.duplicated++;
		emit(sim, SYNACK_SIM_DUPLICATED, d->from, d->to, dup, len);
		schedule_copy(sim, d, dup, len, f.extra[1]);
	}
}

static void capture_raw(struct sim_node *n, const uint8_t *pkt, size_t len, synack_time_t now)
{
	for (size_t i = 0; i < n->n_pcaps; i++)
		(void)synack_pcap_write(n->pcaps[i], now, pkt, len);
}

static void deliver(struct synack_sim *sim, struct sim_ev *ev)
{
	struct sim_dir *d = ev->u.d.dir;
	struct sim_node *n = sim->nodes[d->to];
	d->stats.delivered++;
	emit(sim, SYNACK_SIM_DELIVERED, d->from, d->to, ev->u.d.pkt, ev->u.d.len);
	if (n->stack) {
		synack_input(n->stack, ev->u.d.pkt, ev->u.d.len, sim->now);
	} else {
		capture_raw(n, ev->u.d.pkt, ev->u.d.len, sim->now);
		if (n->rx)
			n->rx(n->rx_ctx, n->index, ev->u.d.pkt, ev->u.d.len, sim->now);
	}
	free(ev->u.d.pkt);
}

/* ------------------------------------------------------------------ */
/* Nodes. */

static void stack_tx(void *ctx, const uint8_t *pkt, size_t len)
{
	struct sim_node *n = ctx;
	sim_send(n->sim, n, pkt, len);
}

static void stack_trace(void *ctx, const struct synack_trace *ev)
{
	struct sim_node *n = ctx;
	struct synack_sim *sim = n->sim;
	for (size_t i = 0; i < n->n_pcaps; i++)
		synack_pcap_trace_hook(n->pcaps[i], ev);
	if (sim->hooks.stack_trace) {
		sim->epoch++;
		sim->hooks.stack_trace(sim->hooks.ctx, n->index, ev);
	}
}

static void stack_event(void *ctx, int sock, int events)
{
	struct sim_node *n = ctx;
	struct synack_sim *sim = n->sim;
	if (sim->hooks.sock_event)
		sim->hooks.sock_event(sim->hooks.ctx, n->index, sock, events);
}

static void node_free(struct sim_node *n)
{
	if (n->stack)
		synack_stack_free(n->stack);
	free(n->out);
	free(n->pcaps);
	free(n);
}

/* Appends a node; a stack node gets its stack made here, with the sim's
 * hooks (the node's address must be stable: nodes are allocated one by one). */
static int node_add(struct synack_sim *sim, const struct synack_config *cfg, uint32_t addr,
                    synack_sim_rx_fn rx, void *ctx)
{
	if (sim->n_nodes >= (size_t)INT32_MAX)
		return -ENOSPC;
	struct sim_node **arr = grow(sim->nodes, &sim->cap_nodes, sim->n_nodes + 1, sizeof(*arr));
	if (!arr)
		return -ENOMEM;
	sim->nodes = arr;
	struct sim_node *n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->sim = sim;
	n->index = (int)sim->n_nodes;
	n->addr = addr;
	n->rx = rx;
	n->rx_ctx = ctx;
	if (cfg) {
		struct synack_hooks hooks = {.tx = stack_tx, .trace = stack_trace, .event = stack_event, .ctx = n};
		int err = -ENOMEM;
		n->stack = synack_stack_new(cfg, &hooks, &err);
		if (!n->stack) {
			free(n);
			return err < 0 ? err : -EINVAL;
		}
	}
	sim->nodes[sim->n_nodes++] = n;
	return n->index;
}

int synack_sim_add_stack(struct synack_sim *sim, const struct synack_config *cfg)
{
	if (!sim || !cfg)
		return -EINVAL;
	return node_add(sim, cfg, cfg->addr, NULL, NULL);
}

int synack_sim_add_raw(struct synack_sim *sim, uint32_t addr, synack_sim_rx_fn rx, void *ctx)
{
	if (!sim)
		return -EINVAL;
	return node_add(sim, NULL, addr, rx, ctx);
}

/* ------------------------------------------------------------------ */
/* Life cycle and configuration. */

struct synack_sim *synack_sim_new(uint64_t seed)
{
	struct synack_sim *sim = calloc(1, sizeof(*sim));
	if (sim)
		sim->seed = seed;
	return sim;
}

void synack_sim_free(struct synack_sim *sim)
{
	if (!sim)
		return;
	sim->closing = true; /* a stack that speaks while dying goes unheard */
	for (size_t i = 0; i < sim->n_nodes; i++)
		node_free(sim->nodes[i]);
	for (size_t i = 0; i < sim->n_heap; i++)
		if (sim->heap[i].kind == EV_DELIVER)
			free(sim->heap[i].u.d.pkt);
	for (size_t i = 0; i < sim->n_links; i++)
		free(sim->links[i]);
	free(sim->nodes);
	free(sim->links);
	free(sim->heap);
	free(sim);
}

void synack_sim_set_hooks(struct synack_sim *sim, const struct synack_sim_hooks *hooks)
{
	if (!sim)
		return;
	if (hooks)
		sim->hooks = *hooks;
	else
		memset(&sim->hooks, 0, sizeof(sim->hooks));
}

static bool model_valid(const struct synack_link_model *m)
{
	/* Written so that NaN fails too. */
	return m->loss >= 0 && m->loss <= 1 && m->duplicate >= 0 && m->duplicate <= 1 &&
	       m->corrupt >= 0 && m->corrupt <= 1 && m->reorder >= 0 && m->reorder <= 1;
}

static void dir_init(struct synack_sim *sim, struct sim_dir *d, int from, int to,
                     const struct synack_link_model *m, uint64_t stream)
{
	static const struct synack_link_model perfect;
	d->from = from;
	d->to = to;
	d->model = m ? *m : perfect;
	/* Each direction draws from its own stream, so traffic on one link
	 * never changes the fate of packets on another. */
	rng_seed(&d->rng, sim->seed ^ (0xd1b54a32d192ed03u * (stream + 1)));
}

int synack_sim_link(struct synack_sim *sim, int a, int b, const struct synack_link_model *ab,
                    const struct synack_link_model *ba)
{
	struct sim_node *na = node_at(sim, a), *nb = node_at(sim, b);
	if (!na || !nb || a == b || (ab && !model_valid(ab)) || (ba && !model_valid(ba)))
		return -EINVAL;
	if (dir_find(sim, a, b) || dir_find(sim, b, a))
		return -EEXIST;
	/* Reserve every slot first so a failure leaves nothing half-joined. */
	struct sim_link **links = grow(sim->links, &sim->cap_links, sim->n_links + 1, sizeof(*links));
	if (!links)
		return -ENOMEM;
	sim->links = links;
	struct sim_dir **oa = grow(na->out, &na->cap_out, na->n_out + 1, sizeof(*oa));
	if (!oa)
		return -ENOMEM;
	na->out = oa;
	struct sim_dir **ob = grow(nb->out, &nb->cap_out, nb->n_out + 1, sizeof(*ob));
	if (!ob)
		return -ENOMEM;
	nb->out = ob;
	struct sim_link *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	uint64_t stream = 2u * (uint64_t)sim->n_links;
	dir_init(sim, &l->dir[0], a, b, ab, stream);
	dir_init(sim, &l->dir[1], b, a, ba, stream + 1);
	sim->links[sim->n_links++] = l;
	na->out[na->n_out++] = &l->dir[0];
	nb->out[nb->n_out++] = &l->dir[1];
	return 0;
}

int synack_sim_set_model(struct synack_sim *sim, int from, int to, const struct synack_link_model *m)
{
	static const struct synack_link_model perfect;
	if (!node_at(sim, from) || !node_at(sim, to) || (m && !model_valid(m)))
		return -EINVAL;
	struct sim_dir *d = dir_find(sim, from, to);
	if (!d)
		return -ENOENT;
	/* The random stream and the serialization queue carry on. */
	d->model = m ? *m : perfect;
	return 0;
}

int synack_sim_set_filter(struct synack_sim *sim, int from, int to, synack_sim_filter_fn fn, void *ctx)
{
	if (!node_at(sim, from) || !node_at(sim, to))
		return -EINVAL;
	struct sim_dir *d = dir_find(sim, from, to);
	if (!d)
		return -ENOENT;
	d->filter = fn;
	d->filter_ctx = ctx;
	return 0;
}

void synack_sim_inject(struct synack_sim *sim, int from, const uint8_t *pkt, size_t len)
{
	struct sim_node *n = node_at(sim, from);
	if (!n || (!pkt && len > 0))
		return;
	/* A raw host has no stack to trace its traffic: its capture is here. */
	if (!n->stack)
		capture_raw(n, pkt, len, sim->now);
	sim_send(sim, n, pkt, len);
}

int synack_sim_at(struct synack_sim *sim, synack_time_t t, synack_sim_call_fn fn, void *ctx)
{
	if (!sim || !fn)
		return -EINVAL;
	/* The clock never goes back: a time already past means "now". */
	struct sim_ev ev = {.t = t < sim->now ? sim->now : t, .kind = EV_CALL, .u.c = {.fn = fn, .ctx = ctx}};
	return heap_push(sim, &ev);
}

void synack_sim_capture(struct synack_sim *sim, int node, struct synack_pcap *p)
{
	struct sim_node *n = node_at(sim, node);
	if (!n || !p)
		return;
	for (size_t i = 0; i < n->n_pcaps; i++)
		if (n->pcaps[i] == p)
			return; /* once is enough: no doubled records */
	struct synack_pcap **arr = grow(n->pcaps, &n->cap_pcaps, n->n_pcaps + 1, sizeof(*arr));
	if (!arr)
		return; /* the API has no way to say ENOMEM; the capture is just absent */
	n->pcaps = arr;
	n->pcaps[n->n_pcaps++] = p;
}

struct synack_stack *synack_sim_stack(struct synack_sim *sim, int node)
{
	struct sim_node *n = node_at(sim, node);
	return n ? n->stack : NULL;
}

uint32_t synack_sim_addr(const struct synack_sim *sim, int node)
{
	struct sim_node *n = node_at(sim, node);
	return n ? n->addr : 0;
}

synack_time_t synack_sim_now(const struct synack_sim *sim)
{
	return sim ? sim->now : 0;
}

int synack_sim_link_stats(const struct synack_sim *sim, int from, int to, struct synack_sim_link_stats *out)
{
	if (!node_at(sim, from) || !node_at(sim, to) || !out)
		return -EINVAL;
	const struct sim_dir *d = dir_find(sim, from, to);
	if (!d)
		return -ENOENT;
	*out = d->stats;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The clock. */

/* After this many polls at one instant that leave a stack still asking for
 * a poll at or before that instant, the stack is held to the next
 * microsecond even if others keep touching it: a backstop against a stack
 * bug turning synack_sim_run into an endless loop at a frozen clock. */
#define SIM_STALL_LIMIT 1000u

/* When node's stack wants synack_poll, as the sim will honour it. */
static synack_time_t node_deadline(const struct synack_sim *sim, const struct sim_node *n)
{
	if (!n->stack)
		return SYNACK_TIME_NEVER;
	synack_time_t t = synack_next_timeout(n->stack);
	if (t == SYNACK_TIME_NEVER)
		return t;
	/* Polled at polled_at and untouched since, a correct stack has nothing
	 * due by then (poll runs every timer due at or before now).  Asking
	 * again would freeze the clock, so the request waits a microsecond. */
	if (n->polled && t <= n->polled_at &&
	    (n->poll_epoch == sim->epoch || n->stalled_polls >= SIM_STALL_LIMIT))
		t = n->polled_at + 1;
	return t < sim->now ? sim->now : t;
}

static synack_time_t next_timer(const struct synack_sim *sim)
{
	synack_time_t t = SYNACK_TIME_NEVER;
	for (size_t i = 0; i < sim->n_nodes; i++) {
		synack_time_t d = node_deadline(sim, sim->nodes[i]);
		if (d < t)
			t = d;
	}
	return t;
}

/* What happens next and when.  False when the network is idle: no events
 * queued and no stack timer armed. */
static bool sim_next(const struct synack_sim *sim, synack_time_t *t, bool *is_timer)
{
	synack_time_t timer = next_timer(sim);
	if (sim->n_heap == 0 && timer == SYNACK_TIME_NEVER)
		return false;
	/* Timers due at the same instant as an event run first: a deadline that
	 * has come is honoured before new input at that instant. */
	*is_timer = timer != SYNACK_TIME_NEVER && (sim->n_heap == 0 || timer <= sim->heap[0].t);
	*t = *is_timer ? timer : sim->heap[0].t;
	return true;
}

/* Polls every stack due at t, in node order. */
static void poll_due(struct synack_sim *sim, synack_time_t t)
{
	if (t > sim->now)
		sim->now = t;
	for (size_t i = 0; i < sim->n_nodes; i++) {
		struct sim_node *n = sim->nodes[i];
		if (node_deadline(sim, n) > sim->now)
			continue;
		bool same_instant = n->polled && n->polled_at == sim->now;
		synack_poll(n->stack, sim->now);
		synack_time_t after = synack_next_timeout(n->stack);
		n->stalled_polls = (same_instant && after <= sim->now) ? n->stalled_polls + 1 : 0;
		n->polled = true;
		n->polled_at = sim->now;
		n->poll_epoch = sim->epoch;
	}
}

static void run_event(struct synack_sim *sim)
{
	struct sim_ev ev = heap_pop(sim);
	if (ev.t > sim->now)
		sim->now = ev.t;
	sim->epoch++; /* a delivery or a user call may change any stack's timers */
	if (ev.kind == EV_DELIVER)
		deliver(sim, &ev);
	else
		ev.u.c.fn(ev.u.c.ctx, sim);
}

static void sim_do(struct synack_sim *sim, synack_time_t t, bool is_timer)
{
	if (is_timer)
		poll_due(sim, t);
	else
		run_event(sim);
}

bool synack_sim_step(struct synack_sim *sim)
{
	if (!sim)
		return false;
	sim->epoch++; /* the caller may have driven a stack since we last ran */
	synack_time_t t;
	bool is_timer;
	if (!sim_next(sim, &t, &is_timer))
		return false;
	sim_do(sim, t, is_timer);
	return true;
}

void synack_sim_run_until(struct synack_sim *sim, synack_time_t t)
{
	if (!sim)
		return;
	sim->epoch++;
	synack_time_t next;
	bool is_timer;
	while (sim_next(sim, &next, &is_timer) && next <= t)
		sim_do(sim, next, is_timer);
	if (t > sim->now && t != SYNACK_TIME_NEVER)
		sim->now = t;
}

bool synack_sim_run(struct synack_sim *sim, synack_time_t limit)
{
	if (!sim)
		return true;
	sim->epoch++;
	synack_time_t next;
	bool is_timer;
	while (sim_next(sim, &next, &is_timer)) {
		if (next > limit)
			return false;
		sim_do(sim, next, is_timer);
	}
	return true;
}
