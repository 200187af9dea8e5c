/* The catalogue's closing scenarios (`synack sim NAME`), asserted: the
 * headline lifecycle, Q08, Q09, Q12, Q16 (close) and the lost last ACK (Q10). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "catalogue.h"

#define MS(x) SYNACK_MS(x)

static void test_lifecycle_H01_H03_C01_C06_headline(void **state)
{
	(void)state;
	struct scenario_run *r = cat_play("lifecycle");
	assert_int_equal(scenario_seg_count(r), 11);
	assert_seg(r, 0, C, F_SYN, 0, 0, 0);
	assert_seg(r, 1, S, F_SA, 0, 1, 0);
	assert_seg(r, 2, C, F_A, 1, 1, 0);
	assert_seg(r, 3, C, F_PA, 1, 1, 18);  /* the request */
	assert_seg(r, 4, S, F_A, 1, 19, 0);
	assert_seg(r, 5, S, F_PA, 1, 19, 44); /* the reply */
	assert_seg(r, 6, C, F_A, 19, 45, 0);
	assert_seg(r, 7, C, F_FA, 19, 45, 0);
	assert_seg(r, 8, S, F_A, 45, 20, 0);
	assert_seg(r, 9, S, F_FA, 45, 20, 0);
	assert_seg(r, 10, C, F_A, 20, 46, 0);
	assert_fact(r, "request_read", 18);
	assert_fact(r, "reply_read", 44);
	assert_fact(r, "eof_read", 0);
	assert_fact(r, "client_tw_us", MS(410));
	assert_fact(r, "client_tw_end_us", MS(410) + SYNACK_SEC(60));
	assert_fact(r, "server_tw_us", -1);
	assert_true(cat_ends(cat_states(r, S), "ESTABLISHED>CLOSE_WAIT CLOSE_WAIT>LAST_ACK LAST_ACK>CLOSED"));
	cat_done(r);
}

/* The README's lossy demo: 30% loss each way, seed 3.  The lifecycle still
 * completes, and the lost segments are marked. */
static void test_lifecycle_over_lossy_link(void **state)
{
	(void)state;
	struct scenario_run r;
	struct scenario_params p = {.seed = 3, .loss = 0.3};
	int rc = scenario_play(scenario_find("lifecycle"), &p, &r);
	if (rc != 0)
		cat_print(&r);
	assert_int_equal(rc, 0);
	size_t lost = 0;
	for (size_t i = 0; i < scenario_seg_count(&r); i++)
		lost += scenario_seg(&r, i)->lost;
	assert_true(lost > 0);
	assert_true(cat_fact(&r, "client_tw_end_us") > 0);
	char *text = cat_render(&r, false, false);
	assert_int_equal(cat_count(text, "LOST"), lost);
	free(text);
	scenario_run_free(&r);
}

static void test_Q08_C01_C02_C03_C05_C06_four_way_close(void **state)
{
	(void)state;
	struct scenario_run *r = cat_play("q08-four-way-close");
	/* FIN seq=u; ACK ack=u+1; FIN seq=w ack=u+1; ACK seq=u+1 ack=w+1. */
	assert_fact(r, "close_segments", 4);
	assert_fact(r, "u", 6);
	assert_fact(r, "w", 1);
	size_t b = scenario_seg_count(r) - 4;
	assert_seg(r, b + 0, C, F_FA, 6, 1, 0);
	assert_seg(r, b + 1, S, F_A, 1, 7, 0);
	assert_seg(r, b + 2, S, F_FA, 1, 7, 0);
	assert_seg(r, b + 3, C, F_A, 7, 2, 0);
	assert_seg_time(r, b + 0, MS(300), MS(310));
	assert_seg_time(r, b + 2, MS(400), MS(410));
	assert_string_equal(cat_states(r, C), "CLOSED>SYN_SENT SYN_SENT>ESTABLISHED ESTABLISHED>FIN_WAIT_1 "
	                                      "FIN_WAIT_1>FIN_WAIT_2 FIN_WAIT_2>TIME_WAIT TIME_WAIT>CLOSED");
	assert_string_equal(cat_states(r, S), "CLOSED>LISTEN LISTEN>SYN_RCVD SYN_RCVD>ESTABLISHED "
	                                      "ESTABLISHED>CLOSE_WAIT CLOSE_WAIT>LAST_ACK LAST_ACK>CLOSED");
	assert_fact(r, "eof_read", 0);
	assert_fact(r, "client_tw_us", MS(410));
	assert_fact(r, "client_tw_end_us", MS(410) + SYNACK_SEC(60)); /* 2*MSL */
	cat_done(r);
}

static void test_Q09_C04_half_close_server_keeps_sending(void **state)
{
	(void)state;
	struct scenario_run *r = cat_play("half-close");
	assert_fact(r, "server_eof", 0);
	assert_fact(r, "data_segments_after_fin", 3);
	assert_fact(r, "client_read", 42);
	assert_fact(r, "client_state_reading", SYNACK_FIN_WAIT_2);
	assert_fact(r, "client_eof", 0);
	/* Every server data segment left while the server was in CLOSE_WAIT,
	 * between its ACK of the client's FIN and its own FIN. */
	synack_time_t cw = scenario_state_time(r, S, SYNACK_CLOSE_WAIT, 0);
	synack_time_t la = scenario_state_time(r, S, SYNACK_LAST_ACK, 0);
	assert_true(cw != SYNACK_TIME_NEVER && la != SYNACK_TIME_NEVER);
	size_t data = 0;
	for (size_t i = 0; i < scenario_seg_count(r); i++) {
		const struct synack_ladder_seg *s = scenario_seg(r, i);
		if (s->from_col != S || s->payload_len == 0)
			continue;
		assert_true(s->time >= cw && s->time < la);
		data++;
	}
	assert_int_equal(data, 3);
	assert_true(strstr(cat_states(r, C), "FIN_WAIT_1>FIN_WAIT_2 FIN_WAIT_2>TIME_WAIT") != NULL);
	cat_done(r);
}

