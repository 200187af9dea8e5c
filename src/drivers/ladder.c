/* Ladder diagrams: a compact record of what two nodes said to each other,
 * and a text rendering of it in the textbooks' form (RFC 9293 3.5 figures,
 * Stevens' TCP/IP Illustrated): one arrow per segment, each side's states
 * beside its lifeline, time running down the page.
 *
 * Recording keeps parsed header fields, never packet bytes.  What the link
 * did to a packet is matched to its record as the sim reports it: the sim
 * emits SENT, then at the same instant LOST, or CORRUPTED and DUPLICATED,
 * for that packet, and DELIVERED later for each surviving copy.  DELIVERED
 * is matched by a hash of the bytes (after corruption, which every copy
 * carries) to the oldest record still in flight.
 *
 * Outside the core: uses only the public API.
 */
#include "synack/ladder.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "synack/wire.h"
#include "wrap.h"

#define LABEL_MAX 32        /* bytes kept of a column label, NUL included */
#define INFLIGHT_MAX 8192u  /* records awaiting DELIVERED; the oldest go first */

/* ------------------------------------------------------------------ */
/* The model. */

struct seg_rec {
	struct synack_ladder_seg pub;
	uint32_t hash;       /* of the bytes the receiver will get (after corruption) */
	uint8_t delivered;   /* copies seen delivered */
};

struct note_rec {
	struct synack_ladder_note pub;
	char *text;          /* owned; pub.text points here */
};

/* One 4-tuple between the columns, with each side's ISN.  Index 0 is the
 * side of column 0. */
struct conn {
	uint32_t addr[2];
	uint16_t port[2];
	uint32_t isn[2];
	bool known[2];
	bool ended;          /* FIN or RST seen: a SYN with a new seq starts over */
	uint32_t incarnations;
};

/* The record of the last packet a column sent, while the sim may still
 * report its fate (same instant). */
struct pending {
	bool valid;
	synack_time_t time;
	size_t idx;
};

struct synack_ladder {
	int node[2];
	char label[2][LABEL_MAX];
	uint32_t next_order;
	size_t unrecorded;
	struct seg_rec *segs;
	size_t n_segs, cap_segs;
	struct synack_ladder_state *states;
	size_t n_states, cap_states;
	struct note_rec *notes;
	size_t n_notes, cap_notes;
	struct conn *conns;
	size_t n_conns, cap_conns;
	uint32_t *slots;     /* open addressing over conns: 0 empty, else index + 1 */
	size_t n_slots;      /* a power of two, or 0 */
	uint32_t *inflight;  /* seg indices awaiting DELIVERED, oldest first */
	size_t n_inflight, cap_inflight;
	struct pending pending[2];
};

/* Makes room for n elements; returns the (maybe moved) array or NULL, in
 * which case the old array is untouched. */
static void *grow(void *arr, size_t *cap, size_t n, size_t elem)
{
	if (n <= *cap)
		return arr;
	size_t c = *cap ? *cap * 2 : 16;
	while (c < n)
		c *= 2;
	void *p = realloc(arr, c * elem);
	if (p)
		*cap = c;
	return p;
}

/* FNV-1a: enough to tell apart the few packets in flight at once. */
static uint32_t bytes_hash(const uint8_t *p, size_t len)
{
	uint32_t h = 2166136261u;
	if (!p)
		len = 0;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h ^ (uint32_t)len;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

/* ------------------------------------------------------------------ */
/* Life cycle and columns. */

struct synack_ladder *synack_ladder_new(void)
{
	struct synack_ladder *l = calloc(1, sizeof(*l));
	if (l)
		synack_ladder_set_columns(l, 0, NULL, 1, NULL);
	return l;
}

void synack_ladder_free(struct synack_ladder *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n_notes; i++)
		free(l->notes[i].text);
	free(l->segs);
	free(l->states);
	free(l->notes);
	free(l->conns);
	free(l->slots);
	free(l->inflight);
	free(l);
}

void synack_ladder_set_columns(struct synack_ladder *l, int node_a, const char *label_a, int node_b,
                               const char *label_b)
{
	if (!l || node_a == node_b)
		return;
	const char *labels[2] = {label_a, label_b};
	l->node[0] = node_a;
	l->node[1] = node_b;
	for (int c = 0; c < 2; c++) {
		if (labels[c])
			snprintf(l->label[c], LABEL_MAX, "%.*s", LABEL_MAX - 1, labels[c]);
		else
			snprintf(l->label[c], LABEL_MAX, "node %d", l->node[c]);
	}
}

