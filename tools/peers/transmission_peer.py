#!/usr/bin/python3
"""A real transmission-daemon (Debian's transmission-daemon 3.00, which bundles libutp) seeding
a small torrent over uTP on loopback, for hark's interop tests.

  transmission_peer.py --dir DIR [--size BYTES]

Creates the data and a v1 torrent, starts transmission-daemon (DHT, LPD, port mapping off;
uTP on; encryption tolerated) on a free peer port, waits until the torrent is verified and
seeding, prints one JSON line {"info_hash": HEX, "port": N, "pieces": N, "piece_length": N},
and runs until standard input closes, then stops the daemon.
"""
import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time

import libtorrent as lt

PIECE_LENGTH = 16384


def free_port(kind):
    sock = socket.socket(socket.AF_INET, kind)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--size", type=int, default=256 * 1024)
    args = parser.parse_args()
    data_dir = os.path.join(args.dir, "data")
    watch_dir = os.path.join(args.dir, "watch")
    config_dir = os.path.join(args.dir, "config")
    for path in (data_dir, watch_dir, config_dir):
        os.makedirs(path, exist_ok=True)

    name = "hark-interop.bin"
    with open(os.path.join(data_dir, name), "wb") as out:
        out.write(random.Random(0x4a61726b).randbytes(args.size))
    torrent = os.path.join(args.dir, "hark-interop.torrent")
    subprocess.run(["transmission-create", "-o", torrent, "-s", str(PIECE_LENGTH // 1024),
                    os.path.join(data_dir, name)], check=True, stdout=subprocess.DEVNULL)
    info = lt.torrent_info(torrent)

    peer_port = free_port(socket.SOCK_DGRAM)
    rpc_port = free_port(socket.SOCK_STREAM)
    with open(os.path.join(config_dir, "settings.json"), "w") as out:
        json.dump({"bind-address-ipv4": "127.0.0.1", "rpc-bind-address": "127.0.0.1",
                   "rpc-authentication-required": False, "rpc-whitelist-enabled": False,
                   "encryption": 0, "utp-enabled": True, "dht-enabled": False,
                   "lpd-enabled": False, "pex-enabled": False, "port-forwarding-enabled": False,
                   "peer-port": peer_port, "rpc-port": rpc_port,
                   "message-level": 1}, out)
    daemon = subprocess.Popen(
        ["transmission-daemon", "-f", "-g", config_dir, "-w", data_dir, "-c", watch_dir,
         "-O", "-Y", "-M", "--utp", "-P", str(peer_port), "-p", str(rpc_port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # A copy into the watch dir makes the daemon add it, verify the data and seed.
        with open(torrent, "rb") as src, open(os.path.join(watch_dir, "t.torrent"), "wb") as dst:
            dst.write(src.read())
        deadline = time.time() + 30
        while time.time() < deadline:
            out = subprocess.run(["transmission-remote", str(rpc_port), "-t", "all", "-i"],
                                 capture_output=True, text=True)
            # A verified torrent with no peers yet shows as Idle; with peers, Seeding.
            if "Percent Done: 100%" in out.stdout and ("State: Seeding" in out.stdout
                                                       or "State: Idle" in out.stdout):
                break
            if daemon.poll() is not None:
                sys.exit("transmission-daemon exited")
            time.sleep(0.2)
        else:
            sys.exit("transmission-daemon did not start seeding within 30 s")
        print(json.dumps({"info_hash": str(info.info_hash()), "port": peer_port,
                          "pieces": info.num_pieces(), "piece_length": PIECE_LENGTH}), flush=True)
        sys.stdin.read()
    finally:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(timeout=10)
        except subprocess.TimeoutExpired:
            daemon.kill()


if __name__ == "__main__":
    main()
