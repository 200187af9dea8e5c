/* The table of scenarios: what `synack sim list` prints, in this order.
 *
 * Questions Q10, Q11, Q13 (TIME_WAIT, its reuse, SO_REUSEADDR) get their
 * scenarios with the mechanisms that answer them; each is one function and
 * one line here. */
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
    {"q12-close-wait", NULL, "Q12 C02", "What if a host has too many CLOSE_WAIT connections?",
     play_q12_close_wait},
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
    {"lost-last-ack", NULL, "C05 C06 T02", "What happens when the last ACK of the close is lost?",
     play_lost_last_ack},
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