void synack_ladder_sim_hooks(struct synack_ladder *l, struct synack_sim_hooks *hooks)
{
	if (!hooks)
		return;
	memset(hooks, 0, sizeof(*hooks));
	hooks->link_event = synack_ladder_link_event;
	hooks->stack_trace = synack_ladder_stack_trace;
	hooks->ctx = l;
}

static int col_of(const struct synack_ladder *l, int node)
{
	if (node == l->node[0])
		return 0;
	if (node == l->node[1])
		return 1;
	return -1;
}

/* ------------------------------------------------------------------ */
/* Connections and their ISNs. */

static uint32_t conn_hash(const uint32_t addr[2], const uint16_t port[2])
{
	uint64_t h = ((uint64_t)addr[0] << 32 | addr[1]) * 0x9e3779b97f4a7c15u;
	h ^= ((uint64_t)port[0] << 16 | port[1]) * 0xc2b2ae3d27d4eb4fu;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9u;
	return (uint32_t)(h >> 32);
}

static size_t slot_find(const struct synack_ladder *l, const uint32_t addr[2], const uint16_t port[2])
{
	size_t mask = l->n_slots - 1;
	size_t i = conn_hash(addr, port) & mask;
	while (l->slots[i]) {
		const struct conn *c = &l->conns[l->slots[i] - 1];
		if (c->addr[0] == addr[0] && c->addr[1] == addr[1] && c->port[0] == port[0] &&
		    c->port[1] == port[1])
			return i;
		i = (i + 1) & mask;
	}
	return i;
}

/* Doubles the slot table (kept at most half full) and re-inserts. */
static int slots_grow(struct synack_ladder *l)
{
	size_t n = l->n_slots ? l->n_slots * 2 : 64;
	uint32_t *s = calloc(n, sizeof(*s));
	if (!s)
		return -ENOMEM;
	free(l->slots);
	l->slots = s;
	l->n_slots = n;
	for (size_t k = 0; k < l->n_conns; k++) {
		size_t i = slot_find(l, l->conns[k].addr, l->conns[k].port);
		l->slots[i] = (uint32_t)(k + 1);
	}
	return 0;
}

static struct conn *conn_get(struct synack_ladder *l, const uint32_t addr[2], const uint16_t port[2])
{
	if (l->n_slots) {
		size_t i = slot_find(l, addr, port);
		if (l->slots[i])
			return &l->conns[l->slots[i] - 1];
	}
	if (l->n_conns >= UINT32_MAX - 1)
		return NULL;
	if ((l->n_conns + 1) * 2 > l->n_slots && slots_grow(l) != 0)
		return NULL;
	struct conn *arr = grow(l->conns, &l->cap_conns, l->n_conns + 1, sizeof(*arr));
	if (!arr)
		return NULL;
	l->conns = arr;
	struct conn *c = &arr[l->n_conns];
	*c = (struct conn){.addr = {addr[0], addr[1]}, .port = {port[0], port[1]}};
	l->slots[slot_find(l, addr, port)] = (uint32_t)(++l->n_conns);
	return c;
}

/* Learns ISNs from SYNs (RFC 9293 3.4: the SYN carries the ISN) and makes
 * the segment's numbers relative to them. */
static void conn_relate(struct synack_ladder *l, struct synack_ladder_seg *s)
{
	int c = s->from_col;
	uint32_t addr[2];
	uint16_t port[2];
	addr[c] = s->src;
	addr[1 - c] = s->dst;
	port[c] = s->sport;
	port[1 - c] = s->dport;
	struct conn *k = conn_get(l, addr, port);
	if (!k)
		return; /* no memory: the numbers stay absolute */
	if ((s->flags & SYNACK_TCP_SYN) && (!k->known[c] || (k->ended && s->seq != k->isn[c]))) {
		bool fresh = !k->known[0] && !k->known[1];
		if (k->known[c] && !(s->flags & SYNACK_TCP_ACK)) {
			k->known[1 - c] = false; /* a new incarnation of the 4-tuple */
			fresh = true;
		}
		k->incarnations += fresh;
		k->isn[c] = s->seq;
		k->known[c] = true;
		k->ended = false;
	}
	if (s->flags & (SYNACK_TCP_FIN | SYNACK_TCP_RST))
		k->ended = true;
	s->rel_seq_known = k->known[c];
	if (k->known[c])
		s->rel_seq = s->seq - k->isn[c];
	s->rel_ack_known = (s->flags & SYNACK_TCP_ACK) && k->known[1 - c];
	if (s->rel_ack_known)
		s->rel_ack = s->ack - k->isn[1 - c];
}

