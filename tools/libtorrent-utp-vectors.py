#!/usr/bin/python3
"""Capture real uTP datagrams from libtorrent (Debian's python3-libtorrent) on loopback.

Prints, as hex, one per line with a label:
  syn        the ST_SYN libtorrent sends when it connects to a peer over uTP
  data       the ST_DATA that follows our SYN-ACK: libtorrent's BitTorrent handshake
  accept_N   the datagrams libtorrent sends after accepting our SYN (SYN-ACK first)

Used to record the real byte vectors in crates/hark-wire/tests/utp.rs. Run with
/usr/bin/python3 (Debian's libtorrent binding lives there).
"""
import socket
import sys
import time

import libtorrent as lt


def session(port):
    return lt.session({
        "listen_interfaces": f"127.0.0.1:{port}",
        "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
        "enable_outgoing_tcp": False, "enable_incoming_tcp": False,
        "enable_outgoing_utp": True, "enable_incoming_utp": True,
        "alert_mask": 0,
        # Plain BitTorrent (no MSE encryption), so the DATA payload is a readable handshake.
        "out_enc_policy": 2, "in_enc_policy": 2,
    })


def small_torrent():
    """A one-piece v1 torrent, written as its bencoded dictionary."""
    info = {b"name": b"hark-vector.bin", b"piece length": 16384, b"length": 16384,
            b"pieces": b"\x00" * 20}
    return lt.torrent_info(lt.bencode({b"info": info}))


def add_torrent(ses):
    params = lt.add_torrent_params()
    params.ti = small_torrent()
    params.save_path = "/tmp"
    return ses.add_torrent(params)


def capture_connect(sock):
    """libtorrent connects to our UDP socket: a SYN; we answer a SYN-ACK; then its DATA."""
    ses = session(0)
    handle = add_torrent(ses)
    handle.connect_peer(sock.getsockname(), 0)
    sock.settimeout(10)
    syn, peer = sock.recvfrom(2048)
    conn_id = syn[2:4]
    seq_nr = syn[16:18]
    # ST_STATE v1 to the initiator's receive id, our seq 0x3000, acking its SYN.
    syn_ack = bytes.fromhex("2100") + conn_id + bytes.fromhex("00000001" "00000000" "00100000" "3000") + seq_nr
    sock.sendto(syn_ack, peer)
    data, _ = sock.recvfrom(2048)
    del handle, ses
    return syn, data


def capture_accept(sock):
    """We send a SYN to a listening libtorrent; it answers with a SYN-ACK (ST_STATE)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    ses = session(port)
    handle = add_torrent(ses)
    time.sleep(0.5)
    # ST_SYN v1, no extension, receive id 0x1234, timestamp 1, diff 0, wnd 1 MiB, seq 1, ack 0.
    syn = bytes.fromhex("41001234" "00000001" "00000000" "00100000" "0001" "0000")
    sock.settimeout(0.5)
    for _ in range(10):
        sock.sendto(syn, ("127.0.0.1", port))
        got = []
        try:
            while True:
                data, _ = sock.recvfrom(2048)
                got.append(data)
        except socket.timeout:
            pass
        if got:
            del handle, ses
            return got
    sys.exit("libtorrent did not answer the SYN")


def main():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    syn, data = capture_connect(sock)
    print("syn", syn.hex())
    print("data", data.hex())
    for index, datagram in enumerate(capture_accept(sock)):
        print(f"accept_{index}", datagram.hex())


if __name__ == "__main__":
    main()
