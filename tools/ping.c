/* synack ping: two stacks ping each other across a lossy simulated link, and
 * every packet is written to a pcap.  Deterministic: the same seed prints the
 * same run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "synack/pcap.h"
#include "synack/sim.h"
#include "synack/wire.h"

#define PINGS 10

struct demo {
	struct synack_sim *sim;
	int node[2];
	uint32_t addr[2];
	synack_time_t sent_at[2][PINGS];
	int answered[2];
	int next_seq[2];
};

static void on_link(void *ctx, const struct synack_sim_event *ev)
{
	(void)ctx;
	if (ev->kind != SYNACK_SIM_LOST)
		return;
	char line[160];
	printf("%9.3f ms  link %d->%d LOST     %s\n", (double)ev->now / 1000.0, ev->from, ev->to,
	       synack_packet_format(ev->pkt, ev->len, line, sizeof(line)));
}

static void on_trace(void *ctx, int node, const struct synack_trace *ev)
{
	struct demo *d = ctx;
	if (ev->kind != SYNACK_TRACE_ECHO_REPLY)
		return;
	int i = node == d->node[0] ? 0 : 1;
	if (ev->echo_seq >= PINGS)
		return;
	char a[16];
	printf("%9.3f ms  node %d  echo reply from %s seq %u, rtt %.3f ms\n", (double)ev->now / 1000.0, i,
	       synack_ip_format(ev->peer, a), ev->echo_seq,
	       (double)(ev->now - d->sent_at[i][ev->echo_seq]) / 1000.0);
	d->answered[i]++;
}

static void ping_tick(void *ctx, struct synack_sim *sim)
{
	struct demo *d = ctx;
	synack_time_t now = synack_sim_now(sim);
	for (int i = 0; i < 2; i++) {
		int seq = d->next_seq[i]++;
		char a[16];
		d->sent_at[i][seq] = now;
		printf("%9.3f ms  node %d  ping %s seq %d\n", (double)now / 1000.0, i,
		       synack_ip_format(d->addr[1 - i], a), seq);
		synack_ping(synack_sim_stack(sim, d->node[i]), d->addr[1 - i], (uint16_t)(0x5100 + i),
		            (uint16_t)seq, "synack", 6, now);
	}
}

int cmd_ping(int argc, char **argv)
{
	const char *pcap_path = "ping.pcap";
	uint64_t seed = 7;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--pcap") && i + 1 < argc)
			pcap_path = argv[++i];
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else {
			printf("usage: synack ping [--seed N] [--pcap FILE]\n"
			       "Two stacks ping each other %d times over a link that loses 20%% of packets\n"
			       "(10 ms delay, 5 ms jitter); prints the run and writes FILE (ping.pcap).\n",
			       PINGS);
			return strcmp(argv[i], "--help") ? 2 : 0;
		}
	}
	struct demo d;
	memset(&d, 0, sizeof(d));
	d.sim = synack_sim_new(seed);
	struct synack_pcap *pcap = synack_pcap_open(pcap_path);
	if (!d.sim || !pcap) {
		perror(pcap ? "synack ping" : pcap_path);
		return 1;
	}
	struct synack_sim_hooks hooks = {.link_event = on_link, .stack_trace = on_trace, .ctx = &d};
	synack_sim_set_hooks(d.sim, &hooks);
	for (int i = 0; i < 2; i++) {
		struct synack_config cfg;
		synack_config_default(&cfg);
		cfg.addr = 0xc0000201u + (uint32_t)i; /* 192.0.2.1, 192.0.2.2 */
		cfg.seed = seed * 2 + (uint64_t)i;
		d.addr[i] = cfg.addr;
		d.node[i] = synack_sim_add_stack(d.sim, &cfg);
		synack_sim_capture(d.sim, d.node[i], pcap);
	}
	struct synack_link_model lossy = {.loss = 0.2, .delay_us = 10000, .jitter_us = 5000};
	synack_sim_link(d.sim, d.node[0], d.node[1], &lossy, &lossy);
	printf("synack ping: 192.0.2.1 (node 0) and 192.0.2.2 (node 1) ping each other;\n"
	       "the link loses 20%% of packets each way, delay 10 ms + up to 5 ms jitter, seed %llu\n\n",
	       (unsigned long long)seed);
	for (int k = 0; k < PINGS; k++)
		synack_sim_at(d.sim, SYNACK_MS(100) * (synack_time_t)k, ping_tick, &d);
	synack_sim_run(d.sim, SYNACK_SEC(10));
	printf("\n");
	for (int i = 0; i < 2; i++) {
		const struct synack_counters *c = synack_get_counters(synack_sim_stack(d.sim, d.node[i]));
		printf("node %d: %d/%d pings answered; IcmpOutEchos %llu IcmpInEchos %llu IcmpOutEchoReps %llu "
		       "IcmpInEchoReps %llu\n",
		       i, d.answered[i], PINGS, (unsigned long long)c->IcmpOutEchos, (unsigned long long)c->IcmpInEchos,
		       (unsigned long long)c->IcmpOutEchoReps, (unsigned long long)c->IcmpInEchoReps);
	}
	synack_pcap_close(pcap);
	synack_sim_free(d.sim);
	printf("pcap written to %s (open it with wireshark or tshark -r)\n", pcap_path);
	return 0;
}
