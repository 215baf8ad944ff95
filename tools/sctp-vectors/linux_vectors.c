/*
 * Fills every RFC 6458 notification and socket struct of Debian's linux-libc-dev
 * <linux/sctp.h> with known values and prints the bytes as hex, plus sizeof/offsetof
 * and the constants. Output feeds crates/hark-wire/tests/vectors/sctp_linux.txt.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/sctp.h>
#include "common.h"

#define L "linux"

static unsigned char buf[4096];

static void constants(void)
{
	CONST(L, SCTP_ASSOC_CHANGE); CONST(L, SCTP_PEER_ADDR_CHANGE); CONST(L, SCTP_SEND_FAILED);
	CONST(L, SCTP_REMOTE_ERROR); CONST(L, SCTP_SHUTDOWN_EVENT); CONST(L, SCTP_PARTIAL_DELIVERY_EVENT);
	CONST(L, SCTP_ADAPTATION_INDICATION); CONST(L, SCTP_AUTHENTICATION_EVENT);
	CONST(L, SCTP_SENDER_DRY_EVENT); CONST(L, SCTP_STREAM_RESET_EVENT); CONST(L, SCTP_ASSOC_RESET_EVENT);
	CONST(L, SCTP_STREAM_CHANGE_EVENT); CONST(L, SCTP_SEND_FAILED_EVENT);
	CONST(L, SCTP_COMM_UP); CONST(L, SCTP_COMM_LOST); CONST(L, SCTP_RESTART);
	CONST(L, SCTP_SHUTDOWN_COMP); CONST(L, SCTP_CANT_STR_ASSOC);
	CONST(L, SCTP_ADDR_AVAILABLE); CONST(L, SCTP_ADDR_UNREACHABLE); CONST(L, SCTP_ADDR_REMOVED);
	CONST(L, SCTP_ADDR_ADDED); CONST(L, SCTP_ADDR_MADE_PRIM); CONST(L, SCTP_ADDR_CONFIRMED);
	CONST(L, SCTP_ADDR_POTENTIALLY_FAILED);
	CONST(L, SCTP_PARTIAL_DELIVERY_ABORTED);
	CONST(L, SCTP_AUTH_NEW_KEY); CONST(L, SCTP_AUTH_FREE_KEY); CONST(L, SCTP_AUTH_NO_AUTH);
	CONST(L, SCTP_DATA_UNSENT); CONST(L, SCTP_DATA_SENT);
	CONST(L, MSG_NOTIFICATION); CONST(L, MSG_EOR); CONST(L, AF_INET); CONST(L, AF_INET6);
	CONST(L, SCTP_EVENT);
}

static void layout(void)
{
	SIZE(L, sctp_assoc_change); SIZE(L, sctp_paddr_change); SIZE(L, sctp_remote_error);
	SIZE(L, sctp_send_failed); SIZE(L, sctp_send_failed_event); SIZE(L, sctp_shutdown_event);
	SIZE(L, sctp_adaptation_event); SIZE(L, sctp_pdapi_event); SIZE(L, sctp_authkey_event);
	SIZE(L, sctp_sender_dry_event); SIZE(L, sctp_stream_reset_event);
	SIZE(L, sctp_assoc_reset_event); SIZE(L, sctp_stream_change_event);
	SIZE(L, sctp_event); SIZE(L, sctp_event_subscribe); SIZE(L, sctp_sndinfo); SIZE(L, sctp_rcvinfo);
	SIZE(L, sctp_nxtinfo); SIZE(L, sctp_sndrcvinfo); SIZE(L, sctp_initmsg);
	SIZE(L, sockaddr_in); SIZE(L, sockaddr_in6); SIZE(L, sockaddr_storage);
	OFF(L, sctp_assoc_change, sac_assoc_id); OFF(L, sctp_assoc_change, sac_info);
	OFF(L, sctp_paddr_change, spc_aaddr); OFF(L, sctp_paddr_change, spc_state);
	OFF(L, sctp_paddr_change, spc_error); OFF(L, sctp_paddr_change, spc_assoc_id);
	OFF(L, sctp_remote_error, sre_error); OFF(L, sctp_remote_error, sre_assoc_id);
	OFF(L, sctp_remote_error, sre_data);
	OFF(L, sctp_send_failed, ssf_error); OFF(L, sctp_send_failed, ssf_info);
	OFF(L, sctp_send_failed, ssf_assoc_id); OFF(L, sctp_send_failed, ssf_data);
	OFF(L, sctp_send_failed_event, ssf_error); OFF(L, sctp_send_failed_event, ssfe_info);
	OFF(L, sctp_send_failed_event, ssf_assoc_id); OFF(L, sctp_send_failed_event, ssf_data);
	OFF(L, sctp_adaptation_event, sai_adaptation_ind); OFF(L, sctp_adaptation_event, sai_assoc_id);
	OFF(L, sctp_pdapi_event, pdapi_indication); OFF(L, sctp_pdapi_event, pdapi_assoc_id);
	OFF(L, sctp_pdapi_event, pdapi_stream); OFF(L, sctp_pdapi_event, pdapi_seq);
	OFF(L, sctp_authkey_event, auth_keynumber); OFF(L, sctp_authkey_event, auth_altkeynumber);
	OFF(L, sctp_authkey_event, auth_indication); OFF(L, sctp_authkey_event, auth_assoc_id);
	OFF(L, sctp_stream_reset_event, strreset_stream_list);
	OFF(L, sctp_assoc_reset_event, assocreset_local_tsn); OFF(L, sctp_assoc_reset_event, assocreset_remote_tsn);
	OFF(L, sctp_stream_change_event, strchange_instrms); OFF(L, sctp_stream_change_event, strchange_outstrms);
	OFF(L, sctp_event, se_type); OFF(L, sctp_event, se_on);
	OFF(L, sctp_rcvinfo, rcv_ppid); OFF(L, sctp_rcvinfo, rcv_context); OFF(L, sctp_rcvinfo, rcv_assoc_id);
	OFF(L, sctp_sndrcvinfo, sinfo_ppid); OFF(L, sctp_sndrcvinfo, sinfo_assoc_id);
}

static void notifications(void)
{
	struct sctp_assoc_change *sac = (void *)buf;
	memset(buf, 0, sizeof buf);
	sac->sac_type = SCTP_ASSOC_CHANGE; sac->sac_flags = 0;
	sac->sac_length = sizeof *sac; sac->sac_state = SCTP_COMM_UP; sac->sac_error = 0;
	sac->sac_outbound_streams = 10; sac->sac_inbound_streams = 65535; sac->sac_assoc_id = 3;
	dump(L, "assoc_change_comm_up", buf, sac->sac_length);

	/* COMM_LOST after an ABORT: sctp_ulpevent_make_assoc_change (net/sctp/ulpevent.c) copies
	 * the chunk body without its 4-byte chunk header, so sac_info holds the error causes:
	 * here one "User-Initiated Abort" cause (code 12, length 4, no data). */
	memset(buf, 0, sizeof buf);
	static const unsigned char abort_causes[] = {0x00, 0x0c, 0x00, 0x04};
	sac->sac_type = SCTP_ASSOC_CHANGE; sac->sac_flags = 0;
	sac->sac_length = sizeof *sac + sizeof abort_causes; sac->sac_state = SCTP_COMM_LOST;
	sac->sac_error = 0x000c; sac->sac_outbound_streams = 0; sac->sac_inbound_streams = 0;
	sac->sac_assoc_id = -7;
	memcpy(sac->sac_info, abort_causes, sizeof abort_causes);
	dump(L, "assoc_change_comm_lost_causes", buf, sac->sac_length);

	struct sctp_paddr_change *spc = (void *)buf;
	memset(buf, 0, sizeof buf);
	spc->spc_type = SCTP_PEER_ADDR_CHANGE; spc->spc_flags = 0; spc->spc_length = sizeof *spc;
	struct sockaddr_in sin = {0};
	sin.sin_family = AF_INET; sin.sin_port = htons(5000);
	inet_pton(AF_INET, "192.0.2.1", &sin.sin_addr);
	memcpy(&spc->spc_aaddr, &sin, sizeof sin);
	spc->spc_state = SCTP_ADDR_UNREACHABLE; spc->spc_error = SCTP_FAILED_THRESHOLD;
	spc->spc_assoc_id = 42;
	dump(L, "peer_addr_change_v4", buf, sizeof *spc);

	memset(buf, 0, sizeof buf);
	spc->spc_type = SCTP_PEER_ADDR_CHANGE; spc->spc_flags = 0; spc->spc_length = sizeof *spc;
	struct sockaddr_in6 sin6 = {0};
	sin6.sin6_family = AF_INET6; sin6.sin6_port = htons(5001);
	sin6.sin6_flowinfo = htonl(0x12345); sin6.sin6_scope_id = 2;
	inet_pton(AF_INET6, "2001:db8::1", &sin6.sin6_addr);
	memcpy(&spc->spc_aaddr, &sin6, sizeof sin6);
	spc->spc_state = SCTP_ADDR_MADE_PRIM; spc->spc_error = 0; spc->spc_assoc_id = 43;
	dump(L, "peer_addr_change_v6", buf, sizeof *spc);

	/* REMOTE_ERROR: sre_error in network byte order (__be16), data = the cause body. */
	struct sctp_remote_error *sre = (void *)buf;
	memset(buf, 0, sizeof buf);
	static const unsigned char cause_body[] = {0xde, 0xad, 0xbe, 0xef, 0x01};
	sre->sre_type = SCTP_REMOTE_ERROR; sre->sre_flags = 0;
	sre->sre_length = sizeof *sre + sizeof cause_body; sre->sre_error = htons(0x0006);
	sre->sre_assoc_id = 5;
	memcpy(sre->sre_data, cause_body, sizeof cause_body);
	dump(L, "remote_error", buf, sre->sre_length);

	struct sctp_send_failed *ssf = (void *)buf;
	memset(buf, 0, sizeof buf);
	static const unsigned char payload[] = {'h', 'e', 'l', 'l', 'o'};
	ssf->ssf_type = SCTP_SEND_FAILED; ssf->ssf_flags = SCTP_DATA_SENT;
	ssf->ssf_length = sizeof *ssf + sizeof payload; ssf->ssf_error = 0x10;
	ssf->ssf_info.sinfo_stream = 1; ssf->ssf_info.sinfo_ssn = 2; ssf->ssf_info.sinfo_flags = SCTP_UNORDERED;
	ssf->ssf_info.sinfo_ppid = htonl(51); ssf->ssf_info.sinfo_context = 0xabcdef01;
	ssf->ssf_info.sinfo_timetolive = 3000; ssf->ssf_info.sinfo_tsn = 0x11223344;
	ssf->ssf_info.sinfo_cumtsn = 0x11223340; ssf->ssf_info.sinfo_assoc_id = 6;
	ssf->ssf_assoc_id = 6;
	memcpy(ssf->ssf_data, payload, sizeof payload);
	dump(L, "send_failed", buf, ssf->ssf_length);

	struct sctp_send_failed_event *ssfe = (void *)buf;
	memset(buf, 0, sizeof buf);
	ssfe->ssf_type = SCTP_SEND_FAILED_EVENT; ssfe->ssf_flags = SCTP_DATA_UNSENT;
	ssfe->ssf_length = sizeof *ssfe + sizeof payload; ssfe->ssf_error = 0;
	ssfe->ssfe_info.snd_sid = 7; ssfe->ssfe_info.snd_flags = SCTP_UNORDERED;
	ssfe->ssfe_info.snd_ppid = htonl(53); ssfe->ssfe_info.snd_context = 99;
	ssfe->ssfe_info.snd_assoc_id = 8; ssfe->ssf_assoc_id = 8;
	memcpy(ssfe->ssf_data, payload, sizeof payload);
	dump(L, "send_failed_event", buf, ssfe->ssf_length);

	struct sctp_shutdown_event *sse = (void *)buf;
	memset(buf, 0, sizeof buf);
	sse->sse_type = SCTP_SHUTDOWN_EVENT; sse->sse_length = sizeof *sse; sse->sse_assoc_id = 9;
	dump(L, "shutdown_event", buf, sizeof *sse);

	struct sctp_adaptation_event *sai = (void *)buf;
	memset(buf, 0, sizeof buf);
	sai->sai_type = SCTP_ADAPTATION_INDICATION; sai->sai_length = sizeof *sai;
	sai->sai_adaptation_ind = 0x01020304; sai->sai_assoc_id = 10;
	dump(L, "adaptation_indication", buf, sizeof *sai);

	struct sctp_pdapi_event *pd = (void *)buf;
	memset(buf, 0, sizeof buf);
	pd->pdapi_type = SCTP_PARTIAL_DELIVERY_EVENT; pd->pdapi_length = sizeof *pd;
	pd->pdapi_indication = SCTP_PARTIAL_DELIVERY_ABORTED; pd->pdapi_assoc_id = 11;
	pd->pdapi_stream = 4; pd->pdapi_seq = 77;
	dump(L, "partial_delivery_event", buf, sizeof *pd);

	struct sctp_authkey_event *auth = (void *)buf;
	memset(buf, 0, sizeof buf);
	auth->auth_type = SCTP_AUTHENTICATION_EVENT; auth->auth_length = sizeof *auth;
	auth->auth_keynumber = 2; auth->auth_altkeynumber = 1; auth->auth_indication = SCTP_AUTH_FREE_KEY;
	auth->auth_assoc_id = 12;
	dump(L, "authentication_event", buf, sizeof *auth);

	struct sctp_sender_dry_event *dry = (void *)buf;
	memset(buf, 0, sizeof buf);
	dry->sender_dry_type = SCTP_SENDER_DRY_EVENT; dry->sender_dry_length = sizeof *dry;
	dry->sender_dry_assoc_id = 3;
	dump(L, "sender_dry_event", buf, sizeof *dry);

	struct sctp_stream_reset_event *srs = (void *)buf;
	memset(buf, 0, sizeof buf);
	srs->strreset_type = SCTP_STREAM_RESET_EVENT;
	srs->strreset_flags = SCTP_STREAM_RESET_OUTGOING_SSN;
	srs->strreset_length = sizeof *srs + 3 * sizeof(__u16); srs->strreset_assoc_id = 13;
	srs->strreset_stream_list[0] = 1; srs->strreset_stream_list[1] = 2; srs->strreset_stream_list[2] = 500;
	dump(L, "stream_reset_event", buf, srs->strreset_length);

	struct sctp_assoc_reset_event *ars = (void *)buf;
	memset(buf, 0, sizeof buf);
	ars->assocreset_type = SCTP_ASSOC_RESET_EVENT; ars->assocreset_flags = SCTP_ASSOC_RESET_DENIED;
	ars->assocreset_length = sizeof *ars; ars->assocreset_assoc_id = 14;
	ars->assocreset_local_tsn = 0xa0a0a0a0; ars->assocreset_remote_tsn = 0x0b0b0b0b;
	dump(L, "assoc_reset_event", buf, sizeof *ars);

	struct sctp_stream_change_event *sch = (void *)buf;
	memset(buf, 0, sizeof buf);
	sch->strchange_type = SCTP_STREAM_CHANGE_EVENT; sch->strchange_flags = 0;
	sch->strchange_length = sizeof *sch; sch->strchange_assoc_id = 15;
	sch->strchange_instrms = 20; sch->strchange_outstrms = 30;
	dump(L, "stream_change_event", buf, sizeof *sch);
}