static void test_Q12_C02_close_wait_piles_up(void **state)
{
	(void)state;
	struct scenario_run *r = cat_play("q12-close-wait");
	assert_fact(r, "eofs_read", 3);
	assert_fact(r, "server_close_wait", 3);
	assert_fact(r, "client_connections", 0);
	assert_fact(r, "client_fin_wait_2_us", SYNACK_SEC(60)); /* fin_timeout */
	/* The ss view at the end: the listener and three CLOSE_WAIT. */
	const struct synack_ladder_note *last = synack_ladder_note_get(r->lad, synack_ladder_note_count(r->lad) - 1);
	assert_non_null(last);
	assert_int_equal(last->time, SYNACK_SEC(120));
	assert_int_equal(cat_count(last->text, "\nCLOSE_WAIT "), 3);
	assert_int_equal(cat_count(last->text, "\nLISTEN "), 1);
	assert_non_null(strstr(last->text, "192.0.2.1:40003"));
	/* No FIN from the server, ever. */
	for (size_t i = 0; i < scenario_seg_count(r); i++) {
		const struct synack_ladder_seg *s = scenario_seg(r, i);
		assert_false(s->from_col == S && (s->flags & (SYNACK_TCP_FIN | SYNACK_TCP_RST)));
	}
	cat_done(r);
}

static void test_Q16_C07_simultaneous_close(void **state)
{
	(void)state;
	struct scenario_run *r = cat_play("simultaneous-close");
	assert_fact(r, "both_closing", 1);
	assert_fact(r, "close_segments", 4);
	size_t b = scenario_seg_count(r) - 4;
	/* The FINs cross, then the ACKs cross. */
	assert_int_equal(scenario_seg(r, b)->flags, F_FA);
	assert_int_equal(scenario_seg(r, b + 1)->flags, F_FA);
	assert_int_not_equal(scenario_seg(r, b)->from_col, scenario_seg(r, b + 1)->from_col);
	assert_seg_time(r, b, MS(200), MS(210));
	assert_seg_time(r, b + 1, MS(200), MS(210));
	assert_int_equal(scenario_seg(r, b + 2)->flags, F_A);
	assert_int_equal(scenario_seg(r, b + 3)->flags, F_A);
	const char *tail = "ESTABLISHED>FIN_WAIT_1 FIN_WAIT_1>CLOSING CLOSING>TIME_WAIT TIME_WAIT>CLOSED";
	assert_true(cat_ends(cat_states(r, C), tail));
	assert_true(cat_ends(cat_states(r, S), tail));
	/* Both ends hold TIME_WAIT for 2*MSL. */
	assert_fact(r, "client_tw_us", MS(220));
	assert_fact(r, "server_tw_us", MS(220));
	assert_fact(r, "client_tw_end_us", MS(220) + SYNACK_SEC(60));
	assert_fact(r, "server_tw_end_us", MS(220) + SYNACK_SEC(60));
	cat_done(r);
}

static void test_Q10_C05_C06_T02_lost_last_ack(void **state)
{
	(void)state;
	struct scenario_run *r = cat_play("q10-lost-last-ack");
	/* The server resends the same FIN after its RTO (between RTO min and
	 * the initial RTO) ... */
	int64_t rto = cat_fact(r, "fin_retransmit_after_us");
	assert_true(rto >= (int64_t)MS(200) && rto <= (int64_t)SYNACK_SEC(1));
	assert_fact(r, "same_fin", 1);
	/* ... TIME_WAIT answers it with the same ACK and restarts 2*MSL. */
	assert_fact(r, "same_ack", 1);
	int64_t second = cat_fact(r, "second_ack_us");
	assert_fact(r, "client_tw_us", MS(210));
	assert_fact(r, "client_tw_end_us", second + SYNACK_SEC(60));
	assert_fact(r, "server_closed_us", second + MS(10));
	assert_true(cat_ends(cat_states(r, S), "CLOSE_WAIT>LAST_ACK LAST_ACK>CLOSED"));
	assert_true(cat_ends(cat_states(r, C), "FIN_WAIT_2>TIME_WAIT TIME_WAIT>CLOSED"));
	size_t lost = 0;
	for (size_t i = 0; i < scenario_seg_count(r); i++)
		lost += scenario_seg(r, i)->lost;
	assert_int_equal(lost, 1);
	cat_done(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lifecycle_H01_H03_C01_C06_headline),
		cmocka_unit_test(test_lifecycle_over_lossy_link),
		cmocka_unit_test(test_Q08_C01_C02_C03_C05_C06_four_way_close),
		cmocka_unit_test(test_Q09_C04_half_close_server_keeps_sending),
		cmocka_unit_test(test_Q12_C02_close_wait_piles_up),
		cmocka_unit_test(test_Q16_C07_simultaneous_close),
		cmocka_unit_test(test_Q10_C05_C06_T02_lost_last_ack),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
