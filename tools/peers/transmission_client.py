#!/usr/bin/python3
"""transmission-daemon 3.00 (Debian's transmission-daemon) seeding or downloading a given
.torrent, for hark's client interop tests. Meant to run inside a network namespace with an
address outside 127.0.0.0/8 (transmission never dials 127/8 peers and keys peers by IP).

  transmission_client.py seed --torrent T --save DIR --listen IP
      Verifies the data under DIR (which holds the torrent's name) and seeds it; exits with an
      error if the data is not complete.
  transmission_client.py download --torrent T --save DIR --listen IP
      Downloads into DIR from the peers the torrent's tracker names. Prints a JSON line
      whenever the torrent's state or peers change, and {"event": "complete", ...} once
      every piece passed its hash check and the torrent was stopped (so the files are on
      disk).

uTP on, DHT, LPD, PEX and port mapping off, plain BitTorrent preferred. Both modes print
{"info_hash": HEX, "port": N, "pieces": N, "piece_length": N} first (port: the daemon's peer
port, TCP and uTP, on IP) and run until standard input closes.
"""
import argparse
import os
import shutil
import sys
import time

from transmission_peer import (SEEDING, STOPPED, add_torrent, emit, start_daemon, stdin_closed,
                               stop_daemon, torrent_state)


def report(state):
    return {"event": "progress", "status": state["status"],
            "percent_done": state["percentDone"], "have_valid": state["haveValid"],
            "corrupt": state["corruptEver"], "error": state["errorString"],
            "peers": [{"address": peer["address"], "port": peer["port"], "utp": peer["isUTP"],
                       "incoming": peer["isIncoming"], "flags": peer["flagStr"],
                       "client": peer["clientName"], "progress": peer["progress"]}
                      for peer in state["peers"]]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["seed", "download"])
    parser.add_argument("--torrent", required=True)
    parser.add_argument("--save", required=True)
    parser.add_argument("--listen", required=True)
    parser.add_argument("--dir", required=True)
    args = parser.parse_args()
    if shutil.which("transmission-daemon") is None:
        sys.exit("transmission-daemon not found: install Debian's transmission-daemon "
                 "(`cargo xtask ci` does)")
    config = os.path.join(os.path.abspath(args.dir), "config")
    os.makedirs(config, exist_ok=True)
    save = os.path.abspath(args.save)
    os.makedirs(save, exist_ok=True)
    daemon, peer_port, rpc = start_daemon(config, save, bind=args.listen)
    try:
        torrent_id, info_hash = add_torrent(rpc, os.path.abspath(args.torrent), save)
        state = torrent_state(rpc, torrent_id)
        first = {"info_hash": info_hash, "port": peer_port, "pieces": state["pieceCount"],
                 "piece_length": state["pieceSize"]}
        started = time.monotonic()
        if args.mode == "seed":
            deadline = time.time() + 30
            while True:
                state = torrent_state(rpc, torrent_id)
                if state["percentDone"] == 1 and state["status"] == SEEDING:
                    break
                if state["error"]:
                    sys.exit(f"transmission: {state['errorString']}")
                if time.time() > deadline:
                    sys.exit(f"transmission-daemon did not start seeding within 30 s: {state}")
                time.sleep(0.1)
        emit(first)
        last = None
        complete = False
        while not stdin_closed(0.05):
            state = torrent_state(rpc, torrent_id)
            line = report(state)
            if line != last:
                last = dict(line)
                line["t"] = round(time.monotonic() - started, 2)
                emit(line)
            if args.mode == "download" and not complete and state["percentDone"] == 1:
                # Stopping flushes transmission's write cache: the files are then on disk.
                rpc.call("torrent-stop", ids=[torrent_id])
                deadline = time.time() + 10
                while torrent_state(rpc, torrent_id)["status"] != STOPPED:
                    if time.time() > deadline:
                        sys.exit("transmission did not stop the finished torrent within 10 s")
                    time.sleep(0.05)
                emit({"event": "complete", "t": round(time.monotonic() - started, 2),
                      "have_valid": state["haveValid"], "corrupt": state["corruptEver"]})
                complete = True
    finally:
        stop_daemon(daemon)


if __name__ == "__main__":
    main()