static void structs(void)
{
	struct sctp_event ev;
	memset(&ev, 0, sizeof ev);
	ev.se_assoc_id = 3; ev.se_type = SCTP_SENDER_DRY_EVENT; ev.se_on = 1;
	dump(L, "sctp_event", &ev, sizeof ev);

	struct sctp_event_subscribe sub;
	memset(&sub, 0, sizeof sub);
	sub.sctp_data_io_event = 1; sub.sctp_association_event = 1; sub.sctp_shutdown_event = 1;
	sub.sctp_sender_dry_event = 1; sub.sctp_send_failure_event_event = 1;
	dump(L, "sctp_event_subscribe", &sub, sizeof sub);

	struct sctp_sndinfo snd;
	memset(&snd, 0, sizeof snd);
	snd.snd_sid = 2; snd.snd_flags = SCTP_UNORDERED | SCTP_SACK_IMMEDIATELY; snd.snd_ppid = htonl(51);
	snd.snd_context = 0xdeadbeef; snd.snd_assoc_id = 4;
	dump(L, "sctp_sndinfo", &snd, sizeof snd);

	struct sctp_rcvinfo rcv;
	memset(&rcv, 0, sizeof rcv);
	rcv.rcv_sid = 3; rcv.rcv_ssn = 9; rcv.rcv_flags = SCTP_UNORDERED; rcv.rcv_ppid = htonl(50);
	rcv.rcv_tsn = 1000; rcv.rcv_cumtsn = 999; rcv.rcv_context = 7; rcv.rcv_assoc_id = 5;
	dump(L, "sctp_rcvinfo", &rcv, sizeof rcv);

	struct sctp_nxtinfo nxt;
	memset(&nxt, 0, sizeof nxt);
	nxt.nxt_sid = 4; nxt.nxt_flags = SCTP_UNORDERED; nxt.nxt_ppid = htonl(52);
	nxt.nxt_length = 1400; nxt.nxt_assoc_id = 6;
	dump(L, "sctp_nxtinfo", &nxt, sizeof nxt);

	struct sctp_sndrcvinfo sri;
	memset(&sri, 0, sizeof sri);
	sri.sinfo_stream = 5; sri.sinfo_ssn = 6; sri.sinfo_flags = SCTP_UNORDERED; sri.sinfo_ppid = htonl(51);
	sri.sinfo_context = 8; sri.sinfo_timetolive = 9; sri.sinfo_tsn = 10; sri.sinfo_cumtsn = 11;
	sri.sinfo_assoc_id = 12;
	dump(L, "sctp_sndrcvinfo", &sri, sizeof sri);

	struct sctp_initmsg init;
	memset(&init, 0, sizeof init);
	init.sinit_num_ostreams = 10; init.sinit_max_instreams = 20; init.sinit_max_attempts = 4;
	init.sinit_max_init_timeo = 60000;
	dump(L, "sctp_initmsg", &init, sizeof init);
}

int main(void)
{
	constants();
	layout();
	notifications();
	structs();
	return 0;
}
