#!/usr/bin/python3
"""libtorrent (Debian's python3-libtorrent) seeding or downloading a given .torrent, for the
interop tests of hark's BitTorrent client.

  libtorrent_client.py --dir DIR --torrent FILE --save SAVE --transport utp|tcp
                       [--peer HOST:PORT]

Listens on 127.0.0.1 (any free port) over the one transport given, with DHT, LSD, UPnP,
NAT-PMP and encryption off and several connections per IP allowed (hark's peers share
127.0.0.1). Adds FILE with its data under SAVE: with the data there, libtorrent checks it
and seeds; without, it downloads. With --peer, connects to that peer.

Prints one JSON line first, {"info_hash": HEX, "port": N, "pieces": N, "piece_length": N},
then {"alert": "seeding"} once it has every piece (checked or downloaded), and one JSON line
per alert of interest; runs until standard input closes.
"""
import argparse
import json
import os
import select
import sys

import libtorrent as lt


def emit(obj):
    print(json.dumps(obj), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--torrent", required=True)
    parser.add_argument("--save", required=True)
    parser.add_argument("--transport", choices=["utp", "tcp"], required=True)
    parser.add_argument("--peer")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    utp = args.transport == "utp"
    ses = lt.session({
        "listen_interfaces": "127.0.0.1:0",
        "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
        "enable_outgoing_tcp": not utp, "enable_incoming_tcp": not utp,
        "enable_outgoing_utp": utp, "enable_incoming_utp": utp,
        "out_enc_policy": 2, "in_enc_policy": 2,  # pe_disabled: plain BitTorrent
        "allow_multiple_connections_per_ip": True,
        "alert_mask": lt.alert.category_t.peer_notification | lt.alert.category_t.error_notification
                      | lt.alert.category_t.connect_notification | lt.alert.category_t.status_notification,
    })
    info = lt.torrent_info(args.torrent)
    params = lt.add_torrent_params()
    params.ti = info
    params.save_path = args.save
    handle = ses.add_torrent(params)
    emit({"info_hash": str(info.info_hash()), "port": ses.listen_port(),
          "pieces": info.num_pieces(), "piece_length": info.piece_length()})
    if args.peer:
        host, port = args.peer.rsplit(":", 1)
        handle.connect_peer((host, int(port)), 0)

    seeding = False
    while True:
        readable, _, _ = select.select([sys.stdin], [], [], 0.1)
        if readable and not sys.stdin.readline():
            break
        for alert in ses.pop_alerts():
            emit({"alert": alert.what(), "message": alert.message()})
        if not seeding and handle.status().is_seeding:
            seeding = True
            emit({"alert": "seeding"})
    del handle
    del ses


if __name__ == "__main__":
    main()
