/* synack flood: a SYN flood against a listener on the simulated network,
 * with and without SYN cookies, and what it did to legitimate clients. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "synack/flood.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: synack flood [--cookies 0|1|2] [--syns N] [--rate N] [--clients N] [--hosts N]\n"
	           "                    [--max-syn-backlog N] [--backlog N] [--seed N]\n\n"
	           "An attacker sends N spoofed SYNs (default 100000, at 10000/s of virtual time) from\n"
	           "random sources that never answer, while legitimate clients (default 100, on 10 hosts)\n"
	           "connect, send 1000 bytes and read them back.  Without --cookies it runs twice: cookies\n"
	           "off with a small SYN queue (64), then cookies on (tcp_syncookies = 1).\n");
}

static double wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run_one(const char *title, const struct synack_flood_params *p)
{
	struct synack_flood_result r;
	double t0 = wall_now();
	int e = synack_flood_run(p, &r);
	double wall = wall_now() - t0;
	if (e < 0) {
		fprintf(stderr, "synack flood: bad parameters (%d)\n", e);
		return 1;
	}
	const struct synack_counters *c = &r.server;
	printf("== %s ==\n", title);
	printf("  syncookies=%u max_syn_backlog=%u backlog=%d: %llu spoofed SYNs at %u/s, %u clients on %u hosts\n",
	       p->syncookies, p->max_syn_backlog, p->backlog, (unsigned long long)r.syns_sent, p->syn_rate,
	       p->clients, p->client_hosts);
	printf("  legitimate clients done within %.0f s: %u of %u (%.1f %%)\n", (double)p->deadline_us / 1e6,
	       r.clients_ok, p->clients, 100.0 * r.clients_ok / p->clients);
	printf("  longest SYN queue: %u (bound %u); most entries held by the server: %u\n", r.max_synq,
	       p->max_syn_backlog, r.max_server_conns);
	printf("  server: PassiveOpens %llu, ReqQFullDrop %llu, ReqQFullDoCookies %llu, SyncookiesSent %llu,\n"
	       "          SyncookiesRecv %llu, SyncookiesFailed %llu, ListenDrops %llu, ListenOverflows %llu\n",
	       (unsigned long long)c->TcpPassiveOpens, (unsigned long long)c->TcpExtTCPReqQFullDrop,
	       (unsigned long long)c->TcpExtTCPReqQFullDoCookies, (unsigned long long)c->TcpExtSyncookiesSent,
	       (unsigned long long)c->TcpExtSyncookiesRecv, (unsigned long long)c->TcpExtSyncookiesFailed,
	       (unsigned long long)c->TcpExtListenDrops, (unsigned long long)c->TcpExtListenOverflows);
	printf("  %.1f s of virtual time in %.2f s of wall time\n", (double)r.sim_time / 1e6, wall);
	return 0;
}

static int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *end || v > 0xffffffffu)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int cmd_flood(int argc, char **argv)
{
	struct synack_flood_params p;
	synack_flood_default(&p);
	int cookies = -1;
	for (int i = 1; i < argc; i++) {
		uint32_t v;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		}
		if (i + 1 >= argc || parse_u32(argv[i + 1], &v) < 0) {
			fprintf(stderr, "synack flood: '%s' needs a number\n\n", argv[i]);
			usage(stderr);
			return 2;
		}
		const char *o = argv[i++];
		if (!strcmp(o, "--cookies") && v <= 2)
			cookies = (int)v;
		else if (!strcmp(o, "--syns"))
			p.syns = v;
		else if (!strcmp(o, "--rate") && v > 0)
			p.syn_rate = v;
		else if (!strcmp(o, "--clients") && v > 0 && v <= 100000)
			p.clients = v;
		else if (!strcmp(o, "--hosts") && v > 0 && v <= 200)
			p.client_hosts = v;
		else if (!strcmp(o, "--max-syn-backlog") && v > 0)
			p.max_syn_backlog = v;
		else if (!strcmp(o, "--backlog") && v <= 65535)
			p.backlog = (int)v;
		else if (!strcmp(o, "--seed"))
			p.seed = v;
		else {
			fprintf(stderr, "synack flood: bad option or value: %s %s\n\n", o, argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (cookies >= 0) {
		p.syncookies = (uint8_t)cookies;
		return run_one(cookies ? "SYN cookies on" : "SYN cookies off", &p);
	}
	struct synack_flood_params off = p;
	off.syncookies = 0;
	off.max_syn_backlog = 64;
	int rc = run_one("SYN cookies off, SYN queue of 64", &off);
	printf("\n");
	return rc | run_one("SYN cookies on (tcp_syncookies = 1)", &p);
}
