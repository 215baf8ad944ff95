#!/usr/bin/python3
"""A real libtorrent client (Debian's python3-libtorrent, run with /usr/bin/python3) for a
.torrent file made elsewhere (by `hark torrent create`), for hark's client interop tests.

  libtorrent_interop.py seed --torrent T --save DIR [--transport utp|tcp|both] [--listen IP]
      Checks the data under DIR against T (a full hash check, no seed mode) and seeds it;
      exits with an error if any piece is missing or wrong.
  libtorrent_interop.py download --torrent T --save DIR [--peer HOST:PORT]... [--transport ...]
      Downloads T into DIR from the given peers (and from T's trackers and web seeds).
      Prints {"event": "complete"} once every piece passed its hash check.
  libtorrent_interop.py check --torrent T --save DIR
      Hash-checks the data under DIR, prints {"event": "checked", "have": N, "pieces": N}
      and exits.

DHT, LSD, UPnP, NAT-PMP and encryption are off; several connections from one IP are
allowed (every test peer lives on 127.0.0.1); socket buffers are 4 MiB, as hark's. All
modes print one JSON line first, {"info_hash": HEX, "port": N, "pieces": N,
"piece_length": N} (port: TCP and uTP), then one JSON line per alert, and run until
standard input closes. A line "connect HOST:PORT" on standard input makes seed and
download dial one more peer.
"""
import argparse
import json
import select
import sys
import time

import libtorrent as lt


def emit(obj):
    print(json.dumps(obj), flush=True)


def settings(listen, transport):
    tcp = transport in ("tcp", "both")
    utp = transport in ("utp", "both")
    return {
        "listen_interfaces": f"{listen}:0",
        "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
        "enable_outgoing_tcp": tcp, "enable_incoming_tcp": tcp,
        "enable_outgoing_utp": utp, "enable_incoming_utp": utp,
        "out_enc_policy": 2, "in_enc_policy": 2,  # pe_disabled: plain BitTorrent
        "allow_multiple_connections_per_ip": True,
        # Test peers share an address; libtorrent would otherwise treat them as one.
        "smooth_connects": False,
        # The UDP socket's buffers as hark's (4 MiB): at the OS default (208 KiB here) its
        # uTP loses datagrams on loopback and downloads at a tenth of the rate.
        "recv_socket_buffer_size": 4 << 20, "send_socket_buffer_size": 4 << 20,
        "alert_mask": lt.alert.category_t.peer_notification
        | lt.alert.category_t.error_notification
        | lt.alert.category_t.connect_notification
        | lt.alert.category_t.status_notification
        | lt.alert.category_t.tracker_notification,
    }


def read_command(timeout):
    """A line of standard input ("" when it closed), or None if none came in `timeout`."""
    readable, _, _ = select.select([sys.stdin], [], [], timeout)
    return sys.stdin.readline() if readable else None


def checked(ses, deadline):
    """Waits for libtorrent's check of the files (done after adding, before anything is
    served or requested)."""
    while time.time() < deadline:
        for alert in ses.pop_alerts():
            emit({"alert": alert.what(), "message": alert.message()})
            if isinstance(alert, lt.torrent_checked_alert):
                return
            if isinstance(alert, lt.torrent_error_alert):
                sys.exit(f"libtorrent: {alert.message()}")
        time.sleep(0.02)
    sys.exit("libtorrent did not finish checking within 30 s")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["seed", "download", "check"])
    parser.add_argument("--torrent", required=True)
    parser.add_argument("--save")
    parser.add_argument("--dir", required=True, help="scratch directory (default --save)")
    parser.add_argument("--peer", action="append", default=[])
    parser.add_argument("--transport", choices=["utp", "tcp", "both"], default="both")
    parser.add_argument("--listen", default="127.0.0.1")
    args = parser.parse_args()
    save = args.save or args.dir

    info = lt.torrent_info(args.torrent)
    ses = lt.session(settings(args.listen, args.transport))
    params = lt.add_torrent_params()
    params.ti = info
    params.save_path = save
    handle = ses.add_torrent(params)
    first = {"info_hash": str(info.info_hashes().v1), "port": ses.listen_port(),
             "pieces": info.num_pieces(), "piece_length": info.piece_length()}
    checked(ses, time.time() + 30)
    status = handle.status()
    if args.mode == "check":
        emit(first)
        emit({"event": "checked", "have": status.num_pieces, "pieces": info.num_pieces()})
        return
    if args.mode == "seed" and status.num_pieces != info.num_pieces():
        sys.exit(f"the data under {save} has {status.num_pieces} of {info.num_pieces()} "
                 "pieces: not seeding")
    emit(first)
    for peer in args.peer:
        host, port = peer.rsplit(":", 1)
        handle.connect_peer((host, int(port)), 0)

    complete = False
    while True:
        command = read_command(0.05)
        if command == "":
            break
        if command and command.startswith("connect "):
            host, port = command.split()[1].rsplit(":", 1)
            handle.connect_peer((host, int(port)), 0)
            emit({"event": "connecting", "peer": f"{host}:{port}"})
        for alert in ses.pop_alerts():
            emit({"alert": alert.what(), "message": alert.message()})
            # libtorrent 2.0 writes through shared memory maps: once finished, the bytes
            # are what other processes read.
            if isinstance(alert, lt.torrent_finished_alert) and not complete:
                complete = True
                emit({"event": "complete"})
    del handle
    del ses


if __name__ == "__main__":
    main()
