#!/usr/bin/python3
"""libtorrent's uTP on loopback, for `cargo xtask bench` (Debian's python3-libtorrent).

  libtorrent_bench.py --size BYTES [--socket-buffer BYTES] [--deadline SECONDS]

One process, two sessions on 127.0.0.1: a seeder with a file of random bytes (hashed before
the clock starts) and a downloader without it, uTP only (TCP, DHT, LSD, UPnP, NAT-PMP and
encryption off). The clock runs from the downloader's connect_peer to its
torrent_finished_alert (or the deadline). --socket-buffer sets libtorrent's
send/recv_socket_buffer_size (0, the default, keeps the OS default).

Prints one JSON line: {"bytes": total, "done": bytes verified by the downloader,
"seconds": wall time, "cpu_seconds": this process's user+system time over the same span,
"complete": bool}. Exits 2 when libtorrent cannot be imported.
"""
import argparse
import hashlib
import json
import os
import resource
import shutil
import sys
import tempfile
import time

try:
    import libtorrent as lt
except ImportError as error:
    print(json.dumps({"error": f"libtorrent not importable: {error}"}), flush=True)
    sys.exit(2)

PIECE_LENGTH = 1 << 20
NAME = "hark-bench.bin"


def settings(socket_buffer):
    return {
        "listen_interfaces": "127.0.0.1:0",
        "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
        "enable_outgoing_tcp": False, "enable_incoming_tcp": False,
        "enable_outgoing_utp": True, "enable_incoming_utp": True,
        "out_enc_policy": 2, "in_enc_policy": 2,  # pe_disabled: plain BitTorrent
        "allow_multiple_connections_per_ip": True,
        "send_socket_buffer_size": socket_buffer,
        "recv_socket_buffer_size": socket_buffer,
        "alert_mask": lt.alert.category_t.status_notification
                      | lt.alert.category_t.error_notification,
    }


def make_torrent(data):
    fs = lt.file_storage()
    fs.add_file(NAME, len(data))
    ct = lt.create_torrent(fs, PIECE_LENGTH, flags=lt.create_torrent.v1_only)
    for index in range(ct.num_pieces()):
        piece = data[index * PIECE_LENGTH:(index + 1) * PIECE_LENGTH]
        ct.set_hash(index, hashlib.sha1(piece).digest())
    return lt.torrent_info(lt.bencode(ct.generate()))


def add(ses, info, directory):
    params = lt.add_torrent_params()
    params.ti = info
    params.save_path = directory
    return ses.add_torrent(params)


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def wait_until(predicate, deadline):
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--socket-buffer", type=int, default=0)
    parser.add_argument("--deadline", type=float, default=30.0)
    args = parser.parse_args()

    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    root = tempfile.mkdtemp(prefix="hark-lt-bench-", dir=base)
    try:
        seed_dir, leech_dir = os.path.join(root, "seed"), os.path.join(root, "leech")
        os.makedirs(seed_dir)
        os.makedirs(leech_dir)
        data = os.urandom(args.size)
        with open(os.path.join(seed_dir, NAME), "wb") as out:
            out.write(data)
        info = make_torrent(data)
        del data

        seeder = lt.session(settings(args.socket_buffer))
        leecher = lt.session(settings(args.socket_buffer))
        seed = add(seeder, info, seed_dir)
        leech = add(leecher, info, leech_dir)
        setup_deadline = time.monotonic() + 60
        if not wait_until(lambda: seed.status().is_seeding, setup_deadline):
            raise SystemExit("the seeder did not finish checking its file")
        wait_until(lambda: leech.status().state
                   not in (lt.torrent_status.checking_files,
                           lt.torrent_status.checking_resume_data), setup_deadline)
        leecher.pop_alerts()

        cpu_start, start = cpu_seconds(), time.monotonic()
        leech.connect_peer(("127.0.0.1", seeder.listen_port()), 0)
        deadline = start + args.deadline
        complete = False
        while not complete and time.monotonic() < deadline:
            leecher.wait_for_alert(50)
            for alert in leecher.pop_alerts():
                if isinstance(alert, lt.torrent_finished_alert):
                    complete = True
        seconds, cpu = time.monotonic() - start, cpu_seconds() - cpu_start
        done = leech.status().total_wanted_done
        print(json.dumps({"bytes": args.size, "done": done, "seconds": seconds,
                          "cpu_seconds": cpu, "complete": complete}), flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    # Skip the sessions' orderly shutdown: it only adds seconds to the bench.
    os._exit(0)


if __name__ == "__main__":
    main()
