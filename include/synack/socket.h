/* synack's socket-like API.  Included by synack/synack.h.
 *
 * Sockets are small integer handles (>= 0).  Every call returns a negative
 * errno on failure and never blocks: connect() returns -EINPROGRESS and
 * reports completion through the event hook and synack_sock_events();
 * send/recv return -EAGAIN when they cannot make progress.  Calls that may
 * transmit take the current time, like synack_input.
 */
#ifndef SYNACK_SOCKET_H
#define SYNACK_SOCKET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct synack_stack;

/* Readiness bits (the same meaning as poll(2)'s). */
#define SYNACK_POLLIN 0x001    /* recv would not return -EAGAIN (data, EOF, or a connection to accept) */
#define SYNACK_POLLOUT 0x004   /* send would accept at least one byte */
#define SYNACK_POLLERR 0x008   /* SO_ERROR holds an error */
#define SYNACK_POLLHUP 0x010   /* both directions are shut: nothing more will move */
#define SYNACK_POLLRDHUP 0x2000 /* the peer sent FIN: recv will return 0 once drained */

#define SYNACK_SHUT_RD 0
#define SYNACK_SHUT_WR 1
#define SYNACK_SHUT_RDWR 2

/* Socket options (level is implied by the name). */
enum synack_sockopt {
	SYNACK_SO_ERROR,     /* get: the pending error as a positive errno, then cleared */
	SYNACK_TCP_NODELAY,  /* get/set: 1 turns Nagle's algorithm off */
	SYNACK_SO_REUSEADDR, /* get/set: 1 lets bind() share a port with TIME_WAIT entries and
	                      * closing connections that also had it (not with a listener) */
	SYNACK_SO_LINGER,    /* get/set: -1 off (the default); N >= 0 on with N seconds, as
	                      * struct linger {1, N}.  0: close() resets at once (RST, no
	                      * TIME_WAIT).  N > 0: close() still returns at once, and the
	                      * connection is reset if the peer has not acknowledged all data
	                      * and our FIN within N seconds. */
};

int synack_socket(struct synack_stack *st);
/* addr 0 means the stack's address; port 0 picks an ephemeral port. */
int synack_bind(struct synack_stack *st, int sock, uint32_t addr, uint16_t port);
int synack_listen(struct synack_stack *st, int sock, int backlog);
/* Returns a new socket for the oldest established connection, or -EAGAIN.
 * peer_addr/peer_port may be NULL. */
int synack_accept(struct synack_stack *st, int sock, uint32_t *peer_addr, uint16_t *peer_port);
/* Starts an active open; returns -EINPROGRESS (or an error). */
int synack_connect(struct synack_stack *st, int sock, uint32_t addr, uint16_t port, uint64_t now);
ssize_t synack_send(struct synack_stack *st, int sock, const void *buf, size_t len, uint64_t now);
/* Returns bytes read, 0 at end of stream, or -EAGAIN. */
ssize_t synack_recv(struct synack_stack *st, int sock, void *buf, size_t len, uint64_t now);
int synack_shutdown(struct synack_stack *st, int sock, int how, uint64_t now);
/* Releases the handle.  The connection closes gracefully in the background
 * (FIN after queued data), or with RST if unread data is pending (RFC 1122
 * 4.2.2.13) or SO_LINGER is {1, 0}.  Never blocks, whatever SO_LINGER says
 * (see SYNACK_SO_LINGER). */
int synack_close(struct synack_stack *st, int sock, uint64_t now);
int synack_getsockopt(struct synack_stack *st, int sock, enum synack_sockopt opt, int *val);
int synack_setsockopt(struct synack_stack *st, int sock, enum synack_sockopt opt, int val);
/* The readiness bits that hold now (SYNACK_POLL*), or a negative errno. */
int synack_sock_events(const struct synack_stack *st, int sock);

/* What `ss -tan` shows of one socket. */
struct synack_sockinfo {
	int state;               /* enum synack_tcp_state */
	uint32_t laddr, raddr;
	uint16_t lport, rport;
	uint32_t recv_q;         /* unread bytes (listener: connections waiting in accept queue) */
	uint32_t send_q;         /* unacknowledged + unsent bytes (listener: backlog) */
	uint32_t synq_len;       /* listener: half-open requests in its SYN queue */
	uint64_t timer_at;       /* when the connection's timer fires, or UINT64_MAX */
	uint32_t rto_us, srtt_us;
	uint32_t snd_mss;
	uint8_t snd_wscale, rcv_wscale;
	uint8_t ts_ok, sack_ok;
	uint32_t iss, irs;
	uint32_t snd_una, snd_nxt, rcv_nxt; /* RFC 9293 3.3.1 sequence variables */
	uint32_t snd_wnd;        /* the peer's window, scaled */
	uint32_t rcv_wnd;        /* the window we advertise now */
};
int synack_sockinfo(const struct synack_stack *st, int sock, struct synack_sockinfo *out);

/* Iterates over every connection the stack holds, including ones with no
 * handle (half-open requests in SYN_RCVD, not yet accepted, or closed by the
 * application but still closing) and TIME_WAIT entries.  fn gets the handle
 * (-1 if none).  Returns how many were visited.
 *
 * TIME_WAIT is held by a compact entry, never by a handle: when a connection
 * whose handle the application still holds enters TIME_WAIT, the handle
 * turns CLOSED (no error; unread data stays readable, then recv returns 0),
 * as Linux's socket does, and the TIME_WAIT entry shows here with sock -1.
 * Its info carries the state, addresses, timer_at, snd_nxt (= snd_una),
 * rcv_nxt, ts_ok, rcv_wnd and rcv_wscale; the other fields are 0. */
typedef void (*synack_sock_visit_fn)(void *ctx, int sock, const struct synack_sockinfo *info);
size_t synack_sock_foreach(const struct synack_stack *st, synack_sock_visit_fn fn, void *ctx);

#ifdef __cplusplus
}
#endif
#endif
