/* The catalogue's opening scenarios (`synack sim NAME`), asserted: what
 * each prints as its answer is what these assertions hold.  Q01, Q02, Q04,
 * Q05, Q06, Q14, Q15, Q16 (open). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "catalogue.h"

#define MS(x) SYNACK_MS(x)

static void test_Q01_H01_H02_H03_handshake(void **state)
{
	(void)state;
	struct scenario_run *r = cat_play("q01-handshake");
	assert_int_equal(scenario_seg_count(r), 3);
	assert_seg(r, 0, C, F_SYN, 0, 0, 0);  /* SYN seq=x */
	assert_seg(r, 1, S, F_SA, 0, 1, 0);   /* SYN+ACK seq=y ack=x+1 */
	assert_seg(r, 2, C, F_A, 1, 1, 0);    /* ACK seq=x+1 ack=y+1 */
	assert_seg_time(r, 0, 0, MS(10));
	assert_seg_time(r, 1, MS(10), MS(20));
	assert_seg_time(r, 2, MS(20), MS(30));
	assert_string_equal(cat_states(r, C), "CLOSED>SYN_SENT SYN_SENT>ESTABLISHED");
	assert_string_equal(cat_states(r, S), "CLOSED>LISTEN LISTEN>SYN_RCVD SYN_RCVD>ESTABLISHED");
	assert_fact(r, "client_established_us", MS(20)); /* one round trip */
	assert_fact(r, "server_established_us", MS(30)); /* when the third segment lands */
	assert_fact(r, "accepted", 1);
	assert_true(scenario_seg(r, 0)->options & SYNACK_OPT_MSS);
	cat_done(r);
}

static void test_Q02_H11_old_duplicate_syn_reset_by_client(void **state)
{
	(void)state;
	struct scenario_run *r = cat_play("q02-old-duplicate-syn");
	assert_int_equal(scenario_seg_count(r), 6);
	assert_seg(r, 0, C, F_SYN, 0, 0, 0);   /* the real SYN, held up */
	assert_seg_time(r, 0, 0, MS(50));
	assert_seg(r, 1, C, F_SYN, -10, 0, 0); /* the old duplicate, first to arrive */
	assert_seg_time(r, 1, 0, MS(10));
	assert_seg(r, 2, S, F_SA, 0, -9, 0);   /* the server answers the old SYN */
	assert_seg(r, 3, C, F_R, -9, 0, 0);    /* the client: not my SYN */
	assert_seg_time(r, 3, MS(20), MS(30));
	assert_seg(r, 4, S, F_SA, 0, 1, 0);    /* the real SYN's answer, a new ISN */
	assert_seg_time(r, 4, MS(50), MS(60));
	assert_seg(r, 5, C, F_A, 1, 1, 0);
	assert_int_not_equal(scenario_seg(r, 2)->seq, scenario_seg(r, 4)->seq);
	assert_string_equal(cat_states(r, C), "CLOSED>SYN_SENT SYN_SENT>ESTABLISHED");
	assert_true(cat_starts(cat_states(r, S), "CLOSED>LISTEN LISTEN>SYN_RCVD SYN_RCVD>LISTEN"));
	assert_true(cat_ends(cat_states(r, S), "LISTEN>SYN_RCVD SYN_RCVD>ESTABLISHED"));
	assert_fact(r, "server_listen_again_us", MS(30));
	assert_fact(r, "old_synack_ack", -9);
	assert_fact(r, "rst_seq", -9);
	assert_fact(r, "accepted", 1); /* one connection: the one the client asked for */
	cat_done(r);
}

static void test_Q04_H07_synack_backoff(void **state)
{
	(void)state;
	struct scenario_run *r = cat_play("q04-synack-backoff");
	/* SYN+ACK when the SYN lands, then 1, 2, 4, 8, 16 s apart. */
	const int64_t want[] = {0, 1, 3, 7, 15, 31};
	assert_fact(r, "synacks", 6);
	for (int i = 0; i < 6; i++) {
		char name[32];
		snprintf(name, sizeof name, "synack%d_us", i);
		assert_fact(r, name, MS(10) + SYNACK_SEC(want[i]));
	}
	assert_fact(r, "same_synack", 1);
	/* Nothing more from the server until the late ACK at 70 s, then at
	 * most a RST: the request is gone. */
	for (size_t i = 0; i < scenario_seg_count(r); i++) {
		const struct synack_ladder_seg *s = scenario_seg(r, i);
		if (s->from_col == S && s->flags == F_SA)
			continue;
		if (s->from_col == S) {
			assert_int_equal(s->time, SYNACK_SEC(70) + MS(10));
			assert_true(s->flags & SYNACK_TCP_RST);
		}
	}
	int64_t answer = cat_fact(r, "late_ack_answer_flags");
	assert_true(answer == 0 || (answer & SYNACK_TCP_RST));
	assert_fact(r, "accepted", 0);
	assert_null(strstr(cat_states(r, S), "ESTABLISHED"));
	assert_true(cat_starts(cat_states(r, S), "CLOSED>LISTEN LISTEN>SYN_RCVD"));
	assert_fact(r, "listening_after", 1);
	cat_done(r);
}

