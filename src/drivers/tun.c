/* TUN driver: a stack on a Linux TUN device, driven by poll(2).
 *
 * Packets read from the device go to synack_input; packets the stack sends
 * (its tx hook) are written to the device.  Between the two sits the fault
 * injector: loss and a fixed delay per direction, from a seeded generator.
 * The pcap, when asked for, is written from the stack's trace hook, so it
 * holds exactly what the stack received and sent: a packet lost on its way
 * in never reached the stack and is not there; one lost on its way out was
 * sent by the stack and is.
 */
#include "synack/tun.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "synack/pcap.h"

#define TUN_PATH "/dev/net/tun"
#define TUN_MAX_PKT 65536       /* the largest IP packet, whatever the device MTU */
#define TUN_READ_BATCH 256      /* packets read per turn before timers get a say */
#define TUN_DEFAULT_QUEUE 10000 /* held-back packets per direction */
#define TUN_DRAIN_EVERY 32      /* writes between two looks at what the kernel sent us */

/* A packet held back by the delay, due at `due`. */
struct held_pkt {
	synack_time_t due;
	size_t len;
	uint8_t data[];
};

/* A FIFO of held-back packets: with one fixed delay per direction the due
 * times are in order, so the head is always the next one due. */
struct delay_queue {
	struct held_pkt **slot;
	uint32_t cap, head, count;
};

/* One direction's fault model: its own generator, so the decisions in one
 * direction do not depend on how many packets went the other way. */
struct fault_dir {
	uint64_t rng;
	struct delay_queue q;
};

struct synack_tun {
	int fd;
	char ifname[IFNAMSIZ];
	struct synack_stack *st;
	struct synack_hooks app;   /* the caller's trace and event hooks */
	struct synack_pcap *pcap;
	synack_time_t pcap_offset; /* monotonic -> wall clock, so the capture shows real times */
	double loss;
	synack_time_t delay;
	struct fault_dir in, out;
	uint32_t writes_since_read;
	struct synack_tun_stats stats;
	uint8_t buf[TUN_MAX_PKT];
	/* Reads made from inside the stack (device_write) land here, never in
	 * buf, which the stack may still be parsing at that moment. */
	uint8_t side[TUN_MAX_PKT];
};

synack_time_t synack_tun_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (synack_time_t)ts.tv_sec * 1000000u + (synack_time_t)ts.tv_nsec / 1000u;
}

static synack_time_t wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (synack_time_t)ts.tv_sec * 1000000u + (synack_time_t)ts.tv_nsec / 1000u;
}

/* SplitMix64 (Steele, Lea, Flood 2014): tiny, seedable, and the same numbers
 * on every libc, unlike rand(). */
static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static bool lose(struct synack_tun *t, struct fault_dir *d)
{
	if (t->loss <= 0)
		return false;
	double u = (double)(splitmix64(&d->rng) >> 11) * 0x1.0p-53; /* uniform in [0, 1) */
	return u < t->loss;
}

static bool queue_push(struct synack_tun *t, struct delay_queue *q, const uint8_t *pkt, size_t len,
                       synack_time_t due)
{
	if (q->count == q->cap) {
		t->stats.queue_drops++;
		return false;
	}
	struct held_pkt *h = malloc(sizeof(*h) + len);
	if (!h) {
		t->stats.queue_drops++;
		return false;
	}
	h->due = due;
	h->len = len;
	memcpy(h->data, pkt, len);
	q->slot[(q->head + q->count) % q->cap] = h;
	q->count++;
	return true;
}

static struct held_pkt *queue_pop_due(struct delay_queue *q, synack_time_t now)
{
	if (q->count == 0 || q->slot[q->head]->due > now)
		return NULL;
	struct held_pkt *h = q->slot[q->head];
	q->head = (q->head + 1) % q->cap;
	q->count--;
	return h;
}

static synack_time_t queue_next_due(const struct delay_queue *q)
{
	return q->count ? q->slot[q->head]->due : SYNACK_TIME_NEVER;
}

static void queue_free(struct delay_queue *q)
{
	while (q->count > 0) {
		free(q->slot[q->head]);
		q->head = (q->head + 1) % q->cap;
		q->count--;
	}
	free(q->slot);
	q->slot = NULL;
}

static void deliver_in(struct synack_tun *t, const uint8_t *pkt, size_t len, synack_time_t now, bool may_input);
static int read_device(struct synack_tun *t, bool may_input);

static void device_write(struct synack_tun *t, const uint8_t *pkt, size_t len)
{
	ssize_t n = write(t->fd, pkt, len);
	if (n != (ssize_t)len)
		t->stats.tx_errors++;
	/* The kernel answers our writes at once (its ACKs), into a queue of
	 * only txqueuelen packets (500 by default) that overflows, dropping
	 * them, while a burst of ours goes out.  So read while writing: into
	 * the in-queue, since we may be inside the stack right now. */
	if (++t->writes_since_read >= TUN_DRAIN_EVERY)
		(void)read_device(t, false);
}

/* ---- the stack's hooks ---- */

