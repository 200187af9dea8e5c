/* The catalogue's reset and flag scenarios (`synack sim NAME`), asserted:
 * Q17 (the six flags), RST to a closed port, the RFC 5961 challenge ACK. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "catalogue.h"

#define MS(x) SYNACK_MS(x)

static void test_Q17_six_flags_and_the_receivers_reaction(void **state)
{
	(void)state;
	struct scenario_run *r = cat_play("q17-flags");
	/* SYN -> SYN_RCVD, ACK -> ESTABLISHED, FIN -> CLOSE_WAIT, RST -> CLOSED. */
	assert_string_equal(cat_states(r, S), "CLOSED>LISTEN LISTEN>SYN_RCVD SYN_RCVD>ESTABLISHED "
	                                      "ESTABLISHED>CLOSE_WAIT CLOSE_WAIT>CLOSED");
	assert_seg(r, 0, C, F_SYN, 0, 0, 0);
	assert_seg(r, 1, S, F_SA, 0, 1, 0);
	assert_seg(r, 2, C, F_A, 1, 1, 0);
	assert_seg(r, 3, C, F_PA, 1, 1, 7);
	assert_seg(r, 4, S, F_A, 1, 8, 0);
	assert_seg(r, 5, C, SYNACK_TCP_URG | F_PA, 8, 1, 1);
	assert_int_equal(scenario_seg(r, 5)->urg_ptr, 1);
	assert_seg(r, 6, S, F_A, 1, 9, 0);
	assert_seg(r, 7, C, F_FA, 9, 1, 0);
	assert_seg(r, 8, S, F_A, 1, 10, 0);
	assert_seg(r, 9, C, F_R, 10, 0, 0);
	assert_int_equal(scenario_seg_count(r), 10); /* a RST is never answered */
	assert_fact(r, "accepted", 1);
	assert_fact(r, "psh_read", 7);
	assert_fact(r, "urg_read", 1);   /* the urgent byte, in line */
	assert_fact(r, "urg_in_line", 1);
	assert_fact(r, "fin_read", 0);
	assert_fact(r, "rdhup_after_fin", 1);
	assert_fact(r, "last_ack", 10);
	assert_fact(r, "send_after_rst", -ECONNRESET);
	assert_fact(r, "answers_to_rst", 0);
	cat_done(r);
}

static void test_H09_R04_rst_to_closed_port_econnrefused(void **state)
{
	(void)state;
	struct scenario_run *r = cat_play("rst-closed-port");
	assert_int_equal(scenario_seg_count(r), 2);
	assert_seg(r, 0, C, F_SYN, 0, 0, 0);
	assert_seg(r, 1, S, F_RA, 0, 1, 0); /* <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK> */
	assert_fact(r, "rst_seq", 0);
	assert_fact(r, "rst_ack", 1);
	assert_seg_time(r, 1, MS(10), MS(20));
	assert_fact(r, "so_error", ECONNREFUSED);
	assert_fact(r, "client_closed_us", MS(20));
	assert_string_equal(cat_states(r, C), "CLOSED>SYN_SENT SYN_SENT>CLOSED");
	cat_done(r);
}

static void test_R01_R02_challenge_ack_for_spoofed_rst_and_syn(void **state)
{
	(void)state;
	struct scenario_run *r = cat_play("challenge-ack");
	assert_true(r->absolute);
	assert_fact(r, "challenge_acks_on_wire", 2);
	assert_fact(r, "challenge_acks", 2);
	assert_fact(r, "syn_challenges", 1);
	assert_fact(r, "server_resets", 0);
	assert_fact(r, "client_resets", 0);
	assert_fact(r, "ping_read", 4);
	assert_string_equal(cat_states(r, S), "CLOSED>LISTEN LISTEN>SYN_RCVD SYN_RCVD>ESTABLISHED");
	assert_string_equal(cat_states(r, C), "CLOSED>SYN_SENT SYN_SENT>ESTABLISHED");
	cat_done(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_Q17_six_flags_and_the_receivers_reaction),
		cmocka_unit_test(test_H09_R04_rst_to_closed_port_econnrefused),
		cmocka_unit_test(test_R01_R02_challenge_ack_for_spoofed_rst_and_syn),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
