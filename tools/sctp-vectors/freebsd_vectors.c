/*
 * FreeBSD-layout vectors: fills the notification and socket structs of Debian's
 * libusrsctp-dev <usrsctp.h> (the userland port of FreeBSD's netinet/sctp_uio.h) with
 * known values and prints the bytes as hex, plus sizeof/offsetof and the constants.
 *
 * Two FreeBSD structs are not in usrsctp.h and are transcribed below from FreeBSD's
 * sys/netinet/sctp_uio.h (freebsd/freebsd-src, commit 039ea811636f): sctp_sndrcvinfo
 * (128 bytes with sinfo_keynumber, sinfo_keynumber_valid, __reserve_pad[92]) and the
 * older sctp_send_failed. The BSD socket address shape (sin_len, one-byte sin_family,
 * AF_INET6 = 28) is transcribed from FreeBSD's netinet/in.h, netinet6/in6.h and
 * sys/socket.h, because a Linux host's <netinet/in.h> has no sin_len.
 *
 * usrsctp.h's public declarations of sctp_pdapi_event (uint32_t stream and seq, 24 bytes)
 * and sctp_authkey_event (no auth_altkeynumber) disagree with what the usrsctp library
 * writes: usrsctp_live.c records a real SCTP_PARTIAL_DELIVERY_EVENT of 20 bytes with
 * uint16_t stream/seq before the association id, i.e. FreeBSD's sctp_uio.h layout. Both
 * structs are therefore transcribed from FreeBSD's sctp_uio.h (commit 039ea811636f) too.
 */
#include <stdint.h>
#include <arpa/inet.h>
#include <usrsctp.h>
#include "common.h"

#define F "freebsd"

struct fbsd_sctp_sndrcvinfo {
	uint16_t sinfo_stream;
	uint16_t sinfo_ssn;
	uint16_t sinfo_flags;
	uint32_t sinfo_ppid;
	uint32_t sinfo_context;
	uint32_t sinfo_timetolive;
	uint32_t sinfo_tsn;
	uint32_t sinfo_cumtsn;
	sctp_assoc_t sinfo_assoc_id;
	uint16_t sinfo_keynumber;
	uint16_t sinfo_keynumber_valid;
	uint8_t __reserve_pad[92];
};

struct fbsd_sctp_send_failed {
	uint16_t ssf_type;
	uint16_t ssf_flags;
	uint32_t ssf_length;
	uint32_t ssf_error;
	struct fbsd_sctp_sndrcvinfo ssf_info;
	sctp_assoc_t ssf_assoc_id;
	uint8_t ssf_data[];
};

struct fbsd_sctp_pdapi_event {
	uint16_t pdapi_type;
	uint16_t pdapi_flags;
	uint32_t pdapi_length;
	uint32_t pdapi_indication;
	uint16_t pdapi_stream;
	uint16_t pdapi_seq;
	sctp_assoc_t pdapi_assoc_id;
};

struct fbsd_sctp_authkey_event {
	uint16_t auth_type;
	uint16_t auth_flags;
	uint32_t auth_length;
	uint16_t auth_keynumber;
	uint16_t auth_altkeynumber;
	uint32_t auth_indication;
	sctp_assoc_t auth_assoc_id;
};

struct fbsd_sockaddr_in {
	uint8_t sin_len;
	uint8_t sin_family;
	uint16_t sin_port;
	struct in_addr sin_addr;
	char sin_zero[8];
};

struct fbsd_sockaddr_in6 {
	uint8_t sin6_len;
	uint8_t sin6_family;
	uint16_t sin6_port;
	uint32_t sin6_flowinfo;
	struct in6_addr sin6_addr;
	uint32_t sin6_scope_id;
};

#define FBSD_AF_INET 2
#define FBSD_AF_INET6 28
#define FBSD_MSG_EOR 0x8

static unsigned char buf[4096];

