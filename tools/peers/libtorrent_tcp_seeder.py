#!/usr/bin/python3
"""A real libtorrent seeder over TCP for hark's BitTorrent peer-session test (Debian's
python3-libtorrent, run with /usr/bin/python3).

  libtorrent_tcp_seeder.py --dir DIR [--size BYTES] [--piece-length BYTES]

Seeds a v1 torrent of seeded random bytes (DIR/hark-interop.bin) over plain TCP on
127.0.0.1 (uTP, DHT, LSD, UPnP, NAT-PMP and encryption off; Fast and the extension
protocol on, as libtorrent always has them). Prints one JSON line first,
{"info_hash": HEX, "port": N, "pieces": N, "piece_length": N}, then one JSON line per alert
of interest, and runs until standard input closes.
"""
import argparse
import hashlib
import json
import os
import random
import select
import socket
import sys
import time

import libtorrent as lt


def emit(obj):
    print(json.dumps(obj), flush=True)


def probe_until_answered(port, info_hash):
    deadline = time.time() + 30
    hello = b"\x13BitTorrent protocol" + bytes(8) + info_hash + b"-HK0000-probe0000000"
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
                probe.sendall(hello)
                answer = b""
                while len(answer) < 68:
                    chunk = probe.recv(68 - len(answer))
                    if not chunk:
                        break
                    answer += chunk
                if len(answer) == 68:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit("libtorrent did not answer a handshake within 30 s")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--size", type=int, default=4 * 1024 * 1024)
    parser.add_argument("--piece-length", type=int, default=32 * 1024)
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)

    data = random.Random(0x62747065).randbytes(args.size)
    with open(os.path.join(args.dir, "hark-interop.bin"), "wb") as out:
        out.write(data)
    fs = lt.file_storage()
    fs.add_file("hark-interop.bin", args.size)
    ct = lt.create_torrent(fs, args.piece_length, flags=lt.create_torrent.v1_only)
    for index in range(ct.num_pieces()):
        piece = data[index * args.piece_length:(index + 1) * args.piece_length]
        ct.set_hash(index, hashlib.sha1(piece).digest())
    info = lt.torrent_info(lt.bencode(ct.generate()))

    ses = lt.session({
        "listen_interfaces": "127.0.0.1:0",
        "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
        "enable_outgoing_utp": False, "enable_incoming_utp": False,
        "enable_outgoing_tcp": True, "enable_incoming_tcp": True,
        "out_enc_policy": 2, "in_enc_policy": 2,  # pe_disabled: plain BitTorrent
        "allow_multiple_connections_per_ip": True,
        "alert_mask": lt.alert.category_t.peer_notification | lt.alert.category_t.error_notification
                      | lt.alert.category_t.connect_notification,
    })
    params = lt.add_torrent_params()
    params.ti = info
    params.save_path = args.dir
    params.flags |= lt.torrent_flags.seed_mode
    handle = ses.add_torrent(params)
    # Connections in the first moments after start are reset or left unanswered: announce
    # the port only once a probe's handshake is answered.
    probe_until_answered(ses.listen_port(), info.info_hash().to_bytes())
    emit({"info_hash": str(info.info_hash()), "port": ses.listen_port(),
          "pieces": info.num_pieces(), "piece_length": args.piece_length})
    while True:
        readable, _, _ = select.select([sys.stdin], [], [], 0.1)
        if readable and not sys.stdin.readline():
            break
        for alert in ses.pop_alerts():
            emit({"alert": alert.what(), "message": alert.message()})
    del handle
    del ses


if __name__ == "__main__":
    main()
