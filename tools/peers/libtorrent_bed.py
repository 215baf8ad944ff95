#!/usr/bin/python3
"""libtorrent's uTP as the reference flow of `cargo xtask ledbat-bed` (python3-libtorrent).

  libtorrent_bed.py seed --dir DIR --listen IP:PORT --torrent PATH [--size BYTES]
  libtorrent_bed.py leech --dir DIR --torrent PATH --peer IP:PORT

seed: writes a file of random bytes into DIR/seed, makes its torrent at PATH, seeds it on
IP:PORT over uTP only (TCP, DHT, LSD, UPnP, NAT-PMP and encryption off), prints "ready" once
seeding and runs until killed.
leech: downloads it from the one peer IP:PORT into DIR/leech over uTP only and prints the
bytes verified so far every 100 ms, until killed or complete.
"""
import argparse
import hashlib
import os
import sys
import time

try:
    import libtorrent as lt
except ImportError as error:
    print(f"libtorrent not importable: {error}", file=sys.stderr, flush=True)
    sys.exit(2)

PIECE_LENGTH = 1 << 20
NAME = "hark-bed.bin"


def session(listen):
    return lt.session({
        "listen_interfaces": listen,
        "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
        "enable_outgoing_tcp": False, "enable_incoming_tcp": False,
        "enable_outgoing_utp": True, "enable_incoming_utp": True,
        "out_enc_policy": 2, "in_enc_policy": 2,
        "allow_multiple_connections_per_ip": True,
        "upload_rate_limit": 0, "download_rate_limit": 0,
    })


def add(ses, info, directory):
    params = lt.add_torrent_params()
    params.ti = info
    params.save_path = directory
    return ses.add_torrent(params)


def seed(args):
    directory = os.path.join(args.dir, "seed")
    os.makedirs(directory, exist_ok=True)
    data = os.urandom(args.size)
    with open(os.path.join(directory, NAME), "wb") as out:
        out.write(data)
    fs = lt.file_storage()
    fs.add_file(NAME, len(data))
    ct = lt.create_torrent(fs, PIECE_LENGTH, flags=lt.create_torrent.v1_only)
    for index in range(ct.num_pieces()):
        piece = data[index * PIECE_LENGTH:(index + 1) * PIECE_LENGTH]
        ct.set_hash(index, hashlib.sha1(piece).digest())
    encoded = lt.bencode(ct.generate())
    del data
    ses = session(args.listen)
    handle = add(ses, lt.torrent_info(encoded), directory)
    deadline = time.monotonic() + 120
    while not handle.status().is_seeding:
        if time.monotonic() > deadline:
            sys.exit("the seeder did not finish checking its file")
        time.sleep(0.05)
    with open(args.torrent + ".tmp", "wb") as out:
        out.write(encoded)
    os.replace(args.torrent + ".tmp", args.torrent)
    print("ready", flush=True)
    while True:
        time.sleep(1)


def leech(args):
    directory = os.path.join(args.dir, "leech")
    os.makedirs(directory, exist_ok=True)
    with open(args.torrent, "rb") as f:
        info = lt.torrent_info(lt.bdecode(f.read()))
    ses = session("0.0.0.0:0")
    handle = add(ses, info, directory)
    host, port = args.peer.rsplit(":", 1)
    handle.connect_peer((host, int(port)), 0)
    while True:
        status = handle.status()
        print(status.total_wanted_done, flush=True)
        if status.is_seeding:
            break
        time.sleep(0.1)
    os._exit(0)


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("seed")
    s.add_argument("--dir", required=True)
    s.add_argument("--listen", required=True)
    s.add_argument("--torrent", required=True)
    s.add_argument("--size", type=int, default=96 << 20)
    l = sub.add_parser("leech")
    l.add_argument("--dir", required=True)
    l.add_argument("--torrent", required=True)
    l.add_argument("--peer", required=True)
    args = parser.parse_args()
    if args.mode == "seed":
        seed(args)
    else:
        leech(args)


if __name__ == "__main__":
    main()
