/*
 * Real notifications from a real stack: runs two usrsctp associations between sockets of
 * one process over loopback UDP encapsulation (RFC 6951, UDP port 9899 on 127.0.0.1, or the
 * port given as the only argument),
 * drives events (association up, stream reset, stream add, association reset, partial
 * delivery aborted by a peer ABORT, send failure, sender dry, authentication key freed,
 * graceful shutdown, and a peer ERROR chunk injected as a UDP packet) and prints every
 * notification read with MSG_NOTIFICATION as
 *     live freebsd <socket> <seq> <eor 0|1> <hex>
 * Notifications are read with a 1024-byte buffer, so a large one arrives in several reads
 * (eor 0 ... eor 1), as a kernel delivers it. usrsctp uses the FreeBSD structs; its socket
 * addresses are the host's (Linux) shape.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <usrsctp.h>
#include <sys/socket.h>
#include <netinet/in.h>

/* From FreeBSD's and usrsctp's netinet/sctp.h; usrsctp.h declares the struct only. */
#define SCTP_GET_NONCE_VALUES 0x00001105

#define DEFAULT_ENCAPS_PORT 9899
#define SERVER_PORT 5001

static unsigned seq;
static uint16_t encaps_port = DEFAULT_ENCAPS_PORT;

static void die(const char *what)
{
	fprintf(stderr, "usrsctp_live: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void sockopt(struct socket *s, int name, const void *val, socklen_t len, const char *what)
{
	if (usrsctp_setsockopt(s, IPPROTO_SCTP, name, val, len) < 0)
		die(what);
}

static void subscribe(struct socket *s)
{
	static const uint16_t kinds[] = {
		SCTP_ASSOC_CHANGE, SCTP_PEER_ADDR_CHANGE, SCTP_REMOTE_ERROR, SCTP_SHUTDOWN_EVENT,
		SCTP_ADAPTATION_INDICATION, SCTP_PARTIAL_DELIVERY_EVENT, SCTP_AUTHENTICATION_EVENT,
		SCTP_STREAM_RESET_EVENT, SCTP_SENDER_DRY_EVENT, SCTP_NOTIFICATIONS_STOPPED_EVENT,
		SCTP_ASSOC_RESET_EVENT, SCTP_STREAM_CHANGE_EVENT, SCTP_SEND_FAILED_EVENT,
	};
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		struct sctp_event ev;
		memset(&ev, 0, sizeof ev);
		ev.se_assoc_id = SCTP_FUTURE_ASSOC;
		ev.se_type = kinds[i];
		ev.se_on = 1;
		/* usrsctp refuses SCTP_NOTIFICATIONS_STOPPED_EVENT ("we don't send this"). */
		if (usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_EVENT, &ev, sizeof ev) < 0)
			fprintf(stderr, "SCTP_EVENT %#x: %s\n", kinds[i], strerror(errno));
	}
}

static void common_setup(struct socket *s)
{
	struct sctp_udpencaps enc;
	memset(&enc, 0, sizeof enc);
	enc.sue_address.ss_family = AF_INET;
	enc.sue_port = htons(encaps_port);
	sockopt(s, SCTP_REMOTE_UDP_ENCAPS_PORT, &enc, sizeof enc, "SCTP_REMOTE_UDP_ENCAPS_PORT");
	struct sctp_setadaptation ad = { .ssb_adaptation_ind = 0x01020304 };
	sockopt(s, SCTP_ADAPTATION_LAYER, &ad, sizeof ad, "SCTP_ADAPTATION_LAYER");
	struct sctp_assoc_value av = {
		.assoc_id = SCTP_FUTURE_ASSOC,
		.assoc_value = SCTP_ENABLE_RESET_STREAM_REQ | SCTP_ENABLE_RESET_ASSOC_REQ |
			       SCTP_ENABLE_CHANGE_ASSOC_REQ,
	};
	sockopt(s, SCTP_ENABLE_STREAM_RESET, &av, sizeof av, "SCTP_ENABLE_STREAM_RESET");
	subscribe(s);
}

static struct socket *new_socket(void)
{
	struct socket *s = usrsctp_socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP, NULL, NULL, 0, NULL);
	if (!s)
		die("usrsctp_socket");
	common_setup(s);
	return s;
}