static void constants(void)
{
	CONST(F, SCTP_ASSOC_CHANGE); CONST(F, SCTP_PEER_ADDR_CHANGE); CONST(F, SCTP_REMOTE_ERROR);
	CONST(F, SCTP_SEND_FAILED); CONST(F, SCTP_SHUTDOWN_EVENT); CONST(F, SCTP_ADAPTATION_INDICATION);
	CONST(F, SCTP_PARTIAL_DELIVERY_EVENT); CONST(F, SCTP_AUTHENTICATION_EVENT);
	CONST(F, SCTP_STREAM_RESET_EVENT); CONST(F, SCTP_SENDER_DRY_EVENT);
	CONST(F, SCTP_NOTIFICATIONS_STOPPED_EVENT); CONST(F, SCTP_ASSOC_RESET_EVENT);
	CONST(F, SCTP_STREAM_CHANGE_EVENT); CONST(F, SCTP_SEND_FAILED_EVENT);
	CONST(F, SCTP_COMM_UP); CONST(F, SCTP_COMM_LOST); CONST(F, SCTP_RESTART);
	CONST(F, SCTP_SHUTDOWN_COMP); CONST(F, SCTP_CANT_STR_ASSOC);
	CONST(F, SCTP_ASSOC_SUPPORTS_PR); CONST(F, SCTP_ASSOC_SUPPORTS_AUTH);
	CONST(F, SCTP_ASSOC_SUPPORTS_ASCONF); CONST(F, SCTP_ASSOC_SUPPORTS_MULTIBUF);
	CONST(F, SCTP_ASSOC_SUPPORTS_RE_CONFIG); CONST(F, SCTP_ASSOC_SUPPORTS_INTERLEAVING);
	CONST(F, SCTP_ADDR_AVAILABLE); CONST(F, SCTP_ADDR_UNREACHABLE); CONST(F, SCTP_ADDR_REMOVED);
	CONST(F, SCTP_ADDR_ADDED); CONST(F, SCTP_ADDR_MADE_PRIM); CONST(F, SCTP_ADDR_CONFIRMED);
	CONST(F, SCTP_PARTIAL_DELIVERY_ABORTED);
	CONST(F, SCTP_AUTH_NEW_KEY); CONST(F, SCTP_AUTH_NO_AUTH); CONST(F, SCTP_AUTH_FREE_KEY);
	CONST(F, SCTP_DATA_UNSENT); CONST(F, SCTP_DATA_SENT);
	CONST(F, MSG_NOTIFICATION); CONST(F, FBSD_MSG_EOR); CONST(F, FBSD_AF_INET); CONST(F, FBSD_AF_INET6);
	CONST(F, SCTP_EVENT);
}

