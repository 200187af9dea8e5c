/* The catalogue's TIME_WAIT scenarios (`synack sim NAME`), asserted: Q10
 * (an old duplicate meets TIME_WAIT, an old and a new SYN for a 4-tuple in
 * TIME_WAIT), Q11 (a client out of ports, and the ways out) and Q13
 * (SO_REUSEADDR for a restarted server).  The lost last ACK, Q10's other
 * half, is asserted in test_scn_close.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "catalogue.h"

#define MS(x) SYNACK_MS(x)
#define SEC(x) SYNACK_SEC(x)

/* The first segment sent at exactly t. */
static const struct synack_ladder_seg *seg_at(const struct scenario_run *r, synack_time_t t)
{
	for (size_t i = 0; i < scenario_seg_count(r); i++)
		if (scenario_seg(r, i)->time == t)
			return scenario_seg(r, i);
	return NULL;
}

static void test_Q10_T03_T04_old_duplicate_meets_time_wait(void **state)
{
	(void)state;
	struct scenario_run *r = cat_play("q10-old-duplicate");
	assert_fact(r, "reply_read", 5);
	assert_fact(r, "client_tw_us", MS(310));
	/* T04: the only port's 4-tuple is held. */
	assert_fact(r, "connect_in_time_wait", -EADDRNOTAVAIL);
	/* T03: the late copy is answered with TIME_WAIT's ACK (the same ACK
	 * as the last one of the close), which restarts 2*MSL; the server's
	 * RST is ignored (RFC 1337). */
	assert_fact(r, "duplicate_us", SEC(5));
	const struct synack_ladder_seg *dup = seg_at(r, SEC(5));
	assert_non_null(dup);
	assert_int_equal(dup->from_col, S);
	assert_int_equal(dup->payload_len, 5);
	assert_int_equal(dup->rel_seq, 1);
	assert_fact(r, "duplicate_acked_us", SEC(5) + MS(10));
	const struct synack_ladder_seg *ack = seg_at(r, SEC(5) + MS(10)), *last = seg_at(r, MS(310));
	assert_non_null(ack);
	assert_non_null(last);
	assert_int_equal(ack->flags, F_A);
	assert_int_equal(ack->seq, last->seq);
	assert_int_equal(ack->ack, last->ack);
	assert_fact(r, "server_rst_us", SEC(5) + MS(20));
	assert_fact(r, "time_wait_after_duplicate", 1);
	assert_int_equal(r->counters[C].TcpExtPAWSTimewait, 1); /* its timestamp is older too */
	assert_fact(r, "client_tw_end_us", SEC(5) + MS(10) + SEC(60));
	/* After TIME_WAIT, the same 4-tuple opens a new incarnation. */
	assert_fact(r, "connect_after_time_wait", -EINPROGRESS);
	assert_fact(r, "new_connection_accepted", 1);
	assert_int_equal(scenario_count_segs(r, C, F_SYN), 2);
	cat_done(r);
}

static void test_Q10_T05_T03_old_and_new_syn_in_time_wait(void **state)
{
	(void)state;
	struct scenario_run *r = cat_play("q10-syn-in-time-wait");
	assert_fact(r, "server_tw_us", MS(310));
	/* The copy of the first SYN: behind RCV.NXT, older TSval: the TIME_WAIT
	 * ACK, the client's RST (ignored), no new connection. */
	assert_fact(r, "old_syn_us", SEC(1));
	assert_fact(r, "old_syn_acked_us", SEC(1) + MS(10));
	assert_fact(r, "client_rst_us", SEC(1) + MS(20));
	assert_fact(r, "time_wait_after_old_syn", 1);
	assert_fact(r, "connections_after_old_syn", 0);
	assert_int_equal(r->counters[S].TcpExtPAWSTimewait, 1);
	/* The new SYN, 2 s later on the ISN clock (4 us ticks: 500,000 past
	 * the first ISN, which the old incarnation's RCV.NXT is 7 beyond),
	 * with a newer TSval: accepted at once (RFC 6191). */
	assert_fact(r, "connect_rc", -EINPROGRESS);
	assert_fact(r, "new_syn_beyond_rcv_nxt", 500000 - 7);
	assert_fact(r, "new_connection_accepted", 1);
	assert_fact(r, "time_wait_after_new_syn", 0);
	assert_int_equal(r->counters[S].TcpPassiveOpens, 2);
	assert_true(cat_ends(cat_states(r, S), "FIN_WAIT_2>TIME_WAIT TIME_WAIT>CLOSED LISTEN>SYN_RCVD "
	                                       "SYN_RCVD>ESTABLISHED"));
	cat_done(r);
}

