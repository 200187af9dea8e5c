/* synack counters, named as Linux's nstat names them.
 *
 * Where Linux has a counter for an event we use its name (IpInHdrErrors,
 * TcpInCsumErrors, TcpExtListenOverflows, ...).  Where Linux lumps several
 * malformed-packet kinds into one counter, we also count each kind under a
 * "Synack" name of its own, so every drop can be told apart.
 */
#ifndef SYNACK_COUNTERS_H
#define SYNACK_COUNTERS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, help) */
#define SYNACK_COUNTER_LIST(X)                                                            \
	X(IpInReceives, "IPv4 packets handed to input")                                        \
	X(IpInHdrErrors, "IPv4 header errors (version, IHL, length, checksum, options)")       \
	X(IpInAddrErrors, "IPv4 packets not addressed to this stack")                          \
	X(IpInUnknownProtos, "IPv4 packets for a protocol we do not speak")                    \
	X(IpInDelivers, "IPv4 packets delivered to ICMP or TCP")                               \
	X(IpOutRequests, "IPv4 packets sent")                                                  \
	X(IpReasmReqds, "IPv4 fragments received (we do not reassemble; all dropped)")         \
	X(IpExtInTruncatedPkts, "IPv4 packets shorter than their header says")                 \
	X(IpExtInCsumErrors, "IPv4 header checksum errors")                                    \
	X(SynackIpInBadVersion, "IPv4 packets with version != 4")                              \
	X(SynackIpInBadHdrLen, "IPv4 packets with IHL < 5")                                    \
	X(SynackIpInBadTotLen, "IPv4 packets whose total length lies")                         \
	X(SynackIpInOptDrops, "IPv4 packets dropped for malformed or source-route options")    \
	X(SynackIpInMartianSrc, "IPv4 packets dropped: source 0, broadcast, multicast or ourselves") \
	X(IcmpInMsgs, "ICMP messages received")                                                \
	X(IcmpInErrors, "ICMP messages dropped as malformed")                                  \
	X(IcmpInCsumErrors, "ICMP checksum errors")                                            \
	X(IcmpInEchos, "ICMP echo requests received")                                          \
	X(IcmpInEchoReps, "ICMP echo replies received")                                        \
	X(IcmpOutMsgs, "ICMP messages sent")                                                   \
	X(IcmpOutEchos, "ICMP echo requests sent")                                             \
	X(IcmpOutEchoReps, "ICMP echo replies sent")                                           \
	X(TcpInSegs, "TCP segments received (including bad ones)")                             \
	X(TcpOutSegs, "TCP segments sent (retransmissions too, as Linux counts)")                  \
	X(TcpInErrs, "TCP segments dropped as malformed")                                      \
	X(TcpInCsumErrors, "TCP checksum errors")                                              \
	X(SynackTcpInTruncated, "TCP segments shorter than 20 bytes")                          \
	X(SynackTcpInBadDoff, "TCP segments with data offset < 5 or past the end")             \
	X(SynackTcpInBadOpt, "TCP segments with malformed options")                            \
	X(TcpActiveOpens, "connections opened by connect() (CLOSED -> SYN_SENT)")              \
	X(TcpPassiveOpens, "connections opened by a listener (LISTEN -> SYN_RCVD)")            \
	X(TcpAttemptFails, "opens that failed (SYN_SENT/SYN_RCVD -> CLOSED, or -> LISTEN)")    \
	X(TcpEstabResets, "ESTABLISHED or CLOSE_WAIT connections reset")                       \
	X(TcpCurrEstab, "connections now in ESTABLISHED or CLOSE_WAIT (a gauge)")              \
	X(TcpRetransSegs, "segments retransmitted")                                            \
	X(TcpOutRsts, "segments sent with RST")                                                \
	X(TcpExtTCPTimeouts, "retransmission timer expirations")                               \
	X(TcpExtTCPSynRetrans, "SYN and SYN+ACK retransmissions")                              \
	X(TcpExtTCPAbortOnData, "connections reset: data after close(), or close() with SO_LINGER 0") \
	X(TcpExtTCPAbortOnClose, "connections reset: close() with unread data")                \
	X(TcpExtTCPAbortOnTimeout, "connections dropped after too many retransmissions")       \
	X(TcpExtTCPChallengeACK, "challenge ACKs sent (RFC 5961)")                             \
	X(TcpExtTCPSYNChallenge, "SYNs on synchronized connections answered by a challenge ACK") \
	X(TcpExtTCPACKSkippedChallenge, "challenge ACKs not sent because of the rate limit")   \
	X(TcpExtTCPACKSkippedSeq, "ACKs to out-of-window segments not sent (rate limit)")      \
	X(TcpExtTCPACKSkippedSynRecv, "SYN+ACKs to a request's stray segments not sent (rate limit)") \
	X(TcpExtListenOverflows, "SYNs or completing ACKs dropped: accept queue full")         \
	X(TcpExtListenDrops, "segments a listener dropped, for any reason")                    \
	X(TcpExtTCPReqQFullDrop, "SYNs dropped: SYN queue full and cookies off")               \
	X(TcpExtTCPReqQFullDoCookies, "SYNs answered with a cookie (queue full, or syncookies=2)") \
	X(TcpExtSyncookiesSent, "SYN+ACKs sent carrying a SYN cookie")                         \
	X(TcpExtSyncookiesRecv, "ACKs with a valid SYN cookie (a connection was made)")        \
	X(TcpExtSyncookiesFailed, "ACKs with an invalid or stale SYN cookie")                  \
	X(SynackTcpReqTimeouts, "half-open requests dropped after synack_retries SYN+ACKs")     \
	X(SynackTcpSynRateLimited, "SYNs dropped by the per-source rate limit (syn_rate_per_src)") \
	X(TcpExtTCPOFOQueue, "segments queued out of order")                                   \
	X(TcpExtTCPOFODrop, "out-of-order segments dropped: no room to track them")            \
	X(TcpExtTCPZeroWindowDrop, "data dropped at our zero window (its ACK still processed)")   \
	X(TcpExtTCPWinProbe, "zero-window probes sent")                                        \
	X(TcpExtTW, "TIME_WAIT connections that ended by their 2MSL timer")                    \
	X(TcpExtTWRecycled, "TIME_WAIT entries taken over by connect() (tw_reuse)")            \
	X(TcpExtTCPTimeWaitOverflow, "closing connections that skipped TIME_WAIT: max_tw_buckets") \
	X(TcpExtTCPACKSkippedTimeWait, "ACKs from TIME_WAIT not sent (rate limit)")            \
	X(TcpExtPAWSEstab, "segments dropped by PAWS on a connection (RFC 7323 5.3)")          \
	X(TcpExtPAWSTimewait, "segments dropped by PAWS in TIME_WAIT")                         \
	X(TcpExtPAWSActive, "SYN+ACKs reset: their TSecr echoes no TSval we sent") \
	X(TcpExtTCPAbortOnLinger, "connections reset: SO_LINGER time ran out before the close completed") \
	X(SynackTcpInUnacceptable, "segments outside the receive window (answered with ACK)")  \
	X(SynackTcpInNoSocket, "segments for no connection or listener (answered with RST)")

enum synack_counter_id {
#define SYNACK_X_ENUM(name, help) SYNACK_CTR_##name,
	SYNACK_COUNTER_LIST(SYNACK_X_ENUM)
#undef SYNACK_X_ENUM
	SYNACK_COUNTER_COUNT
};

struct synack_counters {
#define SYNACK_X_FIELD(name, help) uint64_t name;
	SYNACK_COUNTER_LIST(SYNACK_X_FIELD)
#undef SYNACK_X_FIELD
};

/* The nstat name of a counter ("TcpInCsumErrors"), or NULL if id is out of range. */
const char *synack_counter_name(enum synack_counter_id id);
/* A one-line description of a counter. */
const char *synack_counter_help(enum synack_counter_id id);
/* Reads a counter by id (0 for an id out of range). */
uint64_t synack_counter_value(const struct synack_counters *c, enum synack_counter_id id);

#ifdef __cplusplus
}
#endif
#endif