static void on_tx(void *ctx, const uint8_t *pkt, size_t len)
{
	struct synack_tun *t = ctx;
	t->stats.tx_pkts++;
	if (lose(t, &t->out)) {
		t->stats.tx_lost++;
		return;
	}
	if (t->delay > 0)
		queue_push(t, &t->out.q, pkt, len, synack_tun_now() + t->delay);
	else
		device_write(t, pkt, len);
}

static void on_trace(void *ctx, const struct synack_trace *ev)
{
	struct synack_tun *t = ctx;
	/* The capture's link type is IPv4: an IPv6 packet the kernel sends on
	 * the device (router solicitations, MLD) cannot be written there. */
	if (t->pcap && (ev->kind == SYNACK_TRACE_PKT_IN || ev->kind == SYNACK_TRACE_PKT_OUT) && ev->len > 0 &&
	    (ev->pkt[0] >> 4) == 4)
		(void)synack_pcap_write(t->pcap, ev->now + t->pcap_offset, ev->pkt, ev->len);
	if (t->app.trace)
		t->app.trace(t->app.ctx, ev);
}

static void on_event(void *ctx, int sock, int events)
{
	struct synack_tun *t = ctx;
	if (t->app.event)
		t->app.event(t->app.ctx, sock, events);
}

/* ---- opening ---- */

__attribute__((format(printf, 3, 4))) static void say(char *msg, size_t msglen, const char *fmt, ...)
{
	if (!msg || msglen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
}

/* Opens /dev/net/tun and attaches to (or creates) the device; returns the fd
 * or a negative errno with msg explaining it. */
static int tun_attach(const char *ifname, char *actual, char *msg, size_t msglen)
{
	int fd = open(TUN_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (e == ENOENT || e == ENODEV || e == ENXIO)
			say(msg, msglen, "%s: %s (is the tun module loaded?)", TUN_PATH, strerror(e));
		else if (e == EACCES || e == EPERM)
			say(msg, msglen, "%s: %s: no permission to use TUN devices (CAP_NET_ADMIN needed)", TUN_PATH,
			    strerror(e));
		else
			say(msg, msglen, "%s: %s", TUN_PATH, strerror(e));
		return -e;
	}
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;
		close(fd);
		if (e == EPERM || e == EACCES)
			say(msg, msglen, "TUN device %s: %s: CAP_NET_ADMIN is needed to create or attach it", ifname,
			    strerror(e));
		else if (e == EBUSY)
			say(msg, msglen, "TUN device %s: %s: another process has it open", ifname, strerror(e));
		else if (e == EINVAL)
			say(msg, msglen, "TUN device %s: %s: it exists but is not a TUN device without packet info "
			    "(a TAP, or made with 'pi' or 'multi_queue'?)", ifname, strerror(e));
		else
			say(msg, msglen, "TUN device %s: %s", ifname, strerror(e));
		return -e;
	}
	memcpy(actual, ifr.ifr_name, IFNAMSIZ);
	actual[IFNAMSIZ - 1] = '\0';
	return fd;
}

static int check_opts(const struct synack_tun_opts *o, const struct synack_config *cfg, char *msg, size_t msglen)
{
	if (!o || !cfg || !o->ifname) {
		say(msg, msglen, "missing options");
		return -EINVAL;
	}
	if (o->ifname[0] == '\0' || strlen(o->ifname) >= IFNAMSIZ || strchr(o->ifname, '/') ||
	    strchr(o->ifname, ' ')) {
		say(msg, msglen, "bad interface name '%s' (1 to 15 characters, no '/' or space)", o->ifname);
		return -EINVAL;
	}
	if (!(o->loss >= 0 && o->loss < 1)) {
		say(msg, msglen, "loss must be in [0, 1)");
		return -EINVAL;
	}
	return 0;
}

static int fault_init(struct synack_tun *t, const struct synack_tun_opts *o)
{
	t->loss = o->loss;
	t->delay = SYNACK_MS(o->delay_ms);
	/* Two streams from one seed: mix the seed first so seeds 1 and 2 do
	 * not share most of their sequence. */
	uint64_t s = o->seed;
	t->in.rng = splitmix64(&s);
	t->out.rng = splitmix64(&s);
	uint32_t cap = o->queue_limit ? o->queue_limit : TUN_DEFAULT_QUEUE;
	t->in.q.cap = t->out.q.cap = cap;
	t->in.q.slot = calloc(cap, sizeof(*t->in.q.slot));
	t->out.q.slot = calloc(cap, sizeof(*t->out.q.slot));
	return t->in.q.slot && t->out.q.slot ? 0 : -ENOMEM;
}

