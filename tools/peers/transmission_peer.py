#!/usr/bin/python3
"""A real transmission-daemon (Debian's transmission-daemon 3.00, which bundles libutp) on
loopback, for hark's interop tests.

  transmission_peer.py [seed] --dir DIR [--size BYTES]
      Creates the data and a v1 torrent and seeds it over uTP; prints the first line once the
      daemon has verified the data.
  transmission_peer.py download --dir DIR --tracker URL [--size BYTES]
      Creates the same data in DIR/source and a v1 torrent announcing to URL, and has the
      daemon download it into DIR/data from the peers the tracker names. Prints a JSON line
      whenever the torrent's state or peers change, and {"event": "complete", ...} once every
      piece passed its hash check and the torrent was stopped (so the file is on disk).

The daemon runs with DHT, LPD, PEX and port mapping off, uTP on, plain BitTorrent preferred
(encryption tolerated), bound to 127.0.0.1 on a free peer port; its log goes to standard
error. Both modes print {"info_hash": HEX, "port": N, "pieces": N, "piece_length": N} first
(port: the daemon's peer port, TCP and uTP) and run until standard input closes, then stop
the daemon (which also dies with this script).
"""
import argparse
import ctypes
import json
import os
import random
import select
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

PIECE_LENGTH = 16384
NAME = "hark-interop.bin"
# transmission's torrent status values (RPC "status").
STOPPED, SEEDING = 0, 6


def free_port(kind):
    sock = socket.socket(socket.AF_INET, kind)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def emit(obj):
    print(json.dumps(obj), flush=True)


def die_with_parent():
    """Runs in the daemon's child process: SIGTERM it when this script dies, even by SIGKILL."""
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


class Rpc:
    """transmission's JSON-RPC over HTTP on 127.0.0.1, with its session-id handshake."""

    def __init__(self, port):
        self.url = f"http://127.0.0.1:{port}/transmission/rpc"
        self.session = ""

    def call(self, method, **arguments):
        body = json.dumps({"method": method, "arguments": arguments}).encode()
        for _ in range(2):
            request = urllib.request.Request(
                self.url, data=body, headers={"X-Transmission-Session-Id": self.session})
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    reply = json.load(response)
            except urllib.error.HTTPError as err:
                if err.code == 409:  # a fresh session id comes with the 409
                    self.session = err.headers.get("X-Transmission-Session-Id", "")
                    continue
                raise
            if reply.get("result") != "success":
                sys.exit(f"transmission RPC {method}: {reply.get('result')}")
            return reply.get("arguments", {})
        sys.exit(f"transmission RPC {method}: no session id")


def start_daemon(config_dir, data_dir, bind="127.0.0.1"):
    """Writes settings.json and starts the daemon with its peer sockets on `bind`; returns
    it, its peer port and an Rpc (on 127.0.0.1)."""
    peer_port = free_port(socket.SOCK_DGRAM)
    rpc_port = free_port(socket.SOCK_STREAM)
    with open(os.path.join(config_dir, "settings.json"), "w") as out:
        json.dump({"bind-address-ipv4": bind, "bind-address-ipv6": "::1",
                   "rpc-bind-address": "127.0.0.1",
                   "rpc-authentication-required": False, "rpc-whitelist-enabled": False,
                   "encryption": 0, "utp-enabled": True, "dht-enabled": False,
                   "lpd-enabled": False, "pex-enabled": False, "port-forwarding-enabled": False,
                   "peer-port": peer_port, "peer-port-random-on-start": False,
                   "rpc-port": rpc_port, "rename-partial-files": False,
                   "incomplete-dir-enabled": False, "start-added-torrents": True,
                   "message-level": 2}, out)
    daemon = subprocess.Popen(
        ["transmission-daemon", "-f", "-g", config_dir, "-w", data_dir,
         "-O", "-Y", "-M", "--utp", "-P", str(peer_port), "-p", str(rpc_port)],
        stdin=subprocess.DEVNULL, stdout=sys.stderr, stderr=sys.stderr,
        preexec_fn=die_with_parent)
    rpc = Rpc(rpc_port)
    deadline = time.time() + 30
    while True:
        try:
            rpc.call("session-get")
            return daemon, peer_port, rpc
        except (urllib.error.URLError, ConnectionError, OSError):
            if daemon.poll() is not None:
                sys.exit("transmission-daemon exited")
            if time.time() > deadline:
                sys.exit("transmission-daemon's RPC did not answer within 30 s")
            time.sleep(0.1)


def stop_daemon(daemon):
    daemon.send_signal(signal.SIGTERM)
    try:
        daemon.wait(timeout=10)
    except subprocess.TimeoutExpired:
        daemon.kill()
        daemon.wait()