static void test_Q05_H05_isn_differs_per_tuple_and_moves_with_clock(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 2; seed++) {
		struct scenario_run *r = cat_play_seed("q05-isn", seed);
		assert_true(r->absolute);
		/* Parallel connections: unrelated ISNs. */
		assert_int_not_equal(cat_fact(r, "isn_a"), cat_fact(r, "isn_b"));
		assert_int_not_equal(cat_fact(r, "server_isn_a"), cat_fact(r, "server_isn_b"));
		/* The same 4-tuple 100 s later: exactly 100 s / 4 us further. */
		assert_fact(r, "delta_client", 25000000);
		assert_fact(r, "delta_server", 25000000);
		assert_int_equal(scenario_seg(r, 0)->seq, (uint32_t)cat_fact(r, "isn_a"));
		cat_done(r);
	}
	/* Another seed, another secret: other ISNs. */
	struct scenario_run *a = cat_play_seed("q05-isn", 1), *b = cat_play_seed("q05-isn", 2);
	assert_int_not_equal(cat_fact(a, "isn_a"), cat_fact(b, "isn_a"));
	cat_done(a);
	cat_done(b);
}

static void test_Q06_H04_F01_syn_data_not_delivered_third_segment_data_is(void **state)
{
	(void)state;
	struct scenario_run *r = cat_play("q06-data-in-handshake");
	assert_int_equal(scenario_seg_count(r), 4);
	assert_seg(r, 0, C, F_SYN, 0, 0, 5); /* 5 bytes on the SYN ... */
	assert_seg(r, 1, S, F_SA, 0, 1, 0);  /* ... not acknowledged */
	assert_seg(r, 2, C, F_PA, 1, 1, 5);  /* 5 bytes on the third segment ... */
	assert_seg(r, 3, S, F_A, 1, 6, 0);   /* ... acknowledged */
	assert_fact(r, "synack_ack", 1);
	assert_fact(r, "third_ack", 6);
	assert_fact(r, "delivered", 5);
	assert_fact(r, "delivered_hello", 1);
	assert_fact(r, "recv_again", -EAGAIN); /* "early" never shows up */
	cat_done(r);
}

static void test_Q14_H12_lost_third_ack_data_completes_handshake(void **state)
{
	(void)state;
	struct scenario_run *r = cat_play("lost-third-ack"); /* the alias */
	assert_string_equal(r->scn->name, "q14-lost-third-ack");
	assert_int_equal(scenario_seg_count(r), 7);
	assert_seg(r, 0, C, F_SYN, 0, 0, 0);
	assert_seg(r, 1, S, F_SA, 0, 1, 0);
	assert_seg(r, 2, C, F_A, 1, 1, 0);
	assert_seg_time(r, 2, MS(20), SYNACK_TIME_NEVER);
	assert_seg(r, 3, S, F_SA, 0, 1, 0); /* retransmitted after 1 s */
	assert_seg_time(r, 3, MS(1010), MS(1020));
	assert_seg(r, 4, C, F_A, 1, 1, 0);
	assert_seg_time(r, 4, MS(1020), SYNACK_TIME_NEVER);
	assert_seg(r, 5, C, F_PA, 1, 1, 3); /* the request carries the ACK */
	assert_seg_time(r, 5, MS(1500), MS(1510));
	assert_seg(r, 6, S, F_A, 1, 4, 0);
	assert_fact(r, "client_established_us", MS(20));
	assert_fact(r, "server_established_us", MS(1510));
	assert_fact(r, "synack_retransmit_us", MS(1010));
	assert_fact(r, "lost_acks", 2);
	assert_fact(r, "delivered", 3);
	assert_true(cat_ends(cat_states(r, S), "LISTEN>SYN_RCVD SYN_RCVD>ESTABLISHED"));
	cat_done(r);
}