static void test_Q11_T04_client_runs_out_of_ports(void **state)
{
	(void)state;
	struct scenario_run *r = cat_play("q11-port-exhaustion");
	assert_fact(r, "requests_served", 3);
	assert_fact(r, "connect_failures", 1);
	assert_fact(r, "client_time_wait", 3);
	assert_fact(r, "connect_after_2msl", 0); /* at 61 s, the oldest entry gone */
	assert_fact(r, "tw_recycled", 0);
	assert_fact(r, "tw_overflow", 0);
	assert_fact(r, "active_opens", 4);
	assert_int_equal(scenario_count_segs(r, C, F_SYN), 4);
	cat_done(r);
}

static void test_Q11_T04_tw_reuse_takes_over_an_entry(void **state)
{
	(void)state;
	struct scenario_run *r = cat_play("q11-tw-reuse");
	assert_fact(r, "requests_served", 4);
	assert_fact(r, "connect_failures", 0);
	assert_fact(r, "tw_recycled", 1);
	assert_fact(r, "client_time_wait", 3); /* the taken-over entry's connection left one of its own */
	assert_fact(r, "active_opens", 4);
	cat_done(r);
}

static void test_Q11_T08_linger_zero_resets_instead(void **state)
{
	(void)state;
	struct scenario_run *r = cat_play("q11-linger-zero");
	assert_fact(r, "connect_failures", 0);
	assert_fact(r, "client_time_wait", 0);
	assert_fact(r, "requests_served", 4);
	assert_fact(r, "server_resets", 4);
	assert_int_equal(scenario_count_segs(r, C, F_RA), 4);
	assert_int_equal(scenario_count_segs(r, C, F_FA), 0);
	assert_int_equal(r->counters[C].TcpExtTCPAbortOnData, 4);
	assert_int_equal(r->counters[C].TcpExtTW, 0);
	cat_done(r);
}

static void test_Q11_T06_max_tw_buckets_skips_time_wait(void **state)
{
	(void)state;
	struct scenario_run *r = cat_play("q11-max-tw-buckets");
	assert_fact(r, "requests_served", 4);
	assert_fact(r, "connect_failures", 0);
	assert_fact(r, "client_time_wait", 1);
	assert_fact(r, "tw_overflow", 3);
	assert_int_equal(cat_count(cat_states(r, C), "FIN_WAIT_2>CLOSED"), 3);
	assert_int_equal(cat_count(cat_states(r, C), "FIN_WAIT_2>TIME_WAIT"), 1);
	cat_done(r);
}

static void test_Q11_keep_alive_one_connection(void **state)
{
	(void)state;
	struct scenario_run *r = cat_play("q11-keep-alive");
	assert_fact(r, "requests_served", 4);
	assert_fact(r, "connect_failures", 0);
	assert_fact(r, "client_time_wait", 1);
	assert_fact(r, "active_opens", 1);
	assert_int_equal(scenario_count_segs(r, C, F_SYN), 1);
	assert_int_equal(scenario_count_segs(r, C, F_PA), 4);
	cat_done(r);
}

static void test_Q13_T07_restarted_server_with_so_reuseaddr(void **state)
{
	(void)state;
	struct scenario_run *r = cat_play("q13-reuseaddr");
	assert_fact(r, "server_tw_us", MS(310));
	assert_fact(r, "time_wait_at_stop", 1);
	assert_fact(r, "bind_without_reuseaddr", -EADDRINUSE);
	assert_fact(r, "bind_with_reuseaddr", 0);
	assert_fact(r, "restarted_server_served", 1);
	assert_fact(r, "time_wait_while_serving", 1);
	cat_done(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_Q10_T03_T04_old_duplicate_meets_time_wait),
		cmocka_unit_test(test_Q10_T05_T03_old_and_new_syn_in_time_wait),
		cmocka_unit_test(test_Q11_T04_client_runs_out_of_ports),
		cmocka_unit_test(test_Q11_T04_tw_reuse_takes_over_an_entry),
		cmocka_unit_test(test_Q11_T08_linger_zero_resets_instead),
		cmocka_unit_test(test_Q11_T06_max_tw_buckets_skips_time_wait),
		cmocka_unit_test(test_Q11_keep_alive_one_connection),
		cmocka_unit_test(test_Q13_T07_restarted_server_with_so_reuseaddr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
