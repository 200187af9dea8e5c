/* A SYN flood on the simulated network: see include/synack/flood.h. */
#include "synack/flood.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "synack/sim.h"
#include "synack/wire.h"

#define SERVER_ADDR 0xc0000264u   /* 192.0.2.100 */
#define CLIENT_BASE 0xc0000201u   /* 192.0.2.1, .2, ... */
#define ATTACKER_ADDR 0xc6120001u /* 198.18.0.1 */
#define SPOOF_NET 0x64400000u     /* 100.64.0.0/10: no route back, as spoofed sources have none */
#define SERVER_PORT 80

enum client_state { CL_WAITING, CL_CONNECTING, CL_DONE, CL_FAILED };

struct client {
	int host, sock;
	synack_time_t start, done_at;
	uint32_t sent, got;
	enum client_state state;
};

struct flood {
	struct synack_flood_params p;
	struct synack_flood_result *r;
	struct synack_sim *sim;
	int server_node, attacker_node, lsock;
	struct synack_stack *server;
	int *host_node;
	struct synack_stack **host;
	struct client *clients;
	int **sock_client;          /* [host][sock] -> client index, or -1 */
	uint32_t per_host_socks;
	uint64_t rng;
	double syn_credit;
	uint8_t buf[65536];
};

static uint64_t next_rand(struct flood *f)
{
	/* splitmix64: small, seeded, and the same on every machine */
	uint64_t z = (f->rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void synack_flood_default(struct synack_flood_params *p)
{
	memset(p, 0, sizeof(*p));
	p->seed = 1;
	p->syns = 100000;
	p->syn_rate = 10000;
	p->clients = 100;
	p->client_hosts = 10;
	p->bytes = 1000;
	p->syncookies = 1;
	p->max_syn_backlog = 256;
	p->backlog = 128;
	p->deadline_us = SYNACK_SEC(30);
}

static synack_time_t flood_duration(const struct synack_flood_params *p)
{
	return (synack_time_t)p->syns * 1000000u / p->syn_rate;
}

/* The attacker: every millisecond, the SYNs its rate allows, each from a
 * random spoofed address and port with a random sequence number. */
static void attack(void *ctx, struct synack_sim *sim)
{
	struct flood *f = ctx;
	f->syn_credit += (double)f->p.syn_rate / 1000.0;
	while (f->syn_credit >= 1.0 && f->r->syns_sent < f->p.syns) {
		f->syn_credit -= 1.0;
		uint64_t x = next_rand(f);
		struct synack_tcp_seg s;
		memset(&s, 0, sizeof(s));
		s.sport = (uint16_t)(1024u + (x & 0xffff) % 64000u);
		s.dport = SERVER_PORT;
		s.seq = (uint32_t)(x >> 32);
		s.flags = SYNACK_TCP_SYN;
		s.window = 65535;
		s.opt.present = SYNACK_OPT_MSS;
		s.opt.mss = 1460;
		struct synack_ipv4 ip = {.src = SPOOF_NET | ((uint32_t)(x >> 16) & 0x3fffffu), .dst = SERVER_ADDR,
		                         .ttl = 64, .df = true};
		uint8_t pkt[128];
		size_t n = synack_tcp_build(pkt, sizeof(pkt), &ip, &s);
		if (n > 0)
			synack_sim_inject(sim, f->attacker_node, pkt, n);
		f->r->syns_sent++;
	}
	if (f->r->syns_sent < f->p.syns)
		synack_sim_at(sim, synack_sim_now(sim) + SYNACK_MS(1), attack, f);
}

static void count_visit(void *ctx, int sock, const struct synack_sockinfo *info)
{
	(void)sock, (void)info;
	(*(uint32_t *)ctx)++;
}

static void sample(void *ctx, struct synack_sim *sim)
{
	struct flood *f = ctx;
	uint32_t n = 0;
	synack_sock_foreach(f->server, count_visit, &n);
	if (n > f->r->max_server_conns)
		f->r->max_server_conns = n;
	synack_sim_at(sim, synack_sim_now(sim) + SYNACK_MS(100), sample, f);
}

static void client_start(void *ctx, struct synack_sim *sim)
{
	struct flood *f = ctx;
	/* The next waiting client whose time has come. */
	for (uint32_t i = 0; i < f->p.clients; i++) {
		struct client *c = &f->clients[i];
		if (c->state != CL_WAITING || c->start > synack_sim_now(sim))
			continue;
		struct synack_stack *st = f->host[c->host];
		c->sock = synack_socket(st);
		if (c->sock < 0 || (uint32_t)c->sock >= f->per_host_socks) {
			c->state = CL_FAILED;
			continue;
		}
		f->sock_client[c->host][c->sock] = (int)i;
		c->state = CL_CONNECTING;
		if (synack_connect(st, c->sock, SERVER_ADDR, SERVER_PORT, synack_sim_now(sim)) != -EINPROGRESS)
			c->state = CL_FAILED;
	}
}

static void client_finish(struct flood *f, struct client *c, enum client_state how)
{
	struct synack_stack *st = f->host[c->host];
	c->state = how;
	c->done_at = synack_sim_now(f->sim);
	f->sock_client[c->host][c->sock] = -1;
	synack_close(st, c->sock, synack_sim_now(f->sim));
}

static void client_event(struct flood *f, int host, int sock, int events)
{
	if (sock < 0 || (uint32_t)sock >= f->per_host_socks || f->sock_client[host][sock] < 0)
		return;
	struct client *c = &f->clients[f->sock_client[host][sock]];
	struct synack_stack *st = f->host[host];
	synack_time_t now = synack_sim_now(f->sim);
	if (c->state != CL_CONNECTING)
		return;
	if (events & SYNACK_POLLERR) {
		client_finish(f, c, CL_FAILED);
		return;
	}
	while ((events & SYNACK_POLLOUT) && c->sent < f->p.bytes) {
		uint32_t want = f->p.bytes - c->sent;
		if (want > sizeof(f->buf))
			want = sizeof(f->buf);
		for (uint32_t i = 0; i < want; i++)
			f->buf[i] = (uint8_t)(c->sent + i);
		ssize_t n = synack_send(st, sock, f->buf, want, now);
		if (n <= 0)
			break;
		c->sent += (uint32_t)n;
	}
	for (;;) {
		ssize_t n = synack_recv(st, sock, f->buf, sizeof(f->buf), now);
		if (n <= 0) {
			if (n == 0 || (n < 0 && n != -EAGAIN))
				client_finish(f, c, CL_FAILED); /* ended before the echo came back */
			return;
		}
		for (ssize_t i = 0; i < n; i++)
			if (f->buf[i] != (uint8_t)(c->got + (uint32_t)i)) {
				client_finish(f, c, CL_FAILED);
				return;
			}
		c->got += (uint32_t)n;
		if (c->got >= f->p.bytes) {
			client_finish(f, c, CL_DONE);
			return;
		}
	}
}

/* The server: accept everything, echo what arrives, close at end of stream. */
static void server_event(struct flood *f, int sock, int events)
{
	synack_time_t now = synack_sim_now(f->sim);
	if (sock == f->lsock) {
		while (synack_accept(f->server, f->lsock, NULL, NULL) >= 0)
			;
		return;
	}
	if (events & SYNACK_POLLERR) {
		synack_close(f->server, sock, now);
		return;
	}
	for (;;) {
		ssize_t n = synack_recv(f->server, sock, f->buf, sizeof(f->buf), now);
		if (n == -EAGAIN)
			return;
		if (n <= 0) {
			synack_close(f->server, sock, now);
			return;
		}
		synack_send(f->server, sock, f->buf, (size_t)n, now); /* echoes are small: the buffer takes them */
	}
}

static void on_sock_event(void *ctx, int node, int sock, int events)
{
	struct flood *f = ctx;
	if (node == f->server_node) {
		server_event(f, sock, events);
		return;
	}
	for (uint32_t h = 0; h < f->p.client_hosts; h++)
		if (f->host_node[h] == node)
			client_event(f, (int)h, sock, events);
}

static void on_trace(void *ctx, int node, const struct synack_trace *ev)
{
	struct flood *f = ctx;
	if (node == f->server_node && ev->kind == SYNACK_TRACE_QUEUE && ev->synq_len > f->r->max_synq)
		f->r->max_synq = ev->synq_len;
}

static int setup(struct flood *f)
{
	const struct synack_flood_params *p = &f->p;
	f->sim = synack_sim_new(p->seed);
	if (!f->sim)
		return -ENOMEM;
	struct synack_config cfg;
	synack_config_default(&cfg);
	cfg.addr = SERVER_ADDR;
	cfg.seed = p->seed * 7 + 1;
	cfg.max_sockets = p->clients + 16;
	cfg.rmem = cfg.wmem = 16384;
	cfg.syncookies = p->syncookies;
	cfg.max_syn_backlog = p->max_syn_backlog;
	f->server_node = synack_sim_add_stack(f->sim, &cfg);
	if (f->server_node < 0)
		return f->server_node;
	f->server = synack_sim_stack(f->sim, f->server_node);
	f->attacker_node = synack_sim_add_raw(f->sim, ATTACKER_ADDR, NULL, NULL);
	struct synack_link_model fast = {.delay_us = SYNACK_MS(1)}, lan = {.delay_us = SYNACK_MS(5)};
	synack_sim_link(f->sim, f->attacker_node, f->server_node, &fast, &fast);
	f->per_host_socks = (p->clients + p->client_hosts - 1) / p->client_hosts + 4;
	f->host_node = calloc(p->client_hosts, sizeof(int));
	f->host = calloc(p->client_hosts, sizeof(*f->host));
	f->sock_client = calloc(p->client_hosts, sizeof(*f->sock_client));
	f->clients = calloc(p->clients, sizeof(*f->clients));
	if (!f->host_node || !f->host || !f->sock_client || !f->clients)
		return -ENOMEM;
	for (uint32_t h = 0; h < p->client_hosts; h++) {
		synack_config_default(&cfg);
		cfg.addr = CLIENT_BASE + h;
		cfg.seed = p->seed * 7 + 2 + h;
		cfg.max_sockets = f->per_host_socks;
		cfg.rmem = cfg.wmem = 16384;
		f->host_node[h] = synack_sim_add_stack(f->sim, &cfg);
		if (f->host_node[h] < 0)
			return f->host_node[h];
		f->host[h] = synack_sim_stack(f->sim, f->host_node[h]);
		synack_sim_link(f->sim, f->host_node[h], f->server_node, &lan, &lan);
		f->sock_client[h] = malloc(f->per_host_socks * sizeof(int));
		if (!f->sock_client[h])
			return -ENOMEM;
		for (uint32_t s = 0; s < f->per_host_socks; s++)
			f->sock_client[h][s] = -1;
	}
	f->lsock = synack_socket(f->server);
	if (synack_bind(f->server, f->lsock, 0, SERVER_PORT) < 0 || synack_listen(f->server, f->lsock, p->backlog) < 0)
		return -EINVAL;
	struct synack_sim_hooks hooks = {.stack_trace = on_trace, .sock_event = on_sock_event, .ctx = f};
	synack_sim_set_hooks(f->sim, &hooks);
	return 0;
}

static void teardown(struct flood *f)
{
	if (f->sock_client)
		for (uint32_t h = 0; h < f->p.client_hosts; h++)
			free(f->sock_client[h]);
	free(f->sock_client);
	free(f->host_node);
	free(f->host);
	free(f->clients);
	synack_sim_free(f->sim);
	free(f);
}

int synack_flood_run(const struct synack_flood_params *p, struct synack_flood_result *r)
{
	if (!p || !r || p->clients == 0 || p->client_hosts == 0 || p->client_hosts > 200 || p->syn_rate == 0 ||
	    p->clients > 100000)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	struct flood *f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->p = *p;
	f->r = r;
	f->rng = p->seed;
	int e = setup(f);
	if (e < 0) {
		teardown(f);
		return e;
	}
	/* Clients start one by one across the flood, the first after 1 s. */
	synack_time_t span = flood_duration(p) > SYNACK_SEC(2) ? flood_duration(p) - SYNACK_SEC(2) : 0;
	for (uint32_t i = 0; i < p->clients; i++) {
		struct client *c = &f->clients[i];
		c->host = (int)(i % p->client_hosts);
		c->start = SYNACK_SEC(1) + span * i / p->clients;
		synack_sim_at(f->sim, c->start, client_start, f);
	}
	synack_sim_at(f->sim, 0, attack, f);
	synack_sim_at(f->sim, 0, sample, f);
	synack_time_t end = SYNACK_SEC(1) + span + p->deadline_us + SYNACK_SEC(1);
	synack_sim_run_until(f->sim, end);
	for (uint32_t i = 0; i < p->clients; i++) {
		struct client *c = &f->clients[i];
		if (c->state == CL_DONE && c->done_at - c->start <= p->deadline_us) {
			r->clients_ok++;
			if (c->done_at > r->last_client_done)
				r->last_client_done = c->done_at;
		} else {
			r->clients_failed++;
		}
	}
	r->sim_time = synack_sim_now(f->sim);
	r->server = *synack_get_counters(f->server);
	teardown(f);
	return 0;
}
