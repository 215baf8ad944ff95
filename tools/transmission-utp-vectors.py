#!/usr/bin/python3
"""Capture real uTP datagrams from the libutp inside transmission-daemon, on loopback.

Starts tools/peers/transmission_peer.py, sends it a SYN (receive id 0x1234, seq_nr 1), then a
DATA packet carrying a BitTorrent handshake for its torrent, and prints every datagram that
comes back, as hex, one per line with a label:
  syn_ack   libutp's answer to the SYN (ST_STATE)
  reply_N   what follows our DATA (its ACK, its handshake, ...)
"""
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    with tempfile.TemporaryDirectory() as work:
        peer = subprocess.Popen(
            ["/usr/bin/python3", os.path.join(HERE, "peers", "transmission_peer.py"), "--dir", work],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            line = peer.stdout.readline()
            if not line:
                sys.exit("transmission_peer.py did not start")
            info = json.loads(line)
            capture(info)
        finally:
            peer.stdin.close()
            peer.wait()


def capture(info):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(2)
    peer = ("127.0.0.1", info["port"])
    # ST_SYN v1, no extension, receive id 0x1234, timestamp 1, wnd 1 MiB, seq_nr 1, ack_nr 0.
    sock.sendto(bytes.fromhex("41001234" "00000001" "00000000" "00100000" "0001" "0000"), peer)
    syn_ack, _ = sock.recvfrom(4096)
    print("syn_ack", syn_ack.hex())
    their_seq = struct.unpack(">H", syn_ack[16:18])[0]
    handshake = (b"\x13BitTorrent protocol" + bytes(8) + bytes.fromhex(info["info_hash"])
                 + b"-HK0001-" + b"harkharkhark")
    # ST_DATA on send id 0x1235, seq_nr 2, acking the SYN-ACK's seq_nr (not consumed: no + 1).
    data = bytes([0x01, 0x00]) + struct.pack(">HIIIHH", 0x1235, 2, 0, 1 << 20, 2, their_seq - 1 & 0xffff) + handshake
    sock.sendto(data, peer)
    index = 0
    try:
        while True:
            reply, _ = sock.recvfrom(4096)
            print(f"reply_{index}", reply.hex())
            index += 1
    except socket.timeout:
        pass


if __name__ == "__main__":
    main()