static void layout(void)
{
	SIZE(F, sctp_assoc_change); SIZE(F, sctp_paddr_change); SIZE(F, sctp_remote_error);
	SIZE(F, fbsd_sctp_send_failed); SIZE(F, sctp_send_failed_event); SIZE(F, sctp_shutdown_event);
	SIZE(F, sctp_adaptation_event); SIZE(F, fbsd_sctp_pdapi_event); SIZE(F, fbsd_sctp_authkey_event);
	SIZE(F, sctp_pdapi_event); /* usrsctp.h's declaration, not what the library writes */
	SIZE(F, sctp_sender_dry_event); SIZE(F, sctp_stream_reset_event);
	SIZE(F, sctp_assoc_reset_event); SIZE(F, sctp_stream_change_event);
	SIZE(F, sctp_event); SIZE(F, sctp_event_subscribe); SIZE(F, sctp_sndinfo); SIZE(F, sctp_rcvinfo);
	SIZE(F, sctp_nxtinfo); SIZE(F, fbsd_sctp_sndrcvinfo); SIZE(F, sctp_initmsg);
	SIZE(F, fbsd_sockaddr_in); SIZE(F, fbsd_sockaddr_in6);
	OFF(F, sctp_assoc_change, sac_assoc_id); OFF(F, sctp_assoc_change, sac_info);
	OFF(F, sctp_paddr_change, spc_aaddr); OFF(F, sctp_paddr_change, spc_state);
	OFF(F, sctp_paddr_change, spc_error); OFF(F, sctp_paddr_change, spc_assoc_id);
	OFF(F, sctp_paddr_change, spc_padding);
	OFF(F, sctp_remote_error, sre_error); OFF(F, sctp_remote_error, sre_assoc_id);
	OFF(F, sctp_remote_error, sre_data);
	OFF(F, fbsd_sctp_send_failed, ssf_error); OFF(F, fbsd_sctp_send_failed, ssf_info);
	OFF(F, fbsd_sctp_send_failed, ssf_assoc_id); OFF(F, fbsd_sctp_send_failed, ssf_data);
	OFF(F, sctp_send_failed_event, ssfe_error); OFF(F, sctp_send_failed_event, ssfe_info);
	OFF(F, sctp_send_failed_event, ssfe_assoc_id); OFF(F, sctp_send_failed_event, ssfe_data);
	OFF(F, sctp_adaptation_event, sai_adaptation_ind); OFF(F, sctp_adaptation_event, sai_assoc_id);
	OFF(F, fbsd_sctp_pdapi_event, pdapi_indication); OFF(F, fbsd_sctp_pdapi_event, pdapi_stream);
	OFF(F, fbsd_sctp_pdapi_event, pdapi_seq); OFF(F, fbsd_sctp_pdapi_event, pdapi_assoc_id);
	OFF(F, fbsd_sctp_authkey_event, auth_keynumber); OFF(F, fbsd_sctp_authkey_event, auth_altkeynumber);
	OFF(F, fbsd_sctp_authkey_event, auth_indication); OFF(F, fbsd_sctp_authkey_event, auth_assoc_id);
	OFF(F, sctp_stream_reset_event, strreset_stream_list);
	OFF(F, sctp_assoc_reset_event, assocreset_local_tsn); OFF(F, sctp_assoc_reset_event, assocreset_remote_tsn);
	OFF(F, sctp_stream_change_event, strchange_instrms); OFF(F, sctp_stream_change_event, strchange_outstrms);
	OFF(F, sctp_event, se_type); OFF(F, sctp_event, se_on);
	OFF(F, sctp_rcvinfo, rcv_ppid); OFF(F, sctp_rcvinfo, rcv_context); OFF(F, sctp_rcvinfo, rcv_assoc_id);
	OFF(F, fbsd_sctp_sndrcvinfo, sinfo_ppid); OFF(F, fbsd_sctp_sndrcvinfo, sinfo_assoc_id);
	OFF(F, fbsd_sctp_sndrcvinfo, sinfo_keynumber); OFF(F, fbsd_sctp_sndrcvinfo, __reserve_pad);
}