static void test_Q14_H12_H07_server_gave_up_client_data_gets_rst(void **state)
{
	(void)state;
	struct scenario_run *r = cat_play("q14-server-gave-up");
	const int64_t sa_at[] = {0, 1, 3, 7, 15, 31};
	assert_fact(r, "synacks", 6);
	for (size_t i = 0; i < 6; i++) {
		assert_seg(r, 1 + 2 * i, S, F_SA, 0, 1, 0);
		assert_seg_time(r, 1 + 2 * i, MS(10) + SYNACK_SEC(sa_at[i]), MS(20) + SYNACK_SEC(sa_at[i]));
		assert_seg(r, 2 + 2 * i, C, F_A, 1, 1, 0);
		assert_true(scenario_seg(r, 2 + 2 * i)->lost);
	}
	assert_int_equal(scenario_seg_count(r), 15);
	assert_seg(r, 13, C, F_PA, 1, 1, 3);
	assert_seg_time(r, 13, SYNACK_SEC(70), SYNACK_SEC(70) + MS(10));
	assert_int_equal(scenario_seg(r, 14)->from_col, S);
	assert_true(scenario_seg(r, 14)->flags & SYNACK_TCP_RST);
	assert_int_equal(scenario_seg(r, 14)->seq, scenario_seg(r, 13)->ack); /* exactly the client's RCV.NXT */
	assert_fact(r, "rst_us", SYNACK_SEC(70) + MS(10));
	assert_fact(r, "client_recv", -ECONNRESET);
	assert_fact(r, "accepted", 0);
	assert_string_equal(cat_states(r, C), "CLOSED>SYN_SENT SYN_SENT>ESTABLISHED ESTABLISHED>CLOSED");
	assert_null(strstr(cat_states(r, S), "ESTABLISHED"));
	cat_done(r);
}

static void test_Q15_H11_H13_old_syn_in_syn_rcvd_back_to_listen(void **state)
{
	(void)state;
	struct scenario_run *r = cat_play("q15-old-syn-in-syn-rcvd");
	assert_int_equal(scenario_seg_count(r), 6); /* and nothing in the 10 s after */
	assert_seg(r, 0, C, F_SYN, 0, 0, 0);
	assert_seg(r, 1, C, F_SYN, 0, 0, 0);
	assert_seg_time(r, 1, MS(5), MS(15));
	assert_seg(r, 2, S, F_SA, 0, 1, 0);
	assert_seg(r, 3, S, F_SA, 0, 1, 0); /* the same SYN+ACK, not a second request */
	assert_seg_time(r, 3, MS(15), MS(25));
	assert_seg(r, 4, C, F_R, 1, 0, 0);  /* <SEQ=SEG.ACK><CTL=RST> from a host with no connection */
	assert_seg(r, 5, C, F_R, 1, 0, 0);
	assert_fact(r, "same_synack", 1);
	assert_fact(r, "server_listen_again_us", MS(30));
	assert_fact(r, "accepted", 0);
	assert_true(cat_starts(cat_states(r, S), "CLOSED>LISTEN LISTEN>SYN_RCVD SYN_RCVD>LISTEN"));
	assert_null(strstr(cat_states(r, S), "ESTABLISHED"));
	assert_string_equal(cat_states(r, C), "");
	cat_done(r);
}

static void test_Q16_H10_simultaneous_open_one_connection(void **state)
{
	(void)state;
	struct scenario_run *r = cat_play("simultaneous-open");
	const char *want = "CLOSED>SYN_SENT SYN_SENT>SYN_RCVD SYN_RCVD>ESTABLISHED";
	assert_string_equal(cat_states(r, C), want);
	assert_string_equal(cat_states(r, S), want);
	/* The SYNs cross, then the SYN+ACKs cross. */
	assert_seg(r, 0, C, F_SYN, 0, 0, 0);
	assert_seg(r, 1, S, F_SYN, 0, 0, 0);
	assert_seg_time(r, 0, 0, MS(10));
	assert_seg_time(r, 1, 0, MS(10));
	assert_int_equal(scenario_seg(r, 2)->flags, F_SA);
	assert_int_equal(scenario_seg(r, 3)->flags, F_SA);
	assert_int_not_equal(scenario_seg(r, 2)->from_col, scenario_seg(r, 3)->from_col);
	assert_int_equal(scenario_seg(r, 2)->rel_ack, 1);
	assert_int_equal(scenario_seg(r, 3)->rel_ack, 1);
	assert_int_equal(scenario_seg(r, 2)->rel_seq, 0); /* the same ISN as the SYN */
	assert_fact(r, "syns", 2);
	assert_fact(r, "synacks", 2);
	assert_fact(r, "established_us", MS(20));
	assert_fact(r, "opening_segments", 4 + cat_fact(r, "acks"));
	/* One connection: the data crosses it, each side counts one. */
	assert_fact(r, "b_received", 4);
	assert_fact(r, "a_estab", 1);
	assert_fact(r, "b_estab", 1);
	cat_done(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_Q01_H01_H02_H03_handshake),
		cmocka_unit_test(test_Q02_H11_old_duplicate_syn_reset_by_client),
		cmocka_unit_test(test_Q04_H07_synack_backoff),
		cmocka_unit_test(test_Q05_H05_isn_differs_per_tuple_and_moves_with_clock),
		cmocka_unit_test(test_Q06_H04_F01_syn_data_not_delivered_third_segment_data_is),
		cmocka_unit_test(test_Q14_H12_lost_third_ack_data_completes_handshake),
		cmocka_unit_test(test_Q14_H12_H07_server_gave_up_client_data_gets_rst),
		cmocka_unit_test(test_Q15_H11_H13_old_syn_in_syn_rcvd_back_to_listen),
		cmocka_unit_test(test_Q16_H10_simultaneous_open_one_connection),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
