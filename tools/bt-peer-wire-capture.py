#!/usr/bin/python3
"""Capture a real BitTorrent peer-wire conversation between two libtorrent sessions.

  bt-peer-wire-capture.py OUT_DIR

Two sessions of Debian's python3-libtorrent (run with /usr/bin/python3) share a small v1
torrent on 127.0.0.1 over plain TCP (uTP and encryption off, DHT on with no bootstrap nodes
so both send `port`): A seeds, B downloads. B connects to a recording relay, which connects
to A and copies bytes both ways. When B has finished and both sides have said what they
have, the relay writes what it saw:

  OUT_DIR/libtorrent_seeder.bin    every byte A sent B (handshake first)
  OUT_DIR/libtorrent_leecher.bin   every byte B sent A (handshake first)

and prints one JSON line: {"libtorrent": VERSION, "info_hash": HEX, "pieces": N}.
Nothing leaves 127.0.0.0/8.
"""
import hashlib
import json
import os
import random
import select
import socket
import sys
import tempfile
import threading
import time

import libtorrent as lt

PIECE_LENGTH = 16384
SIZE = 2 * PIECE_LENGTH + 1000  # three pieces, the last one short


def session():
    return lt.session({
        "listen_interfaces": "127.0.0.1:0",
        "enable_dht": True, "dht_bootstrap_nodes": "",
        "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
        "enable_outgoing_utp": False, "enable_incoming_utp": False,
        "enable_outgoing_tcp": True, "enable_incoming_tcp": True,
        "out_enc_policy": 2, "in_enc_policy": 2,  # pe_disabled: plain BitTorrent
        "allow_multiple_connections_per_ip": True,
        "alert_mask": 0,
    })


def torrent(directory, write):
    data = random.Random(0x68617270).randbytes(SIZE)
    if write:
        with open(os.path.join(directory, "hark-capture.bin"), "wb") as out:
            out.write(data)
    fs = lt.file_storage()
    fs.add_file("hark-capture.bin", SIZE)
    ct = lt.create_torrent(fs, PIECE_LENGTH, flags=lt.create_torrent.v1_only)
    for index in range(ct.num_pieces()):
        ct.set_hash(index, hashlib.sha1(data[index * PIECE_LENGTH:(index + 1) * PIECE_LENGTH]).digest())
    return lt.torrent_info(lt.bencode(ct.generate()))


def relay(listener, upstream_port, seen, stop):
    """Accepts B, connects to A, copies both ways and records each direction."""
    down, _ = listener.accept()
    up = socket.create_connection(("127.0.0.1", upstream_port))
    pair = {down: (up, "leecher"), up: (down, "seeder")}
    while not stop.is_set():
        readable, _, _ = select.select(list(pair), [], [], 0.05)
        for sock in readable:
            data = sock.recv(65536)
            other, who = pair[sock]
            if not data:
                stop.set()
                break
            seen[who] += data
            other.sendall(data)
    down.close()
    up.close()


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    with tempfile.TemporaryDirectory() as seed_dir, tempfile.TemporaryDirectory() as leech_dir:
        a, b = session(), session()
        pa = lt.add_torrent_params()
        pa.ti = torrent(seed_dir, True)
        pa.save_path = seed_dir
        pa.flags |= lt.torrent_flags.seed_mode
        ha = a.add_torrent(pa)
        pb = lt.add_torrent_params()
        pb.ti = torrent(leech_dir, False)
        pb.save_path = leech_dir
        hb = b.add_torrent(pb)

        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        seen = {"seeder": bytearray(), "leecher": bytearray()}
        stop = threading.Event()
        thread = threading.Thread(target=relay, args=(listener, a.listen_port(), seen, stop))
        thread.start()
        hb.connect_peer(("127.0.0.1", listener.getsockname()[1]), 0)

        deadline = time.time() + 30
        while time.time() < deadline and not hb.status().is_seeding:
            time.sleep(0.05)
        if not hb.status().is_seeding:
            stop.set()
            thread.join()
            sys.exit("the download did not finish in 30 s")
        # Let the last have / not-interested messages through, then stop.
        time.sleep(1.0)
        stop.set()
        thread.join()
        for who, data in seen.items():
            with open(os.path.join(out_dir, f"libtorrent_{who}.bin"), "wb") as out:
                out.write(data)
        print(json.dumps({"libtorrent": lt.__version__, "info_hash": str(pa.ti.info_hash()),
                          "pieces": pa.ti.num_pieces()}), flush=True)
        del ha, hb, a, b


if __name__ == "__main__":
    main()
