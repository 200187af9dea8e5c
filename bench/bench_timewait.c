/* TIME_WAIT at scale: the size of an entry, the memory a million of them
 * take (resident set growth from /proc/self/statm), the cost of creating
 * and of expiring one, and the longest single synack_poll() while a million
 * expire at the same instant.  Prints figures, never asserts on time.
 *
 * The entries are made the way the stack makes them: a connection (a tcb
 * from the pool, hashed by its 4-tuple, timestamps on) hands over to a
 * TIME_WAIT entry with tw_from_tcb() and goes back to the pool.  The
 * handshake and close around it are what bench_lifecycle measures; here the
 * hand-over alone is timed, BATCH connections at a time so the clock reads
 * cost next to nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "stack.h"
#include "synack/synack.h"
#include "tcp/tcp.h"

#define ENTRIES 1000000u
#define BATCH 8u /* connections made, then handed over, at a time (max_sockets is 16) */
#define OUR_ADDR 0x0a000002u /* 10.0.0.2, a server on port 80 */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static long rss_bytes(void)
{
	long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld %ld", &size, &resident) != 2)
		resident = -1;
	fclose(f);
	return resident < 0 ? -1 : resident * sysconf(_SC_PAGESIZE);
}

static void tx_sink(void *ctx, const uint8_t *pkt, size_t len)
{
	(void)ctx, (void)pkt, (void)len;
}

static struct synack_stack *new_stack(void)
{
	struct synack_config cfg;
	synack_config_default(&cfg);
	cfg.addr = OUR_ADDR;
	cfg.seed = 42;
	cfg.max_sockets = 16;
	cfg.rmem = cfg.wmem = 4096;
	cfg.max_tw_buckets = 1u << 20;
	struct synack_hooks hooks = {.tx = tx_sink};
	struct synack_stack *st = synack_stack_new(&cfg, &hooks, NULL);
	if (!st) {
		fprintf(stderr, "bench_timewait: stack creation failed\n");
		exit(1);
	}
	return st;
}

/* Connection i of the million: a distinct client address and port. */
static struct tcb *connection(struct synack_stack *st, uint32_t i)
{
	struct tcb *t = tcb_alloc(st);
	if (!t) {
		fprintf(stderr, "bench_timewait: tcb pool empty\n");
		exit(1);
	}
	t->sk.laddr = OUR_ADDR;
	t->sk.lport = 80;
	t->sk.raddr = 0x0a010000u + i / 50000u;
	t->sk.rport = (uint16_t)(1024u + i % 50000u);
	t->snd_una = t->snd_nxt = t->snd_max = 1000u + i;
	t->rcv_nxt = 5000u + i;
	t->ts_recent = 77u + i;
	t->flags |= TF_TS;
	t->state = SYNACK_TIME_WAIT;
	sk_hash(st, &t->sk);
	tcb_bind_port(st, t, 80);
	return t;
}

int main(void)
{
	printf("bench_timewait: TIME_WAIT entries at scale (figures, not assertions)\n\n");
	printf("== sizes ==\n");
	printf("  sizeof(struct tw_entry)  %4zu bytes (the whole TIME_WAIT state of a connection)\n",
	       sizeof(struct tw_entry));
	printf("  sizeof(struct tcb)       %4zu bytes, plus rmem + wmem (262144 with the defaults), which\n"
	       "                                TIME_WAIT held before: the tcb and buffers are freed now\n\n",
	       sizeof(struct tcb));

	struct synack_stack *st = new_stack();
	long rss0 = rss_bytes();
	double made = 0;
	for (uint32_t i = 0; i < ENTRIES; i += BATCH) {
		struct tcb *conn[BATCH];
		for (uint32_t j = 0; j < BATCH; j++)
			conn[j] = connection(st, i + j);
		double t0 = now_s();
		for (uint32_t j = 0; j < BATCH; j++)
			tw_from_tcb(st, conn[j]);
		made += now_s() - t0;
	}
	long rss1 = rss_bytes();
	struct tw_table *tw = st->tcp.tw;
	printf("== one million entries (max_tw_buckets %u, 4-tuple hash %u buckets) ==\n", tw->cap,
	       st->tcp.emask + 1);
	printf("  entries held             %u\n", tw->count);
	if (rss0 >= 0 && rss1 >= 0)
		printf("  resident memory growth   %.1f MiB = %.1f bytes per entry (the entry, its hash bucket,\n"
		       "                           the pool's and hash's pages as they are first touched)\n",
		       (double)(rss1 - rss0) / 1048576.0, (double)(rss1 - rss0) / ENTRIES);
	printf("  creating                 %.1f ns per entry (the connection's hand-over: entry filled, put in\n"
	       "                           the connection's place in the hash, queued; the tcb freed)\n",
	       made * 1e9 / ENTRIES);

	/* All million share one deadline: poll tick by tick until they are gone. */
	synack_time_t now = st->now + 2u * SYNACK_MS(st->cfg.msl_ms);
	double longest = 0, total = 0;
	unsigned polls = 0;
	while (tw->count > 0 && polls < 100000u) {
		double p0 = now_s();
		synack_poll(st, now);
		double dt = now_s() - p0;
		total += dt;
		if (dt > longest)
			longest = dt;
		polls++;
		now = synack_next_timeout(st);
		if (now == SYNACK_TIME_NEVER)
			break;
	}
	printf("  expiring                 %.1f ns per entry; %u polls, one per 1 ms tick, %u entries each at most\n",
	       total * 1e9 / ENTRIES, polls, TW_EXPIRE_BATCH);
	printf("  longest synack_poll()    %.1f us while the million expired together\n", longest * 1e6);
	printf("  TcpExtTW                 %llu\n", (unsigned long long)synack_get_counters(st)->TcpExtTW);
	synack_stack_free(st);
	return 0;
}
