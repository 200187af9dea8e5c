/* The socket-like API: every misuse is a clear negative errno, and
 * readiness is reported through the event hook as connections progress. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "scenario.h"

static const struct synack_link_model link10ms = {.delay_us = 10000};

static void test_api_misuse_errors(void **state)
{
	(void)state;
	struct scn x;
	scn_init(&x, 21, &link10ms, &link10ms, NULL);
	char buf[8];
	assert_int_equal(synack_send(x.c, 99, "x", 1, 0), -EBADF);
	assert_int_equal(synack_recv(x.c, -1, buf, 1, 0), -EBADF);
	assert_int_equal(synack_close(x.c, 5, 0), -EBADF);
	int s = synack_socket(x.c);
	assert_true(s >= 0);
	assert_int_equal(synack_send(x.c, s, "x", 1, 0), -ENOTCONN);
	assert_int_equal(synack_recv(x.c, s, buf, 1, 0), -ENOTCONN);
	assert_int_equal(synack_shutdown(x.c, s, SYNACK_SHUT_WR, 0), -ENOTCONN);
	assert_int_equal(synack_shutdown(x.c, s, 7, 0), -EINVAL);
	assert_int_equal(synack_bind(x.c, s, 0x01020304u, 80), -EADDRNOTAVAIL);
	assert_int_equal(synack_connect(x.c, s, 0, 80, 0), -EINVAL);
	assert_int_equal(synack_accept(x.c, s, NULL, NULL), -EINVAL);
	int v = 0;
	assert_int_equal(synack_getsockopt(x.c, s, (enum synack_sockopt)42, &v), -ENOPROTOOPT);
	/* Port conflicts. */
	int l = synack_socket(x.s), l2 = synack_socket(x.s);
	assert_int_equal(synack_bind(x.s, l, 0, 80), 0);
	assert_int_equal(synack_bind(x.s, l2, 0, 80), -EADDRINUSE);
	assert_int_equal(synack_bind(x.s, l, 0, 81), -EINVAL); /* already bound */
	assert_int_equal(synack_listen(x.s, l, 4), 0);
	assert_int_equal(synack_connect(x.s, l, CLIENT_ADDR, 80, 0), -EINVAL);
	assert_int_equal(synack_send(x.s, l, "x", 1, 0), -ENOTCONN);
	/* Connecting twice. */
	assert_int_equal(synack_connect(x.c, s, SERVER_ADDR, 80, 0), -EINPROGRESS);
	assert_int_equal(synack_connect(x.c, s, SERVER_ADDR, 80, 0), -EALREADY);
	assert_int_equal(synack_send(x.c, s, "x", 1, 0), -EAGAIN);
	scn_run_for(&x, SYNACK_MS(100));
	assert_int_equal(synack_connect(x.c, s, SERVER_ADDR, 80, scn_now(&x)), -EISCONN);
	assert_int_equal(synack_close(x.c, s, scn_now(&x)), 0);
	assert_int_equal(synack_close(x.c, s, scn_now(&x)), -EBADF); /* the handle is gone */
	scn_free(&x);
}

static void test_api_pool_exhaustion_is_enobufs(void **state)
{
	(void)state;
	struct scn x;
	scn_init(&x, 22, &link10ms, &link10ms, NULL);
	int n = 0;
	while (synack_socket(x.c) >= 0)
		n++;
	assert_int_equal(n, 64);
	assert_int_equal(synack_socket(x.c), -ENOBUFS);
	scn_free(&x);
}

struct evlog {
	int n;
	int sock[64], events[64], node[64];
};

static void on_event(void *ctx, int node, int sock, int events)
{
	struct evlog *e = ctx;
	if (e->n < 64) {
		e->node[e->n] = node;
		e->sock[e->n] = sock;
		e->events[e->n++] = events;
	}
}

static void test_api_event_hook_reports_progress(void **state)
{
	(void)state;
	struct scn x;
	scn_init(&x, 23, &link10ms, &link10ms, NULL);
	struct evlog log = {0};
	struct synack_sim_hooks mine = {.sock_event = on_event, .ctx = &log};
	synack_sim_set_hooks(x.sim, &mine);
	int l = synack_socket(x.s);
	synack_bind(x.s, l, 0, 80);
	synack_listen(x.s, l, 4);
	int c = synack_socket(x.c);
	synack_connect(x.c, c, SERVER_ADDR, 80, 0);
	scn_run_for(&x, SYNACK_MS(100));
	/* The client learns it is connected (writable), the listener that it can accept. */
	bool client_out = false, listener_in = false;
	for (int i = 0; i < log.n; i++) {
		if (log.node[i] == x.cnode && log.sock[i] == c && (log.events[i] & SYNACK_POLLOUT))
			client_out = true;
		if (log.node[i] == x.snode && log.sock[i] == l && (log.events[i] & SYNACK_POLLIN))
			listener_in = true;
	}
	assert_true(client_out);
	assert_true(listener_in);
	int a = synack_accept(x.s, l, NULL, NULL);
	log.n = 0;
	synack_send(x.c, c, "hi", 2, scn_now(&x));
	scn_run_for(&x, SYNACK_MS(100));
	bool readable = false;
	for (int i = 0; i < log.n; i++)
		if (log.node[i] == x.snode && log.sock[i] == a && (log.events[i] & SYNACK_POLLIN))
			readable = true;
	assert_true(readable);
	assert_int_equal(synack_sock_events(x.s, a) & (SYNACK_POLLIN | SYNACK_POLLOUT), SYNACK_POLLIN | SYNACK_POLLOUT);
	scn_free(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_api_misuse_errors),
		cmocka_unit_test(test_api_pool_exhaustion_is_enobufs),
		cmocka_unit_test(test_api_event_hook_reports_progress),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