/* Plays the server's side for one packet: sends an ERROR chunk to `client` through the
 * UDP encapsulation port, with the association's verification tag and CRC32c, so the
 * client's stack reports SCTP_REMOTE_ERROR. The cause is "Unrecognized Chunk Type" (6)
 * quoting a chunk header of type 0xc1. */
static void inject_error_chunk(struct socket *client)
{
	struct sctp_get_nonce_values nv;
	socklen_t len = sizeof nv;
	memset(&nv, 0, sizeof nv);
	nv.gn_assoc_id = SCTP_FUTURE_ASSOC;
	if (usrsctp_getsockopt(client, IPPROTO_SCTP, SCTP_GET_NONCE_VALUES, &nv, &len) < 0) {
		fprintf(stderr, "SCTP_GET_NONCE_VALUES: %s\n", strerror(errno));
		return;
	}
	struct sockaddr *addrs = NULL;
	if (usrsctp_getladdrs(client, 0, &addrs) <= 0) {
		fprintf(stderr, "usrsctp_getladdrs failed\n");
		return;
	}
	uint16_t client_port = ((struct sockaddr_in *)addrs)->sin_port;
	usrsctp_freeladdrs(addrs);

	unsigned char pkt[12 + 4 + 4 + 4];
	memset(pkt, 0, sizeof pkt);
	uint16_t sport = htons(SERVER_PORT);
	uint32_t vtag = htonl(nv.gn_local_tag);
	memcpy(pkt, &sport, 2);
	memcpy(pkt + 2, &client_port, 2);
	memcpy(pkt + 4, &vtag, 4);
	/* ERROR chunk: type 9, flags 0, length 12; cause 6, length 8, chunk header c1 00 00 04. */
	static const unsigned char chunk[] = {0x09, 0x00, 0x00, 0x0c, 0x00, 0x06, 0x00, 0x08,
					      0xc1, 0x00, 0x00, 0x04};
	memcpy(pkt + 12, chunk, sizeof chunk);
	uint32_t crc = usrsctp_crc32c(pkt, sizeof pkt);
	memcpy(pkt + 8, &crc, 4);

	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in to;
	memset(&to, 0, sizeof to);
	to.sin_family = AF_INET;
	to.sin_port = htons(encaps_port);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (sendto(fd, pkt, sizeof pkt, 0, (struct sockaddr *)&to, sizeof to) < 0)
		fprintf(stderr, "sendto: %s\n", strerror(errno));
	close(fd);
}

static struct sockaddr_in server_addr(void)
{
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(SERVER_PORT);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sin;
}

/* Reads for about `ms` milliseconds, printing notifications. Stops early once
 * `data_budget` bytes of user data were consumed, leaving the rest queued. */
static size_t drain(struct socket *s, const char *who, int ms, size_t data_budget)
{
	unsigned char buf[1024];
	size_t data = 0;
	for (int waited = 0; waited < ms && data < data_budget; ) {
		struct sctp_rcvinfo rcv;
		socklen_t infolen = sizeof rcv;
		unsigned int infotype = 0;
		int flags = 0;
		ssize_t n = usrsctp_recvv(s, buf, sizeof buf, NULL, NULL, &rcv, &infolen, &infotype,
					  &flags);
		if (n < 0) {
			if (errno == EWOULDBLOCK || errno == EAGAIN) {
				usleep(10000);
				waited += 10;
				continue;
			}
			if (errno == ENOTCONN || errno == ECONNRESET || errno == ECONNABORTED) {
				fprintf(stderr, "%s: %s\n", who, strerror(errno));
				break;
			}
			die("usrsctp_recvv");
		}
		if (n == 0)
			break;
		if (flags & MSG_NOTIFICATION) {
			printf("live freebsd %s %u %d ", who, seq++, (flags & MSG_EOR) ? 1 : 0);
			for (ssize_t i = 0; i < n; i++)
				printf("%02x", buf[i]);
			printf("\n");
			fflush(stdout);
		} else {
			data += (size_t)n;
			fprintf(stderr, "%s: %zd data bytes (eor %d)\n", who, n, (flags & MSG_EOR) ? 1 : 0);
		}
	}
	return data;
}