/* ------------------------------------------------------------------ */
/* Recording. */

static void parse_tcp(struct synack_ladder_seg *s, const struct synack_ipv4 *ip)
{
	struct synack_tcp_seg t;
	/* We show what was sent, checksum or not: the receiver judges it. */
	if (synack_tcp_parse(ip->payload, ip->payload_len, ip->src, ip->dst, false, &t) != SYNACK_WIRE_OK) {
		s->malformed = true;
		return;
	}
	s->is_tcp = true;
	s->sport = t.sport;
	s->dport = t.dport;
	s->seq = s->rel_seq = t.seq;
	s->ack = s->rel_ack = t.ack;
	s->flags = t.flags;
	s->window = t.window;
	s->urg_ptr = t.urg_ptr;
	s->payload_len = t.payload_len;
	s->options = t.opt.present;
	s->mss = t.opt.mss;
	s->wscale = t.opt.wscale;
	s->sack_count = t.opt.sack_count;
	if (t.opt.sack_count) {
		s->sack_start = t.opt.sack[0].start;
		s->sack_end = t.opt.sack[0].end;
	}
}

static void parse_packet(struct synack_ladder_seg *s, const uint8_t *pkt, size_t len)
{
	struct synack_ipv4 ip;
	if (!pkt || synack_ipv4_parse(pkt, len, &ip) != SYNACK_WIRE_OK) {
		s->malformed = true;
		s->payload_len = (uint32_t)len;
		return;
	}
	s->src = ip.src;
	s->dst = ip.dst;
	s->proto = ip.proto;
	s->payload_len = ip.payload_len;
	if (ip.proto == SYNACK_IPPROTO_TCP) {
		parse_tcp(s, &ip);
	} else if (ip.proto == SYNACK_IPPROTO_ICMP) {
		/* Read directly: a crafted bad checksum still has a type to show. */
		if (ip.payload_len < 8) {
			s->malformed = true;
			return;
		}
		s->icmp_type = ip.payload[0];
		s->icmp_code = ip.payload[1];
		s->icmp_id = be16(ip.payload + 4);
		s->icmp_seq = be16(ip.payload + 6);
		s->payload_len = ip.payload_len - 8u;
	}
}

static void inflight_remove(struct synack_ladder *l, size_t pos)
{
	memmove(&l->inflight[pos], &l->inflight[pos + 1], (l->n_inflight - pos - 1) * sizeof(uint32_t));
	l->n_inflight--;
}

static void inflight_add(struct synack_ladder *l, size_t idx)
{
	if (l->n_inflight >= INFLIGHT_MAX)
		inflight_remove(l, 0); /* never delivered (or the sim went away): forget it */
	uint32_t *arr = grow(l->inflight, &l->cap_inflight, l->n_inflight + 1, sizeof(*arr));
	if (!arr)
		return; /* its arrival time will just be unknown */
	l->inflight = arr;
	arr[l->n_inflight++] = (uint32_t)idx;
}

static long record(struct synack_ladder *l, synack_time_t now, int col, const uint8_t *pkt, size_t len)
{
	if (l->n_segs >= UINT32_MAX - 1) {
		l->unrecorded++;
		return -ENOSPC;
	}
	struct seg_rec *arr = grow(l->segs, &l->cap_segs, l->n_segs + 1, sizeof(*arr));
	if (!arr) {
		l->unrecorded++;
		return -ENOMEM;
	}
	l->segs = arr;
	struct seg_rec *r = &arr[l->n_segs];
	*r = (struct seg_rec){.hash = bytes_hash(pkt, len)};
	r->pub.time = now;
	r->pub.arrive = SYNACK_TIME_NEVER;
	r->pub.order = l->next_order++;
	r->pub.from_col = (uint8_t)col;
	parse_packet(&r->pub, pkt, len);
	if (r->pub.is_tcp)
		conn_relate(l, &r->pub);
	return (long)l->n_segs++;
}

long synack_ladder_record_packet(struct synack_ladder *l, synack_time_t now, int col, const uint8_t *pkt,
                                 size_t len)
{
	if (!l || (col != 0 && col != 1) || (!pkt && len))
		return -EINVAL;
	return record(l, now, col, pkt, len);
}

static void on_sent(struct synack_ladder *l, const struct synack_sim_event *ev, int col)
{
	long idx = record(l, ev->now, col, ev->pkt, ev->len);
	if (idx < 0)
		return;
	l->pending[col] = (struct pending){.valid = true, .time = ev->now, .idx = (size_t)idx};
	inflight_add(l, (size_t)idx);
}