struct synack_tun *synack_tun_open(const struct synack_tun_opts *opts, const struct synack_config *cfg,
                                   const struct synack_hooks *hooks, int *err, char *msg, size_t msglen)
{
	int e = check_opts(opts, cfg, msg, msglen);
	struct synack_tun *t = NULL;
	if (e)
		goto fail;
	t = calloc(1, sizeof(*t));
	if (t)
		t->fd = -1;
	if (!t || fault_init(t, opts) != 0) {
		e = -ENOMEM;
		say(msg, msglen, "out of memory");
		goto fail;
	}
	if (hooks)
		t->app = *hooks;
	struct synack_hooks h = {.tx = on_tx, .trace = on_trace, .event = on_event, .ctx = t};
	t->st = synack_stack_new(cfg, &h, &e);
	if (!t->st) {
		say(msg, msglen, "cannot create the stack: %s", strerror(-e));
		goto fail;
	}
	int fd = tun_attach(opts->ifname, t->ifname, msg, msglen);
	if (fd < 0) {
		e = fd;
		goto fail;
	}
	t->fd = fd;
	if (opts->pcap_path) {
		t->pcap = synack_pcap_open(opts->pcap_path);
		if (!t->pcap) {
			e = -errno;
			say(msg, msglen, "%s: %s", opts->pcap_path, strerror(errno));
			goto fail;
		}
		t->pcap_offset = wall_now() - synack_tun_now();
	}
	return t;
fail:
	if (t)
		synack_tun_close(t);
	if (err)
		*err = e;
	return NULL;
}

int synack_tun_close(struct synack_tun *t)
{
	if (!t)
		return -EINVAL;
	int e = 0;
	if (t->fd >= 0)
		close(t->fd);
	if (t->st)
		synack_stack_free(t->st);
	if (t->pcap)
		e = synack_pcap_close(t->pcap);
	queue_free(&t->in.q);
	queue_free(&t->out.q);
	free(t);
	return e;
}

struct synack_stack *synack_tun_stack(struct synack_tun *t)
{
	return t->st;
}

const struct synack_tun_stats *synack_tun_get_stats(const struct synack_tun *t)
{
	return &t->stats;
}

const char *synack_tun_ifname(const struct synack_tun *t)
{
	return t->ifname;
}

/* ---- the event loop ---- */

/* A packet from the kernel: lost, held back, or handed to the stack.  It
 * waits in the in-queue (due at once if there is no delay) when it must
 * not go in now (may_input false: we are inside the stack) or when older
 * packets wait there, so packets always reach the stack in order. */
static void deliver_in(struct synack_tun *t, const uint8_t *pkt, size_t len, synack_time_t now, bool may_input)
{
	if (lose(t, &t->in)) {
		t->stats.rx_lost++;
		return;
	}
	if (t->delay > 0 || !may_input || t->in.q.count > 0)
		queue_push(t, &t->in.q, pkt, len, now + t->delay);
	else
		synack_input(t->st, pkt, len, now);
}

/* Reads what the device has, up to a batch; returns 0 or a negative errno. */
static int read_device(struct synack_tun *t, bool may_input)
{
	t->writes_since_read = 0;
	uint8_t *buf = may_input ? t->buf : t->side;
	for (int i = 0; i < TUN_READ_BATCH; i++) {
		ssize_t n = read(t->fd, buf, TUN_MAX_PKT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return 0;
			return -errno;
		}
		if (n == 0)
			return 0;
		t->stats.rx_pkts++;
		deliver_in(t, buf, (size_t)n, synack_tun_now(), may_input);
	}
	return 0;
}

/* Hands on every held-back packet that is due, both directions. */
static void release_due(struct synack_tun *t, synack_time_t now)
{
	struct held_pkt *h;
	while ((h = queue_pop_due(&t->out.q, now)) != NULL) {
		device_write(t, h->data, h->len);
		free(h);
	}
	while ((h = queue_pop_due(&t->in.q, now)) != NULL) {
		synack_input(t->st, h->data, h->len, now);
		free(h);
	}
}

static synack_time_t min_time(synack_time_t a, synack_time_t b)
{
	return a < b ? a : b;
}

int synack_tun_step(struct synack_tun *t, synack_time_t max_wait)
{
	if (!t)
		return -EINVAL;
	synack_time_t now = synack_tun_now();
	synack_time_t wake = max_wait >= SYNACK_TIME_NEVER - now ? SYNACK_TIME_NEVER : now + max_wait;
	wake = min_time(wake, synack_next_timeout(t->st));
	wake = min_time(wake, queue_next_due(&t->in.q));
	wake = min_time(wake, queue_next_due(&t->out.q));
	int timeout_ms;
	if (wake <= now)
		timeout_ms = 0;
	else if (wake - now >= (synack_time_t)1000 * 3600000u)
		timeout_ms = 3600000; /* an hour; the caller's max_wait is usually far less */
	else
		timeout_ms = (int)((wake - now + 999) / 1000); /* round up: never wake before the deadline */

	struct pollfd p = {.fd = t->fd, .events = POLLIN};
	int n = poll(&p, 1, timeout_ms);
	if (n < 0)
		return errno == EINTR ? -EINTR : -errno;
	if (n > 0 && (p.revents & (POLLERR | POLLNVAL)))
		return p.revents & POLLNVAL ? -EBADF : -EIO;
	release_due(t, synack_tun_now()); /* older packets before newer ones */
	int e = 0;
	if (n > 0 && (p.revents & POLLIN))
		e = read_device(t, true);
	now = synack_tun_now();
	release_due(t, now);
	synack_poll(t->st, now);
	return e;
}