static void notifications(void)
{
	struct sctp_assoc_change *sac = (void *)buf;
	memset(buf, 0, sizeof buf);
	sac->sac_type = SCTP_ASSOC_CHANGE; sac->sac_flags = 0;
	sac->sac_state = SCTP_COMM_UP; sac->sac_error = 0;
	sac->sac_outbound_streams = 10; sac->sac_inbound_streams = 65535; sac->sac_assoc_id = 3;
	/* the feature list as sctp_notify_assoc_change appends it */
	sac->sac_info[0] = SCTP_ASSOC_SUPPORTS_PR; sac->sac_info[1] = SCTP_ASSOC_SUPPORTS_AUTH;
	sac->sac_info[2] = SCTP_ASSOC_SUPPORTS_ASCONF; sac->sac_info[3] = SCTP_ASSOC_SUPPORTS_MULTIBUF;
	sac->sac_length = sizeof *sac + 4;
	dump(F, "assoc_change_comm_up", buf, sac->sac_length);

	/* COMM_LOST after an ABORT: sctp_notify_assoc_change (netinet/sctputil.c) copies the
	 * whole ABORT chunk, header included: type 6, flags 0, length 8, one "User-Initiated
	 * Abort" cause (code 12, length 4). */
	memset(buf, 0, sizeof buf);
	static const unsigned char abort_chunk[] = {0x06, 0x00, 0x00, 0x08, 0x00, 0x0c, 0x00, 0x04};
	sac->sac_type = SCTP_ASSOC_CHANGE; sac->sac_flags = 0;
	sac->sac_length = sizeof *sac + sizeof abort_chunk; sac->sac_state = SCTP_COMM_LOST;
	sac->sac_error = 0x000c; sac->sac_assoc_id = 0xfffffff9u;
	memcpy(sac->sac_info, abort_chunk, sizeof abort_chunk);
	dump(F, "assoc_change_comm_lost_abort", buf, sac->sac_length);

	struct sctp_paddr_change *spc = (void *)buf;
	memset(buf, 0, sizeof buf);
	spc->spc_type = SCTP_PEER_ADDR_CHANGE; spc->spc_length = sizeof *spc;
	struct fbsd_sockaddr_in sin = {0};
	sin.sin_len = sizeof sin; sin.sin_family = FBSD_AF_INET; sin.sin_port = htons(5000);
	inet_pton(AF_INET, "192.0.2.1", &sin.sin_addr);
	memcpy(&spc->spc_aaddr, &sin, sizeof sin);
	spc->spc_state = SCTP_ADDR_UNREACHABLE; spc->spc_error = 0; spc->spc_assoc_id = 42;
	dump(F, "peer_addr_change_v4", buf, sizeof *spc);

	memset(buf, 0, sizeof buf);
	spc->spc_type = SCTP_PEER_ADDR_CHANGE; spc->spc_length = sizeof *spc;
	struct fbsd_sockaddr_in6 sin6 = {0};
	sin6.sin6_len = sizeof sin6; sin6.sin6_family = FBSD_AF_INET6; sin6.sin6_port = htons(5001);
	sin6.sin6_flowinfo = htonl(0x12345); sin6.sin6_scope_id = 2;
	inet_pton(AF_INET6, "2001:db8::1", &sin6.sin6_addr);
	memcpy(&spc->spc_aaddr, &sin6, sizeof sin6);
	spc->spc_state = SCTP_ADDR_MADE_PRIM; spc->spc_error = 0; spc->spc_assoc_id = 43;
	dump(F, "peer_addr_change_v6", buf, sizeof *spc);

	/* REMOTE_ERROR: sre_error is a plain uint16_t (host order) in this layout. */
	struct sctp_remote_error *sre = (void *)buf;
	memset(buf, 0, sizeof buf);
	static const unsigned char cause_body[] = {0xde, 0xad, 0xbe, 0xef, 0x01};
	sre->sre_type = SCTP_REMOTE_ERROR; sre->sre_length = sizeof *sre + sizeof cause_body;
	sre->sre_error = 0x0006; sre->sre_assoc_id = 5;
	memcpy(sre->sre_data, cause_body, sizeof cause_body);
	dump(F, "remote_error", buf, sre->sre_length);

	struct fbsd_sctp_send_failed *ssf = (void *)buf;
	memset(buf, 0, sizeof buf);
	static const unsigned char payload[] = {'h', 'e', 'l', 'l', 'o'};
	ssf->ssf_type = SCTP_SEND_FAILED; ssf->ssf_flags = SCTP_DATA_SENT;
	ssf->ssf_length = sizeof *ssf + sizeof payload; ssf->ssf_error = 0x10;
	ssf->ssf_info.sinfo_stream = 1; ssf->ssf_info.sinfo_ssn = 2; ssf->ssf_info.sinfo_flags = SCTP_UNORDERED;
	ssf->ssf_info.sinfo_ppid = htonl(51); ssf->ssf_info.sinfo_context = 0xabcdef01;
	ssf->ssf_info.sinfo_timetolive = 3000; ssf->ssf_info.sinfo_tsn = 0x11223344;
	ssf->ssf_info.sinfo_cumtsn = 0x11223340; ssf->ssf_info.sinfo_assoc_id = 6;
	ssf->ssf_info.sinfo_keynumber = 1; ssf->ssf_info.sinfo_keynumber_valid = 1;
	ssf->ssf_assoc_id = 6;
	memcpy(ssf->ssf_data, payload, sizeof payload);
	dump(F, "send_failed", buf, ssf->ssf_length);

	struct sctp_send_failed_event *ssfe = (void *)buf;
	memset(buf, 0, sizeof buf);
	ssfe->ssfe_type = SCTP_SEND_FAILED_EVENT; ssfe->ssfe_flags = SCTP_DATA_UNSENT;
	ssfe->ssfe_length = sizeof *ssfe + sizeof payload; ssfe->ssfe_error = 0;
	ssfe->ssfe_info.snd_sid = 7; ssfe->ssfe_info.snd_flags = SCTP_UNORDERED;
	ssfe->ssfe_info.snd_ppid = htonl(53); ssfe->ssfe_info.snd_context = 99;
	ssfe->ssfe_info.snd_assoc_id = 8; ssfe->ssfe_assoc_id = 8;
	memcpy(ssfe->ssfe_data, payload, sizeof payload);
	dump(F, "send_failed_event", buf, ssfe->ssfe_length);

	struct sctp_shutdown_event *sse = (void *)buf;
	memset(buf, 0, sizeof buf);
	sse->sse_type = SCTP_SHUTDOWN_EVENT; sse->sse_length = sizeof *sse; sse->sse_assoc_id = 9;
	dump(F, "shutdown_event", buf, sizeof *sse);

	struct sctp_adaptation_event *sai = (void *)buf;
	memset(buf, 0, sizeof buf);
	sai->sai_type = SCTP_ADAPTATION_INDICATION; sai->sai_length = sizeof *sai;
	sai->sai_adaptation_ind = 0x01020304; sai->sai_assoc_id = 10;
	dump(F, "adaptation_indication", buf, sizeof *sai);

	struct fbsd_sctp_pdapi_event *pd = (void *)buf;
	memset(buf, 0, sizeof buf);
	pd->pdapi_type = SCTP_PARTIAL_DELIVERY_EVENT; pd->pdapi_length = sizeof *pd;
	pd->pdapi_indication = SCTP_PARTIAL_DELIVERY_ABORTED; pd->pdapi_assoc_id = 11;
	pd->pdapi_stream = 4; pd->pdapi_seq = 77;
	dump(F, "partial_delivery_event", buf, sizeof *pd);

	struct fbsd_sctp_authkey_event *auth = (void *)buf;
	memset(buf, 0, sizeof buf);
	auth->auth_type = SCTP_AUTHENTICATION_EVENT; auth->auth_length = sizeof *auth;
	auth->auth_keynumber = 2; auth->auth_altkeynumber = 1; auth->auth_indication = SCTP_AUTH_FREE_KEY;
	auth->auth_assoc_id = 12;
	dump(F, "authentication_event", buf, sizeof *auth);

	struct sctp_sender_dry_event *dry = (void *)buf;
	memset(buf, 0, sizeof buf);
	dry->sender_dry_type = SCTP_SENDER_DRY_EVENT; dry->sender_dry_length = sizeof *dry;
	dry->sender_dry_assoc_id = 3;
	dump(F, "sender_dry_event", buf, sizeof *dry);

	/* SCTP_NOTIFICATIONS_STOPPED_EVENT is a bare struct sctp_tlv header. */
	union sctp_notification *sn = (void *)buf;
	memset(buf, 0, sizeof buf);
	sn->sn_header.sn_type = SCTP_NOTIFICATIONS_STOPPED_EVENT; sn->sn_header.sn_flags = 0;
	sn->sn_header.sn_length = sizeof sn->sn_header;
	dump(F, "notifications_stopped_event", buf, sizeof sn->sn_header);

	struct sctp_stream_reset_event *srs = (void *)buf;
	memset(buf, 0, sizeof buf);
	srs->strreset_type = SCTP_STREAM_RESET_EVENT;
	srs->strreset_flags = SCTP_STREAM_RESET_OUTGOING_SSN;
	srs->strreset_length = sizeof *srs + 3 * sizeof(uint16_t); srs->strreset_assoc_id = 13;
	srs->strreset_stream_list[0] = 1; srs->strreset_stream_list[1] = 2; srs->strreset_stream_list[2] = 500;
	dump(F, "stream_reset_event", buf, srs->strreset_length);

	struct sctp_assoc_reset_event *ars = (void *)buf;
	memset(buf, 0, sizeof buf);
	ars->assocreset_type = SCTP_ASSOC_RESET_EVENT; ars->assocreset_flags = SCTP_ASSOC_RESET_DENIED;
	ars->assocreset_length = sizeof *ars; ars->assocreset_assoc_id = 14;
	ars->assocreset_local_tsn = 0xa0a0a0a0; ars->assocreset_remote_tsn = 0x0b0b0b0b;
	dump(F, "assoc_reset_event", buf, sizeof *ars);

	struct sctp_stream_change_event *sch = (void *)buf;
	memset(buf, 0, sizeof buf);
	sch->strchange_type = SCTP_STREAM_CHANGE_EVENT; sch->strchange_length = sizeof *sch;
	sch->strchange_assoc_id = 15; sch->strchange_instrms = 20; sch->strchange_outstrms = 30;
	dump(F, "stream_change_event", buf, sizeof *sch);
}