/* The record a same-instant fate event from col refers to, or NULL. */
static struct seg_rec *pending_rec(struct synack_ladder *l, int col, synack_time_t now)
{
	struct pending *p = &l->pending[col];
	if (!p->valid || p->time != now)
		return NULL;
	return &l->segs[p->idx];
}

static void on_lost(struct synack_ladder *l, const struct synack_sim_event *ev, int col)
{
	struct seg_rec *r = pending_rec(l, col, ev->now);
	if (!r || r->hash != bytes_hash(ev->pkt, ev->len))
		return;
	r->pub.lost = true;
	l->pending[col].valid = false;
	uint32_t idx = (uint32_t)(r - l->segs);
	for (size_t i = l->n_inflight; i-- > 0;)
		if (l->inflight[i] == idx) {
			inflight_remove(l, i);
			break;
		}
}

static void on_delivered(struct synack_ladder *l, const struct synack_sim_event *ev, int col)
{
	uint32_t h = bytes_hash(ev->pkt, ev->len);
	for (size_t i = 0; i < l->n_inflight; i++) {
		struct seg_rec *r = &l->segs[l->inflight[i]];
		if (r->pub.from_col != col || r->hash != h)
			continue;
		if (r->pub.arrive == SYNACK_TIME_NEVER)
			r->pub.arrive = ev->now;
		if (++r->delivered > r->pub.copies)
			inflight_remove(l, i);
		return;
	}
}

void synack_ladder_link_event(void *ladder, const struct synack_sim_event *ev)
{
	struct synack_ladder *l = ladder;
	if (!l || !ev)
		return;
	int from = col_of(l, ev->from), to = col_of(l, ev->to);
	if (ev->kind == SYNACK_SIM_SENT && from >= 0)
		l->pending[from].valid = false; /* whatever follows is about this packet */
	if (from < 0 || to < 0)
		return;
	struct seg_rec *r;
	switch (ev->kind) {
	case SYNACK_SIM_SENT:
		on_sent(l, ev, from);
		break;
	case SYNACK_SIM_LOST:
		on_lost(l, ev, from);
		break;
	case SYNACK_SIM_CORRUPTED:
		/* Every copy delivered from now on carries these bytes. */
		if ((r = pending_rec(l, from, ev->now)) != NULL) {
			r->pub.corrupted = true;
			r->hash = bytes_hash(ev->pkt, ev->len);
		}
		break;
	case SYNACK_SIM_DUPLICATED:
		if ((r = pending_rec(l, from, ev->now)) != NULL && r->hash == bytes_hash(ev->pkt, ev->len) &&
		    r->pub.copies < UINT8_MAX)
			r->pub.copies++;
		break;
	case SYNACK_SIM_DELIVERED:
		on_delivered(l, ev, from);
		break;
	default:
		break;
	}
}

void synack_ladder_stack_trace(void *ladder, int node, const struct synack_trace *ev)
{
	struct synack_ladder *l = ladder;
	if (!l || !ev || ev->kind != SYNACK_TRACE_STATE)
		return;
	int col = col_of(l, node);
	if (col < 0)
		return;
	struct synack_ladder_state *arr = grow(l->states, &l->cap_states, l->n_states + 1, sizeof(*arr));
	if (!arr) {
		l->unrecorded++;
		return;
	}
	l->states = arr;
	arr[l->n_states++] = (struct synack_ladder_state){
	    .time = ev->now, .order = l->next_order++, .col = col, .sock = ev->sock,
	    .old_state = ev->old_state, .new_state = ev->new_state, .lport = ev->lport, .rport = ev->rport,
	};
}

int synack_ladder_note(struct synack_ladder *l, synack_time_t t, const char *text)
{
	if (!l || !text)
		return -EINVAL;
	struct note_rec *arr = grow(l->notes, &l->cap_notes, l->n_notes + 1, sizeof(*arr));
	if (!arr)
		return -ENOMEM;
	l->notes = arr;
	size_t n = strlen(text);
	char *copy = malloc(n + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, text, n + 1);
	arr[l->n_notes++] = (struct note_rec){
	    .pub = {.time = t, .order = l->next_order++, .text = copy}, .text = copy,
	};
	return 0;
}

/* ------------------------------------------------------------------ */
/* Accessors. */

size_t synack_ladder_count(const struct synack_ladder *l)
{
	return l ? l->n_segs : 0;
}

