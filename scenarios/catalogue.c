/* The table of scenarios: what `synack sim list` prints, in this order:
 * the headline run, then the questions Q01-Q17, then the named lifecycle
 * behaviours that are no question's answer of their own. */
#include <string.h>

#include "play.h"

static const struct scenario catalogue[] = {
    {"lifecycle", NULL, "H01 H02 H03 C01 C02 C03 C05 C06",
     "One TCP connection, from the three-way handshake to TIME_WAIT", play_lifecycle},
    {"q01-handshake", NULL, "Q01 H01 H02 H03",
     "What are the three segments of the handshake and the states on each side?", play_q01_handshake},
    {"q02-old-duplicate-syn", "old-duplicate-syn", "Q02 H11", "Why three segments and not two?",
     play_q02_old_duplicate_syn},
    {"q03-queues", NULL, "Q03 L01 L02",
     "What are the SYN (half-open) queue and the accept queue, and what happens when they are full?",
     play_q03_queues},
    {"q04-synack-backoff", NULL, "Q04 H07", "How is SYN+ACK retransmitted, and when does the server give up?",
     play_q04_synack_backoff},
    {"q05-isn", NULL, "Q05 H05", "Is the ISN fixed?", play_q05_isn},
    {"q06-data-in-handshake", NULL, "Q06 H04 F01", "Can the handshake carry data?", play_q06_data_in_handshake},
    {"q07-syn-flood", NULL, "Q07 L04", "What is a SYN flood?", play_q07_syn_flood},
    {"q07-syn-cookies", NULL, "Q07 L03 L04", "How do SYN cookies defend against a SYN flood?",
     play_q07_syn_cookies},
    {"q08-four-way-close", NULL, "Q08 C01 C02 C03 C05 C06",
     "What are the four segments of the close and the states on each side?", play_q08_four_way_close},
    {"q09-half-close", "half-close", "Q09 C04", "Why four segments to close but three to open?",
     play_q09_half_close},
    {"q10-lost-last-ack", "lost-last-ack", "Q10 C05 C06 T02",
     "Why does TIME_WAIT last 2 MSL? The last ACK may be lost, and the FIN comes again", play_lost_last_ack},
    {"q10-old-duplicate", NULL, "Q10 T03 T04",
     "Why does TIME_WAIT last 2 MSL? An old duplicate must not reach a new incarnation", play_q10_old_duplicate},
    {"q10-syn-in-time-wait", NULL, "Q10 T05 T03",
     "What does TIME_WAIT do with an old SYN, and with a new one for the same 4-tuple?",
     play_q10_syn_in_time_wait},
    {"q11-port-exhaustion", NULL, "Q11 T04",
     "What if a client has too many TIME_WAIT connections? It runs out of ports", play_q11_port_exhaustion},
    {"q11-tw-reuse", NULL, "Q11 T04", "Too many TIME_WAIT connections: does tcp_tw_reuse help?", play_q11_tw_reuse},
    {"q11-linger-zero", NULL, "Q11 T08", "Too many TIME_WAIT connections: does SO_LINGER 0 help?",
     play_q11_linger_zero},
    {"q11-max-tw-buckets", NULL, "Q11 T06", "Too many TIME_WAIT connections: does tcp_max_tw_buckets help?",
     play_q11_max_tw_buckets},
    {"q11-keep-alive", NULL, "Q11", "Too many TIME_WAIT connections: do longer-lived connections help?",
     play_q11_keep_alive},
    {"q12-close-wait", NULL, "Q12 C02", "What if a host has too many CLOSE_WAIT connections?",
     play_q12_close_wait},
    {"q13-reuseaddr", NULL, "Q13 T07", "What does SO_REUSEADDR change?", play_q13_reuseaddr},
    {"q14-lost-third-ack", "lost-third-ack", "Q14 H12", "What happens when the third ACK is lost?",
     play_q14_lost_third_ack},
    {"q14-server-gave-up", NULL, "Q14 H12 H07",
     "What happens when the third ACK is lost and the server gives up?", play_q14_server_gave_up},
    {"q15-old-syn-in-syn-rcvd", NULL, "Q15 H11 H13", "What does a server in SYN_RCVD do with an old SYN?",
     play_q15_old_syn_in_syn_rcvd},
    {"q16-simultaneous-open", "simultaneous-open", "Q16 H10", "What happens when both sides open at the same moment?",
     play_q16_simultaneous_open},
    {"q16-simultaneous-close", "simultaneous-close", "Q16 C07",
     "What happens when both sides close at the same moment?", play_q16_simultaneous_close},
    {"q17-flags", NULL, "Q17", "What do the six flags do?", play_q17_flags},
    {"rst-closed-port", NULL, "H09 R04", "What happens when a SYN reaches a port nobody listens on?",
     play_rst_closed_port},
    {"challenge-ack", NULL, "R01 R02", "How does a connection survive a spoofed RST or SYN?", play_challenge_ack},
};

size_t scenario_count(void)
{
	return sizeof catalogue / sizeof catalogue[0];
}

const struct scenario *scenario_at(size_t i)
{
	return i < scenario_count() ? &catalogue[i] : NULL;
}

const struct scenario *scenario_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < scenario_count(); i++)
		if (!strcmp(catalogue[i].name, name) || (catalogue[i].alias && !strcmp(catalogue[i].alias, name)))
			return &catalogue[i];
	return NULL;
}
