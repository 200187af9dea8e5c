/* The demo, the README's main job: one whole TCP lifecycle between two
 * stacks on the simulated network (open, a request and a reply, the
 * four-way close, TIME_WAIT), drawn as a ladder diagram and written to a
 * pcap.  Deterministic: the same seed prints the same run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "synack/ladder.h"
#include "synack/pcap.h"
#include "synack/sim.h"
#include "synack/wire.h"

#define CLIENT 0xc0000201u /* 192.0.2.1 */
#define SERVER 0xc0000202u /* 192.0.2.2 */

struct demo {
	struct synack_sim *sim;
	struct synack_ladder *lad;
	struct synack_stack *c, *s;
	int lsock, csock, asock;
};

static const char request[] = "GET / HTTP/1.0\r\n\r\n";
static const char reply[] = "HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nhello\n";

static void note(struct demo *d, const char *text)
{
	synack_ladder_note(d->lad, synack_sim_now(d->sim), text);
}

static void client_connects(void *ctx, struct synack_sim *sim)
{
	struct demo *d = ctx;
	note(d, "client: connect(192.0.2.2:80)");
	d->csock = synack_socket(d->c);
	synack_connect(d->c, d->csock, SERVER, 80, synack_sim_now(sim));
}

static void client_sends(void *ctx, struct synack_sim *sim)
{
	struct demo *d = ctx;
	note(d, "client: send(\"GET / HTTP/1.0\")");
	synack_send(d->c, d->csock, request, sizeof(request) - 1, synack_sim_now(sim));
}

static void server_answers(void *ctx, struct synack_sim *sim)
{
	struct demo *d = ctx;
	char buf[256];
	d->asock = synack_accept(d->s, d->lsock, NULL, NULL);
	ssize_t n = synack_recv(d->s, d->asock, buf, sizeof(buf), synack_sim_now(sim));
	note(d, n > 0 ? "server: accept(), recv() the request, send() the reply" : "server: no request?");
	synack_send(d->s, d->asock, reply, sizeof(reply) - 1, synack_sim_now(sim));
}

static void client_closes(void *ctx, struct synack_sim *sim)
{
	struct demo *d = ctx;
	char buf[256];
	ssize_t n = synack_recv(d->c, d->csock, buf, sizeof(buf), synack_sim_now(sim));
	note(d, n > 0 ? "client: recv() the reply, close()" : "client: no reply?");
	synack_close(d->c, d->csock, synack_sim_now(sim));
}

static void server_closes(void *ctx, struct synack_sim *sim)
{
	struct demo *d = ctx;
	char buf[16];
	ssize_t n = synack_recv(d->s, d->asock, buf, sizeof(buf), synack_sim_now(sim));
	note(d, n == 0 ? "server: recv() returns 0 (end of stream), close()" : "server: close()");
	synack_close(d->s, d->asock, synack_sim_now(sim));
}

static int usage(const char *arg)
{
	printf("usage: synack demo [--seed N] [--pcap FILE] [--loss PCT] [--absolute]\n"
	       "Plays one TCP lifecycle between a client (192.0.2.1) and a server (192.0.2.2) on the\n"
	       "simulated network (10 ms each way): the three-way handshake, a request and a reply,\n"
	       "the four-way close and TIME_WAIT.  Prints the ladder diagram and writes FILE\n"
	       "(demo.pcap).  --loss drops that share of segments each way; --absolute shows raw\n"
	       "sequence numbers instead of numbers relative to each side's ISN.\n");
	return arg && strcmp(arg, "--help") ? 2 : 0;
}

static void build(struct demo *d, uint64_t seed, double loss, struct synack_pcap *pcap)
{
	d->sim = synack_sim_new(seed);
	d->lad = synack_ladder_new();
	struct synack_stack **st[2] = {&d->c, &d->s};
	int node[2];
	for (int i = 0; i < 2; i++) {
		struct synack_config cfg;
		synack_config_default(&cfg);
		cfg.addr = i == 0 ? CLIENT : SERVER;
		cfg.seed = seed * 2 + (uint64_t)i;
		cfg.max_sockets = 16;
		cfg.rmem = cfg.wmem = 65536;
		node[i] = synack_sim_add_stack(d->sim, &cfg);
		*st[i] = synack_sim_stack(d->sim, node[i]);
		if (i == 0) /* the client's view: each packet once, as a capture on one host */
			synack_sim_capture(d->sim, node[i], pcap);
	}
	struct synack_link_model m = {.delay_us = 10000, .loss = loss};
	synack_sim_link(d->sim, node[0], node[1], &m, &m);
	synack_ladder_set_columns(d->lad, node[0], "client", node[1], "server");
	struct synack_sim_hooks hooks;
	synack_ladder_sim_hooks(d->lad, &hooks);
	synack_sim_set_hooks(d->sim, &hooks);
}

int cmd_demo(int argc, char **argv)
{
	const char *pcap_path = "demo.pcap";
	uint64_t seed = 1;
	double loss = 0;
	bool absolute = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--pcap") && i + 1 < argc)
			pcap_path = argv[++i];
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--loss") && i + 1 < argc)
			loss = strtod(argv[++i], NULL) / 100.0;
		else if (!strcmp(argv[i], "--absolute"))
			absolute = true;
		else
			return usage(argv[i]);
	}
	if (loss < 0 || loss > 0.9) {
		fprintf(stderr, "synack demo: --loss must be between 0 and 90\n");
		return 2;
	}
	struct synack_pcap *pcap = synack_pcap_open(pcap_path);
	if (!pcap) {
		perror(pcap_path);
		return 1;
	}
	struct demo d;
	memset(&d, 0, sizeof(d));
	build(&d, seed, loss, pcap);
	d.lsock = synack_socket(d.s);
	synack_bind(d.s, d.lsock, 0, 80);
	synack_listen(d.s, d.lsock, 16);
	synack_sim_at(d.sim, 0, client_connects, &d);
	synack_sim_at(d.sim, SYNACK_MS(100), client_sends, &d);
	synack_sim_at(d.sim, SYNACK_MS(200), server_answers, &d);
	synack_sim_at(d.sim, SYNACK_MS(300), client_closes, &d);
	synack_sim_at(d.sim, SYNACK_MS(400), server_closes, &d);
	synack_sim_run(d.sim, SYNACK_SEC(600));
	struct synack_ladder_opts o = {
		.title = "synack demo: one TCP connection, from the three-way handshake to TIME_WAIT",
		.absolute = absolute};
	synack_ladder_render_text(d.lad, stdout, &o);
	printf("\nThe client closed first, so it held TIME_WAIT for 2*MSL (60 s) before CLOSED;\n"
	       "the server went CLOSE_WAIT -> LAST_ACK -> CLOSED.  The client's capture is in %s.\n", pcap_path);
	synack_pcap_close(pcap);
	synack_ladder_free(d.lad);
	synack_sim_free(d.sim);
	return 0;
}