def make_data(directory, size):
    """The torrent's bytes: the same deterministic ones as libtorrent_peer.py's."""
    path = os.path.join(directory, NAME)
    with open(path, "wb") as out:
        out.write(random.Random(0x4a61726b).randbytes(size))
    return path


def make_torrent(path, torrent, tracker=None):
    command = ["transmission-create", "-o", torrent, "-s", str(PIECE_LENGTH // 1024)]
    if tracker:
        command += ["-t", tracker]
    subprocess.run(command + [path], check=True, stdout=subprocess.DEVNULL)


def add_torrent(rpc, torrent, data_dir):
    added = rpc.call("torrent-add", filename=torrent, **{"download-dir": data_dir})
    entry = added.get("torrent-added") or added.get("torrent-duplicate")
    if not entry:
        sys.exit(f"transmission did not add the torrent: {added}")
    return entry["id"], entry["hashString"]


FIELDS = ["status", "percentDone", "haveValid", "corruptEver", "error", "errorString",
          "pieceCount", "pieceSize", "peers"]


def torrent_state(rpc, torrent_id):
    torrents = rpc.call("torrent-get", ids=[torrent_id], fields=FIELDS).get("torrents", [])
    if not torrents:
        sys.exit("transmission lost the torrent")
    return torrents[0]


def stdin_closed(timeout):
    readable, _, _ = select.select([sys.stdin], [], [], timeout)
    return bool(readable) and not sys.stdin.readline()


def seed(args, rpc, peer_port, dirs):
    path = make_data(dirs["data"], args.size)
    torrent = os.path.join(args.dir, "hark-interop.torrent")
    make_torrent(path, torrent)
    torrent_id, info_hash = add_torrent(rpc, torrent, dirs["data"])
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
    emit({"info_hash": info_hash, "port": peer_port, "pieces": state["pieceCount"],
          "piece_length": state["pieceSize"]})
    while not stdin_closed(None):
        pass


def download(args, rpc, peer_port, dirs):
    path = make_data(dirs["source"], args.size)
    torrent = os.path.join(args.dir, "hark-interop.torrent")
    make_torrent(path, torrent, args.tracker)
    torrent_id, info_hash = add_torrent(rpc, torrent, dirs["data"])
    state = torrent_state(rpc, torrent_id)
    emit({"info_hash": info_hash, "port": peer_port, "pieces": state["pieceCount"],
          "piece_length": state["pieceSize"]})
    last = None
    complete = False
    started = time.monotonic()
    while not stdin_closed(0.05):
        state = torrent_state(rpc, torrent_id)
        report = {"event": "progress", "status": state["status"],
                  "percent_done": state["percentDone"], "have_valid": state["haveValid"],
                  "corrupt": state["corruptEver"], "error": state["errorString"],
                  "peers": [{"address": peer["address"], "port": peer["port"],
                             "utp": peer["isUTP"], "incoming": peer["isIncoming"],
                             "flags": peer["flagStr"], "client": peer["clientName"],
                             "progress": peer["progress"]}
                            for peer in state["peers"]]}
        if report != last:
            last = dict(report)
            report["t"] = round(time.monotonic() - started, 2)
            emit(report)
        if not complete and state["percentDone"] == 1:
            # Stopping flushes transmission's write cache: the file is then complete on disk.
            rpc.call("torrent-stop", ids=[torrent_id])
            deadline = time.time() + 10
            while torrent_state(rpc, torrent_id)["status"] != STOPPED:
                if time.time() > deadline:
                    sys.exit("transmission did not stop the finished torrent within 10 s")
                time.sleep(0.05)
            emit({"event": "complete", "t": round(time.monotonic() - started, 2),
                  "have_valid": state["haveValid"],
                  "corrupt": state["corruptEver"], "file": os.path.join(dirs["data"], NAME)})
            complete = True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", nargs="?", default="seed", choices=["seed", "download"])
    parser.add_argument("--dir", required=True)
    parser.add_argument("--size", type=int, default=256 * 1024)
    parser.add_argument("--tracker", help="announce URL (download mode)")
    args = parser.parse_args()
    if args.mode == "download" and not args.tracker:
        parser.error("download needs --tracker")
    missing = [tool for tool in ("transmission-daemon", "transmission-create")
               if shutil.which(tool) is None]
    if missing:
        sys.exit(f"{', '.join(missing)} not found: install Debian's transmission-daemon and "
                 "transmission-cli (`cargo xtask ci` does)")
    args.dir = os.path.abspath(args.dir)
    dirs = {name: os.path.join(args.dir, name) for name in ("source", "data", "config")}
    for path in dirs.values():
        os.makedirs(path, exist_ok=True)

    daemon, peer_port, rpc = start_daemon(dirs["config"], dirs["data"])
    try:
        (seed if args.mode == "seed" else download)(args, rpc, peer_port, dirs)
    finally:
        stop_daemon(daemon)


if __name__ == "__main__":
    main()