int main(int argc, char **argv)
{
	if (argc > 2) {
		fprintf(stderr, "usage: %s [udp-encapsulation-port]\n", argv[0]);
		return 2;
	}
	if (argc == 2) {
		char *end = NULL;
		unsigned long port = strtoul(argv[1], &end, 10);
		if (!end || *end != '\0' || port == 0 || port > 65535) {
			fprintf(stderr, "usrsctp_live: bad port %s\n", argv[1]);
			return 2;
		}
		encaps_port = (uint16_t)port;
	}
	usrsctp_init(encaps_port, NULL, NULL);
	usrsctp_sysctl_set_sctp_blackhole(2);

	struct socket *listener = new_socket();
	/* A small receive buffer, so a big message stalls and part of it stays unsent. */
	int rcvbuf = 8192;
	if (usrsctp_setsockopt(listener, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) < 0)
		die("SO_RCVBUF");
	uint32_t pd_point = 1024;
	sockopt(listener, SCTP_PARTIAL_DELIVERY_POINT, &pd_point, sizeof pd_point,
		"SCTP_PARTIAL_DELIVERY_POINT");
	struct sockaddr_in sin = server_addr();
	if (usrsctp_bind(listener, (struct sockaddr *)&sin, sizeof sin) < 0)
		die("bind");
	if (usrsctp_listen(listener, 4) < 0)
		die("listen");

	/* Association 1: up, stream reset, add streams, association reset, then an ABORT in
	 * the middle of a partially delivered message. */
	struct socket *client = new_socket();
	if (usrsctp_connect(client, (struct sockaddr *)&sin, sizeof sin) < 0)
		die("connect");
	struct socket *server = usrsctp_accept(listener, NULL, NULL);
	if (!server)
		die("accept");
	usrsctp_set_non_blocking(client, 1);
	usrsctp_set_non_blocking(server, 1);
	drain(client, "client", 300, (size_t)-1);
	drain(server, "server", 300, (size_t)-1);

	size_t srs_len = sizeof(struct sctp_reset_streams) + 2 * sizeof(uint16_t);
	struct sctp_reset_streams *srs = calloc(1, srs_len);
	srs->srs_assoc_id = SCTP_ALL_ASSOC;
	srs->srs_flags = SCTP_STREAM_RESET_OUTGOING;
	srs->srs_number_streams = 2;
	srs->srs_stream_list[0] = 1;
	srs->srs_stream_list[1] = 2;
	if (usrsctp_setsockopt(client, IPPROTO_SCTP, SCTP_RESET_STREAMS, srs, (socklen_t)srs_len) < 0)
		fprintf(stderr, "SCTP_RESET_STREAMS: %s\n", strerror(errno));
	drain(client, "client", 300, (size_t)-1);
	drain(server, "server", 300, (size_t)-1);

	struct sctp_add_streams sas = { .sas_assoc_id = SCTP_ALL_ASSOC, .sas_instrms = 0, .sas_outstrms = 6 };
	if (usrsctp_setsockopt(client, IPPROTO_SCTP, SCTP_ADD_STREAMS, &sas, sizeof sas) < 0)
		fprintf(stderr, "SCTP_ADD_STREAMS: %s\n", strerror(errno));
	drain(client, "client", 300, (size_t)-1);
	drain(server, "server", 300, (size_t)-1);

	sctp_assoc_t all = SCTP_ALL_ASSOC;
	if (usrsctp_setsockopt(client, IPPROTO_SCTP, SCTP_RESET_ASSOC, &all, sizeof all) < 0)
		fprintf(stderr, "SCTP_RESET_ASSOC: %s\n", strerror(errno));
	drain(client, "client", 300, (size_t)-1);
	drain(server, "server", 300, (size_t)-1);

	/* A 40000-byte message into an 8 KiB window: the server reads part of it (partial
	 * delivery), the rest of the message stays queued at the client. */
	static unsigned char big[40000];
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (unsigned char)i;
	struct sctp_sndinfo snd;
	memset(&snd, 0, sizeof snd);
	snd.snd_sid = 1;
	snd.snd_ppid = htonl(53);
	if (usrsctp_sendv(client, big, sizeof big, NULL, 0, &snd, sizeof snd, SCTP_SENDV_SNDINFO, 0) < 0)
		fprintf(stderr, "sendv big: %s\n", strerror(errno));
	usleep(200000);
	drain(server, "server", 200, 2000);
	/* The client aborts with a reason: SCTP_ABORT in snd_flags, the data is the cause. */
	memset(&snd, 0, sizeof snd);
	snd.snd_flags = SCTP_ABORT;
	if (usrsctp_sendv(client, "bye", 3, NULL, 0, &snd, sizeof snd, SCTP_SENDV_SNDINFO, 0) < 0)
		fprintf(stderr, "sendv abort: %s\n", strerror(errno));
	drain(client, "client", 300, (size_t)-1);
	drain(server, "server", 300, (size_t)-1);
	usrsctp_close(client);
	usrsctp_close(server);
	free(srs);

	/* Association 2: up, then a graceful shutdown from the client. */
	struct socket *client2 = new_socket();
	if (usrsctp_connect(client2, (struct sockaddr *)&sin, sizeof sin) < 0)
		die("connect 2");
	struct socket *server2 = usrsctp_accept(listener, NULL, NULL);
	if (!server2)
		die("accept 2");
	usrsctp_set_non_blocking(client2, 1);
	usrsctp_set_non_blocking(server2, 1);
	drain(client2, "client2", 200, (size_t)-1);
	drain(server2, "server2", 200, (size_t)-1);
	/* A small message that gets acknowledged: the client's send queue runs dry. */
	memset(&snd, 0, sizeof snd);
	snd.snd_sid = 2;
	if (usrsctp_sendv(client2, "ping", 4, NULL, 0, &snd, sizeof snd, SCTP_SENDV_SNDINFO, 0) < 0)
		fprintf(stderr, "sendv ping: %s\n", strerror(errno));
	drain(server2, "server2", 200, (size_t)-1);
	drain(client2, "client2", 200, (size_t)-1);
	/* AUTH: add shared key 1, make it active, deactivate the default key 0. */
	size_t ak_len = sizeof(struct sctp_authkey) + 4;
	struct sctp_authkey *ak = calloc(1, ak_len);
	ak->sca_assoc_id = SCTP_ALL_ASSOC;
	ak->sca_keynumber = 1;
	ak->sca_keylength = 4;
	memcpy(ak->sca_key, "k3y!", 4);
	if (usrsctp_setsockopt(client2, IPPROTO_SCTP, SCTP_AUTH_KEY, ak, (socklen_t)ak_len) < 0)
		fprintf(stderr, "SCTP_AUTH_KEY: %s\n", strerror(errno));
	struct sctp_authkeyid kid = { .scact_assoc_id = SCTP_ALL_ASSOC, .scact_keynumber = 1 };
	if (usrsctp_setsockopt(client2, IPPROTO_SCTP, SCTP_AUTH_ACTIVE_KEY, &kid, sizeof kid) < 0)
		fprintf(stderr, "SCTP_AUTH_ACTIVE_KEY: %s\n", strerror(errno));
	kid.scact_keynumber = 0;
	if (usrsctp_setsockopt(client2, IPPROTO_SCTP, SCTP_AUTH_DEACTIVATE_KEY, &kid, sizeof kid) < 0)
		fprintf(stderr, "SCTP_AUTH_DEACTIVATE_KEY: %s\n", strerror(errno));
	drain(client2, "client2", 200, (size_t)-1);
	free(ak);
	if (usrsctp_shutdown(client2, SHUT_WR) < 0)
		die("shutdown");
	drain(server2, "server2", 300, (size_t)-1);
	drain(client2, "client2", 300, (size_t)-1);
	usrsctp_close(client2);
	usrsctp_close(server2);

	/* Association 3: an ERROR chunk from "the peer". The injected packet comes from another
	 * UDP port, which the stack adopts for the path, so this association is not reused. */
	struct socket *client3 = new_socket();
	if (usrsctp_connect(client3, (struct sockaddr *)&sin, sizeof sin) < 0)
		die("connect 3");
	struct socket *server3 = usrsctp_accept(listener, NULL, NULL);
	if (!server3)
		die("accept 3");
	usrsctp_set_non_blocking(client3, 1);
	usrsctp_set_non_blocking(server3, 1);
	drain(client3, "client3", 200, (size_t)-1);
	drain(server3, "server3", 200, (size_t)-1);
	inject_error_chunk(client3);
	drain(client3, "client3", 300, (size_t)-1);
	usrsctp_close(client3);
	usrsctp_close(server3);
	usrsctp_close(listener);
	while (usrsctp_finish() != 0)
		usleep(100000);
	return 0;
}