const struct synack_ladder_seg *synack_ladder_get(const struct synack_ladder *l, size_t i)
{
	return l && i < l->n_segs ? &l->segs[i].pub : NULL;
}

size_t synack_ladder_state_count(const struct synack_ladder *l)
{
	return l ? l->n_states : 0;
}

const struct synack_ladder_state *synack_ladder_state_get(const struct synack_ladder *l, size_t i)
{
	return l && i < l->n_states ? &l->states[i] : NULL;
}

size_t synack_ladder_note_count(const struct synack_ladder *l)
{
	return l ? l->n_notes : 0;
}

const struct synack_ladder_note *synack_ladder_note_get(const struct synack_ladder *l, size_t i)
{
	return l && i < l->n_notes ? &l->notes[i].pub : NULL;
}

const char *synack_ladder_label(const struct synack_ladder *l, int col)
{
	if (!l || (col != 0 && col != 1))
		return "";
	return l->label[col];
}

size_t synack_ladder_unrecorded(const struct synack_ladder *l)
{
	return l ? l->unrecorded : 0;
}

bool synack_ladder_single_isns(const struct synack_ladder *l, uint32_t isn[2], bool known[2])
{
	if (known)
		known[0] = known[1] = false;
	if (!l || !isn || !known || l->n_conns != 1 || l->conns[0].incarnations > 1)
		return false;
	for (int c = 0; c < 2; c++) {
		known[c] = l->conns[0].known[c];
		isn[c] = l->conns[0].isn[c];
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Labels. */

struct out {
	char *buf;
	size_t cap, pos;
};

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void out_printf(struct out *o, const char *fmt, ...)
{
	if (!o->buf || o->cap == 0 || o->pos + 1 >= o->cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(o->buf + o->pos, o->cap - o->pos, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	o->pos += (size_t)n;
	if (o->pos >= o->cap)
		o->pos = o->cap - 1;
}

static void out_repeat(struct out *o, char c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out_printf(o, "%c", c);
}

/* The textbook order: the control bits that open, close or reset first,
 * then PSH and URG, then ACK ("SYN+ACK", "FIN+PSH+ACK"), then ECN. */
char *synack_ladder_flags(uint8_t flags, char *buf, size_t cap)
{
	static const struct {
		uint8_t bit;
		const char *name;
	} names[] = {
	    {SYNACK_TCP_FIN, "FIN"}, {SYNACK_TCP_SYN, "SYN"}, {SYNACK_TCP_RST, "RST"},
	    {SYNACK_TCP_PSH, "PSH"}, {SYNACK_TCP_URG, "URG"}, {SYNACK_TCP_ACK, "ACK"},
	    {SYNACK_TCP_ECE, "ECE"}, {SYNACK_TCP_CWR, "CWR"},
	};
	struct out o = {buf, cap, 0};
	if (!buf || cap == 0)
		return buf;
	buf[0] = '\0';
	const char *sep = "";
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (flags & names[i].bit) {
			out_printf(&o, "%s%s", sep, names[i].name);
			sep = "+";
		}
	if (!flags)
		out_printf(&o, "none");
	return buf;
}

/* A relative number reads best signed: an old duplicate 9 below the ISN
 * is "-9", not 4294967287. */
static void print_num(struct out *o, const char *name, uint32_t abs, uint32_t rel, bool rel_known,
                      bool absolute)
{
	if (absolute || !rel_known)
		out_printf(o, " %s=%" PRIu32, name, abs);
	else if (rel > INT32_MAX)
		out_printf(o, " %s=-%" PRIu32, name, (uint32_t)(0u - rel));
	else
		out_printf(o, " %s=%" PRIu32, name, rel);
}

static void tcp_options_text(struct out *o, const struct synack_ladder_seg *s, bool absolute)
{
	const char *sep = "<";
	if (!s->options)
		return;
	if (s->options & SYNACK_OPT_MSS) {
		out_printf(o, "%smss %u", sep, (unsigned)s->mss);
		sep = ",";
	}
	if (s->options & SYNACK_OPT_WSCALE) {
		out_printf(o, "%sws %u", sep, (unsigned)s->wscale);
		sep = ",";
	}
	if (s->options & SYNACK_OPT_SACK_PERM) {
		out_printf(o, "%ssackOK", sep);
		sep = ",";
	}
	if (s->options & SYNACK_OPT_TS) {
		out_printf(o, "%sts", sep);
		sep = ",";
	}
	if ((s->options & SYNACK_OPT_SACK) && s->sack_count) {
		/* SACK blocks live in the receiver's sequence space, as ack does. */
		uint32_t base = (!absolute && s->rel_ack_known) ? s->ack - s->rel_ack : 0;
		out_printf(o, "%ssack %" PRIu32 "-%" PRIu32, sep, s->sack_start - base, s->sack_end - base);
		if (s->sack_count > 1)
			out_printf(o, " +%u", (unsigned)s->sack_count - 1u);
	}
	out_printf(o, ">");
}

static void other_label(struct out *o, const struct synack_ladder_seg *s)
{
	if (s->malformed)
		out_printf(o, "malformed %s len %" PRIu32, s->proto == SYNACK_IPPROTO_TCP ? "TCP" : "packet",
		           s->payload_len);
	else if (s->proto == SYNACK_IPPROTO_ICMP &&
	         (s->icmp_type == SYNACK_ICMP_ECHO_REQUEST || s->icmp_type == SYNACK_ICMP_ECHO_REPLY))
		out_printf(o, "ICMP echo %s id %u seq %u",
		           s->icmp_type == SYNACK_ICMP_ECHO_REQUEST ? "request" : "reply", (unsigned)s->icmp_id,
		           (unsigned)s->icmp_seq);
	else if (s->proto == SYNACK_IPPROTO_ICMP)
		out_printf(o, "ICMP type %u code %u", (unsigned)s->icmp_type, (unsigned)s->icmp_code);
	else
		out_printf(o, "IP proto %u len %" PRIu32, (unsigned)s->proto, s->payload_len);
}

char *synack_ladder_seg_label(const struct synack_ladder_seg *s, bool absolute, bool ports, char *main,
                              size_t main_cap, char *opts, size_t opts_cap)
{
	struct out m = {main, main_cap, 0}, op = {opts, opts_cap, 0};
	if (main && main_cap)
		main[0] = '\0';
	if (opts && opts_cap)
		opts[0] = '\0';
	if (!s)
		return main;
	if (!s->is_tcp) {
		other_label(&m, s);
	} else {
		char flags[40];
		if (ports)
			out_printf(&m, "%u>%u ", (unsigned)s->sport, (unsigned)s->dport);
		out_printf(&m, "%s", synack_ladder_flags(s->flags, flags, sizeof flags));
		print_num(&m, "seq", s->seq, s->rel_seq, s->rel_seq_known, absolute);
		if (s->flags & SYNACK_TCP_ACK)
			print_num(&m, "ack", s->ack, s->rel_ack, s->rel_ack_known, absolute);
		if (s->payload_len)
			out_printf(&m, " len=%" PRIu32, s->payload_len);
		out_printf(&m, " win=%u", (unsigned)s->window);
		if (s->flags & SYNACK_TCP_URG)
			out_printf(&m, " urg=%u", (unsigned)s->urg_ptr);
		tcp_options_text(&op, s, absolute);
	}
	if (s->copies)
		out_printf(&m, " (dup)");
	if (s->corrupted)
		out_printf(&m, " (corrupted)");
	return main;
}

/* ------------------------------------------------------------------ */
/* Text rendering.
 *
 *    time   state       |<--------------- arrow --------------->|  state
 *   0.000s     SYN_SENT |----SYN seq=0 win=65535 <mss 1460>---->|
 *
 * columns: time 0-8, left state 10-20 (right-aligned), lifelines at 22 and
 * 87, right state from 89: 100 columns in all. */

#define TIME_W 9
#define FIELD_W 11
#define ARROW_W 64
#define LEFT_LIFE (TIME_W + 1 + FIELD_W + 1)
#define RIGHT_LIFE (LEFT_LIFE + 1 + ARROW_W)
#define LOST_W 7       /* "  LOST " beside a lost arrow */
#define MIN_DASHES 4   /* an arrow is never shorter than this plus its label */

enum item_kind { ITEM_SEG, ITEM_STATE, ITEM_NOTE };

struct item {
	synack_time_t t;
	uint32_t order;
	enum item_kind kind;
	size_t idx;
};

static int item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static bool in_window(synack_time_t t, const struct synack_ladder_opts *o)
{
	return t >= o->from && (o->until == 0 || t <= o->until);
}

/* Every event in the window, sorted by (time, recording order).  NULL with
 * *n > 0 means out of memory. */
static struct item *collect_items(const struct synack_ladder *l, const struct synack_ladder_opts *o, size_t *n)
{
	size_t total = l->n_segs + l->n_states + l->n_notes, k = 0;
	*n = total;
	if (total == 0)
		return NULL;
	struct item *it = malloc(total * sizeof(*it));
	if (!it)
		return NULL;
	for (size_t i = 0; i < l->n_segs; i++)
		if (in_window(l->segs[i].pub.time, o))
			it[k++] = (struct item){l->segs[i].pub.time, l->segs[i].pub.order, ITEM_SEG, i};
	for (size_t i = 0; i < l->n_states; i++)
		if (in_window(l->states[i].time, o))
			it[k++] = (struct item){l->states[i].time, l->states[i].order, ITEM_STATE, i};
	for (size_t i = 0; i < l->n_notes; i++)
		if (in_window(l->notes[i].pub.time, o))
			it[k++] = (struct item){l->notes[i].pub.time, l->notes[i].pub.order, ITEM_NOTE, i};
	qsort(it, k, sizeof(*it), item_cmp);
	*n = k;
	return it;
}

/* time, left field, lifeline, middle, lifeline, right field; no trailing
 * blanks.  t NULL leaves the time blank (a continuation line). */
static void emit_row(FILE *out, const synack_time_t *t, const char *left, const char *mid, const char *right)
{
	if (t)
		fprintf(out, "%4" PRIu64 ".%03us", *t / 1000000u, (unsigned)(*t % 1000000u / 1000u));
	else
		fprintf(out, "%*s", TIME_W, "");
	fprintf(out, " %*s |%-*s|", FIELD_W, left, ARROW_W, mid);
	if (right[0])
		fprintf(out, " %s", right);
	fputc('\n', out);
}

static void make_arrow(char *buf, size_t cap, const char *label, bool rightward, bool lost)
{
	struct out o = {buf, cap, 0};
	size_t n = strlen(label), body = lost ? ARROW_W - LOST_W : ARROW_W;
	size_t dashes = body >= n + 1 + MIN_DASHES ? body - n - 1 : MIN_DASHES;
	size_t left = dashes / 2, right = dashes - left;
	char head = lost ? 'X' : rightward ? '>' : '<';

	buf[0] = '\0';
	if (!rightward && lost)
		out_printf(&o, " LOST  ");
	if (!rightward)
		out_printf(&o, "%c", head);
	out_repeat(&o, '-', left);
	out_printf(&o, "%s", label);
	out_repeat(&o, '-', right);
	if (rightward)
		out_printf(&o, "%c", head);
	if (rightward && lost)
		out_printf(&o, "  LOST ");
}

/* text centred in the middle of a row. */
static void centre(char *buf, size_t cap, const char *text)
{
	struct out o = {buf, cap, 0};
	size_t n = strlen(text);
	buf[0] = '\0';
	out_repeat(&o, ' ', n < ARROW_W ? (ARROW_W - n) / 2 : 0);
	out_printf(&o, "%s", text);
}

/* One arrow; options that do not fit on it go on the line below. */
static void render_seg(FILE *out, const struct synack_ladder_seg *s, const struct synack_ladder_opts *o)
{
	char main[160], opts[96], label[260], arrow[400];
	synack_ladder_seg_label(s, o->absolute, o->ports, main, sizeof main, opts, sizeof opts);
	size_t body = s->lost ? ARROW_W - LOST_W : ARROW_W;
	bool one_line = !opts[0] || strlen(main) + 1 + strlen(opts) + 1 + MIN_DASHES <= body;
	struct out lb = {label, sizeof label, 0};
	out_printf(&lb, "%s", main);
	if (one_line && opts[0])
		out_printf(&lb, " %s", opts);
	make_arrow(arrow, sizeof arrow, label, s->from_col == 0, s->lost);
	emit_row(out, &s->time, "", arrow, "");
	if (!one_line) {
		centre(arrow, sizeof arrow, opts);
		emit_row(out, NULL, "", arrow, "");
	}
}

static void render_state(FILE *out, const struct synack_ladder_state *s)
{
	const char *name = synack_state_name(s->new_state);
	emit_row(out, &s->time, s->col == 0 ? name : "", "", s->col == 1 ? name : "");
}

/* A note, word-wrapped between the lifelines. */
static void render_note(FILE *out, const struct synack_ladder_note *n)
{
	const size_t width = ARROW_W - 4;
	const char *p = n->text;
	bool first = true;
	do {
		size_t take = wrap_take(p, width);
		char row[ARROW_W + 1];
		snprintf(row, sizeof row, "  %.*s", (int)take, p);
		emit_row(out, first ? &n->time : NULL, "", row, "");
		p += take;
		while (*p == ' ' || *p == '\n')
			p++;
		first = false;
	} while (*p);
}

/* The caption after a blank line, word-wrapped at CAPTION_W columns; a
 * newline in it starts a new paragraph line. */
#define CAPTION_W 78
static void render_caption(FILE *out, const char *text)
{
	fputc('\n', out);
	const char *p = text;
	while (*p) {
		size_t take = wrap_take(p, CAPTION_W);
		fprintf(out, "%.*s\n", (int)take, p);
		p += take;
		if (*p == ' ')
			while (*p == ' ')
				p++;
		else if (*p == '\n')
			p++;
	}
}

/* a centred on the left lifeline, b on the right one. */
static void header_line(FILE *out, const char *a, const char *b)
{
	char line[RIGHT_LIFE + 2 * LABEL_MAX + 8];
	size_t na = strlen(a), nb = strlen(b);
	size_t sa = LEFT_LIFE > na / 2 ? LEFT_LIFE - na / 2 : 0;
	size_t sb = RIGHT_LIFE - nb / 2;
	if (sb < sa + na + 2)
		sb = sa + na + 2;
	if (sb + nb >= sizeof line)
		return;
	memset(line, ' ', sb);
	memcpy(line + sa, a, na);
	memcpy(line + sb, b, nb);
	size_t end = sb + nb;
	while (end > 0 && line[end - 1] == ' ')
		end--;
	line[end] = '\0';
	fprintf(out, "%s\n", line);
}

static void render_header(const struct synack_ladder *l, FILE *out, const struct synack_ladder_opts *o)
{
	char addr[2][24] = {"", ""};
	bool have_addr = false;
	for (int c = 0; c < 2; c++)
		for (size_t i = 0; i < l->n_segs; i++)
			if (l->segs[i].pub.from_col == c && !l->segs[i].pub.malformed) {
				synack_ip_format(l->segs[i].pub.src, addr[c]);
				have_addr = true;
				break;
			}
	if (o->title)
		fprintf(out, "%s\n\n", o->title);
	header_line(out, l->label[0], l->label[1]);
	if (have_addr)
		header_line(out, addr[0], addr[1]);
	/* One connection: say what the relative numbers are relative to. */
	uint32_t isn[2];
	bool known[2];
	if (!o->absolute && synack_ladder_single_isns(l, isn, known)) {
		char text[2][24] = {"", ""};
		for (int c = 0; c < 2; c++)
			if (known[c])
				snprintf(text[c], sizeof text[c], "ISN %" PRIu32, isn[c]);
		if (text[0][0] || text[1][0])
			header_line(out, text[0], text[1]);
	}
	fprintf(out, "%*s|%*s|\n", LEFT_LIFE, "", ARROW_W, "");
}

int synack_ladder_render_text(const struct synack_ladder *l, FILE *out, const struct synack_ladder_opts *opts)
{
	static const struct synack_ladder_opts defaults;
	if (!l || !out)
		return -EINVAL;
	const struct synack_ladder_opts *o = opts ? opts : &defaults;
	size_t n;
	struct item *it = collect_items(l, o, &n);
	if (!it && n > 0)
		return -ENOMEM;
	render_header(l, out, o);
	for (size_t i = 0; i < n; i++) {
		if (it[i].kind == ITEM_SEG)
			render_seg(out, &l->segs[it[i].idx].pub, o);
		else if (it[i].kind == ITEM_STATE)
			render_state(out, &l->states[it[i].idx]);
		else
			render_note(out, &l->notes[it[i].idx].pub);
	}
	if (l->unrecorded)
		fprintf(out, "(%zu events not recorded: out of memory)\n", l->unrecorded);
	if (o->caption)
		render_caption(out, o->caption);
	free(it);
	return ferror(out) ? -EIO : 0;
}

const char *synack_ladder_states_text(const struct synack_ladder *l, int col, char *buf, size_t cap)
{
	if (!cap)
		return buf;
	buf[0] = '\0';
	size_t used = 0;
	for (size_t i = 0; i < synack_ladder_state_count(l); i++) {
		const struct synack_ladder_state *s = synack_ladder_state_get(l, i);
		if (s->col != col)
			continue;
		int n = snprintf(buf + used, cap - used, "%s%s>%s", used ? " " : "", synack_state_name(s->old_state),
		                 synack_state_name(s->new_state));
		if (n < 0 || (size_t)n >= cap - used) {
			buf[used] = '\0';
			break;
		}
		used += (size_t)n;
	}
	return buf;
}
