/* The catalogue's listener scenarios (`synack sim NAME`), asserted: Q03
 * (the two queues and what happens when they are full) and Q07 (a SYN flood,
 * without and with SYN cookies). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "catalogue.h"

#define MS(x) SYNACK_MS(x)

static void test_Q03_L01_L02_syn_queue_and_accept_queue(void **state)
{
	(void)state;
	struct scenario_run *r = cat_play("q03-queues");
	assert_fact(r, "synq_after_syns", 4);            /* four SYNs: four request entries */
	assert_fact(r, "acceptq_full", 2);               /* backlog 1 holds 2 */
	assert_fact(r, "synq_full", 2);                  /* the two whose ACKs were dropped */
	assert_fact(r, "clients_established_early", 4);  /* every client thinks it is connected */
	assert_fact(r, "overflows_at_35ms", 2);
	assert_fact(r, "accepted_at_2500ms", 2);
	assert_fact(r, "accepted_total", 4);
	assert_fact(r, "overflows", 4);                  /* again at 1.03 s */
	assert_int_equal(scenario_count_segs(r, S, F_SA), 8);  /* 4 + two retransmissions for each of 2 */
	cat_done(r);
}

static void test_Q07_L04_flood_without_cookies_shuts_the_listener(void **state)
{
	(void)state;
	struct scenario_run *r = cat_play("q07-syn-flood");
	assert_fact(r, "synq_after_flood", 64);
	assert_fact(r, "client_established", 0);
	assert_fact(r, "accepted", 0);
	assert_fact(r, "cookies_sent", 0);
	assert_fact(r, "reqq_full_drops", 1000 - 64 + 4); /* the flood's rest and the client's 4 SYNs */
	assert_int_equal(scenario_count_segs(r, C, F_SYN), 4);   /* at 0.1, 1.1, 3.1, 7.1 s */
	assert_int_equal(scenario_count_segs(r, S, F_SA), 0);
	cat_done(r);
}

static void test_Q07_L03_L04_cookies_let_the_client_in(void **state)
{
	(void)state;
	struct scenario_run *r = cat_play("q07-syn-cookies");
	assert_fact(r, "synq_after_flood", 64);
	assert_fact(r, "client_established", 1);
	assert_fact(r, "accepted", 1);
	assert_fact(r, "cookies_recv", 1);
	assert_fact(r, "cookies_sent", 1000 - 64 + 1);
	assert_fact(r, "reqq_full_drops", 0);
	assert_fact(r, "synq_max", 64);
	assert_fact(r, "server_entries", 1 + 64 + 1); /* listener, the flood's requests, the client */
	assert_int_equal(scenario_seg_count(r), 3);
	assert_seg_time(r, 1, MS(110), MS(120));
	cat_done(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_Q03_L01_L02_syn_queue_and_accept_queue),
		cmocka_unit_test(test_Q07_L04_flood_without_cookies_shuts_the_listener),
		cmocka_unit_test(test_Q07_L03_L04_cookies_let_the_client_in),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
