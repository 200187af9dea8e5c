/* Opening a connection: SPEC H01-H06, H08-H13, on the simulated network,
 * asserting the exact segments (relative seq/ack) and both ends' states. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "scenario.h"

static const struct synack_link_model link10ms = {.delay_us = 10000};

/* A listening server on port 80 and a client connecting to it at t=0. */
static void open_pair(struct scn *x, int *lsock, int *csock)
{
	*lsock = synack_socket(x->s);
	assert_int_equal(synack_bind(x->s, *lsock, 0, 80), 0);
	assert_int_equal(synack_listen(x->s, *lsock, 16), 0);
	*csock = synack_socket(x->c);
	assert_int_equal(synack_connect(x->c, *csock, SERVER_ADDR, 80, scn_now(x)), -EINPROGRESS);
}

static void test_H01_H02_H03_three_way_handshake(void **state)
{
	(void)state;
	struct scn x;
	scn_init(&x, 1, &link10ms, &link10ms, NULL);
	int l, c;
	open_pair(&x, &l, &c);
	scn_run_for(&x, SYNACK_MS(100));
	assert_int_equal(scn_seg_count(&x), 3);
	assert_seg(&x, 0, C, F_SYN, 0, 0, 0);  /* SYN seq=x */
	assert_seg(&x, 1, S, F_SA, 0, 1, 0);   /* SYN+ACK seq=y ack=x+1 */
	assert_seg(&x, 2, C, F_A, 1, 1, 0);    /* ACK seq=x+1 ack=y+1 */
	char buf[256];
	assert_string_equal(scn_states(&x, C, buf, sizeof(buf)), "CLOSED>SYN_SENT SYN_SENT>ESTABLISHED");
	assert_string_equal(scn_states(&x, S, buf, sizeof(buf)),
	                    "CLOSED>LISTEN LISTEN>SYN_RCVD SYN_RCVD>ESTABLISHED");
	/* The client is ESTABLISHED one RTT after connect, the server half an RTT later. */
	assert_true(synack_sock_events(x.c, c) & SYNACK_POLLOUT);
	uint32_t pa;
	uint16_t pp;
	int a = synack_accept(x.s, l, &pa, &pp);
	assert_true(a >= 0);
	assert_int_equal(pa, CLIENT_ADDR);
	assert_int_equal(synack_accept(x.s, l, NULL, NULL), -EAGAIN);
	struct synack_sockinfo ci, si;
	assert_int_equal(synack_sockinfo(x.c, c, &ci), 0);
	assert_int_equal(synack_sockinfo(x.s, a, &si), 0);
	assert_int_equal(ci.state, SYNACK_ESTABLISHED);
	assert_int_equal(si.state, SYNACK_ESTABLISHED);
	assert_int_equal(ci.iss, si.irs);
	assert_int_equal(si.iss, ci.irs);
	assert_int_equal(pp, ci.lport);
	/* Options both sides offered are in use (H06). */
	assert_true(ci.ts_ok && ci.sack_ok && si.ts_ok && si.sack_ok);
	assert_int_equal(ci.snd_mss, 1460 - 12);
	const struct synack_counters *cc = synack_get_counters(x.c), *sc = synack_get_counters(x.s);
	assert_int_equal(cc->TcpActiveOpens, 1);
	assert_int_equal(sc->TcpPassiveOpens, 1);
	assert_int_equal(cc->TcpCurrEstab, 1);
	assert_int_equal(sc->TcpCurrEstab, 1);
	scn_free(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_H01_H02_H03_three_way_handshake),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
