#!/usr/bin/python3
"""A real libtorrent peer for hark's uTP interop tests (Debian's python3-libtorrent).

  libtorrent_peer.py seed --dir DIR [--size BYTES] [--port PORT]
      Seeds a small v1 torrent over uTP only (TCP, DHT, LSD, UPnP, NAT-PMP and encryption off)
      on 127.0.0.1:PORT (0 picks a free port).
  libtorrent_peer.py connect --dir DIR --peer HOST:PORT [--size BYTES] [--data-out FILE]
      Builds the same torrent (same bytes, same info-hash) without the data and connects to
      PEER over uTP. With --data-out, also writes the torrent's bytes to FILE (outside DIR),
      so that PEER can serve them.

Both print one JSON line first, {"info_hash": HEX, "port": N, "pieces": N, "piece_length": N},
then one JSON line per alert of interest, and run until standard input closes.
"""
import argparse
import hashlib
import json
import os
import random
import select
import sys
import time

import libtorrent as lt

PIECE_LENGTH = 16384


def settings(port):
    return {
        "listen_interfaces": f"127.0.0.1:{port}",
        "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
        "enable_outgoing_tcp": False, "enable_incoming_tcp": False,
        "enable_outgoing_utp": True, "enable_incoming_utp": True,
        "out_enc_policy": 2, "in_enc_policy": 2,  # pe_disabled: plain BitTorrent
        "allow_multiple_connections_per_ip": True,
        "alert_mask": lt.alert.category_t.peer_notification | lt.alert.category_t.error_notification
                      | lt.alert.category_t.connect_notification | lt.alert.category_t.status_notification,
    }


def make_torrent(directory, size, write_data, data_out=None):
    """A deterministic file (seeded bytes) and its v1 torrent."""
    path = os.path.join(directory, "hark-interop.bin")
    data = random.Random(0x4a61726b).randbytes(size)
    if write_data:
        with open(path, "wb") as out:
            out.write(data)
    if data_out:
        with open(data_out, "wb") as out:
            out.write(data)
    fs = lt.file_storage()
    fs.add_file("hark-interop.bin", size)
    ct = lt.create_torrent(fs, PIECE_LENGTH, flags=lt.create_torrent.v1_only)
    for index in range(ct.num_pieces()):
        piece = data[index * PIECE_LENGTH:(index + 1) * PIECE_LENGTH]
        ct.set_hash(index, hashlib.sha1(piece).digest())
    return lt.torrent_info(lt.bencode(ct.generate()))


def emit(obj):
    print(json.dumps(obj), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["seed", "connect"])
    parser.add_argument("--dir", required=True)
    parser.add_argument("--size", type=int, default=256 * 1024)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--peer")
    parser.add_argument("--data-out")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)

    seeding = args.mode == "seed"
    info = make_torrent(args.dir, args.size, write_data=seeding, data_out=args.data_out)
    ses = lt.session(settings(args.port))
    params = lt.add_torrent_params()
    params.ti = info
    params.save_path = args.dir
    if seeding:
        params.flags |= lt.torrent_flags.seed_mode
    handle = ses.add_torrent(params)
    port = ses.listen_port()
    emit({"info_hash": str(info.info_hash()), "port": port, "pieces": info.num_pieces(),
          "piece_length": PIECE_LENGTH})
    if not seeding:
        host, peer_port = args.peer.rsplit(":", 1)
        handle.connect_peer((host, int(peer_port)), 0)

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