static void structs(void)
{
	struct sctp_event ev;
	memset(&ev, 0, sizeof ev);
	ev.se_assoc_id = 3; ev.se_type = SCTP_SENDER_DRY_EVENT; ev.se_on = 1;
	dump(F, "sctp_event", &ev, sizeof ev);

	struct sctp_event_subscribe sub;
	memset(&sub, 0, sizeof sub);
	sub.sctp_data_io_event = 1; sub.sctp_association_event = 1; sub.sctp_shutdown_event = 1;
	sub.sctp_sender_dry_event = 1; sub.sctp_stream_reset_event = 1;
	dump(F, "sctp_event_subscribe", &sub, sizeof sub);

	struct sctp_sndinfo snd;
	memset(&snd, 0, sizeof snd);
	snd.snd_sid = 2; snd.snd_flags = SCTP_UNORDERED | SCTP_SACK_IMMEDIATELY; snd.snd_ppid = htonl(51);
	snd.snd_context = 0xdeadbeef; snd.snd_assoc_id = 4;
	dump(F, "sctp_sndinfo", &snd, sizeof snd);

	struct sctp_rcvinfo rcv;
	memset(&rcv, 0, sizeof rcv);
	rcv.rcv_sid = 3; rcv.rcv_ssn = 9; rcv.rcv_flags = SCTP_UNORDERED; rcv.rcv_ppid = htonl(50);
	rcv.rcv_tsn = 1000; rcv.rcv_cumtsn = 999; rcv.rcv_context = 7; rcv.rcv_assoc_id = 5;
	dump(F, "sctp_rcvinfo", &rcv, sizeof rcv);

	struct sctp_nxtinfo nxt;
	memset(&nxt, 0, sizeof nxt);
	nxt.nxt_sid = 4; nxt.nxt_flags = SCTP_NEXT_MSG_AVAIL | SCTP_NEXT_MSG_ISCOMPLETE;
	nxt.nxt_ppid = htonl(52); nxt.nxt_length = 1400; nxt.nxt_assoc_id = 6;
	dump(F, "sctp_nxtinfo", &nxt, sizeof nxt);

	struct fbsd_sctp_sndrcvinfo sri;
	memset(&sri, 0, sizeof sri);
	sri.sinfo_stream = 5; sri.sinfo_ssn = 6; sri.sinfo_flags = SCTP_UNORDERED; sri.sinfo_ppid = htonl(51);
	sri.sinfo_context = 8; sri.sinfo_timetolive = 9; sri.sinfo_tsn = 10; sri.sinfo_cumtsn = 11;
	sri.sinfo_assoc_id = 12; sri.sinfo_keynumber = 3; sri.sinfo_keynumber_valid = 1;
	dump(F, "sctp_sndrcvinfo", &sri, sizeof sri);

	struct sctp_initmsg init;
	memset(&init, 0, sizeof init);
	init.sinit_num_ostreams = 10; init.sinit_max_instreams = 20; init.sinit_max_attempts = 4;
	init.sinit_max_init_timeo = 60000;
	dump(F, "sctp_initmsg", &init, sizeof init);
}

int main(void)
{
	constants();
	layout();
	notifications();
	structs();
	return 0;
}
