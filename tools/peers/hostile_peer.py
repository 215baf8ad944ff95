#!/usr/bin/python3
"""A hostile BitTorrent peer of hark's own tests: it claims every piece of a torrent and
then misbehaves. Plain BEP 3 (no extensions), standard library only.

  hostile_peer.py --torrent T --save DIR --listen IP --dir SCRATCH [--connect HOST:PORT]

DIR holds the torrent's data (the real bytes it corrupts). It listens on IP at a free TCP
port and prints {"info_hash": HEX, "port": N, "pieces": N, "piece_length": N} first.

Phase 1, on the first connection the downloader makes to it: handshake, full bitfield,
unchoke, then three invalid requests (a piece index past the end, a block past the end of
piece 0, a 1 MiB block), then a malformed message (a `have` with a 5-byte payload); it
reports whether the downloader hung up.
Phase 2, on a connection it makes to --connect (and on any later connection the downloader
makes): it serves every requested block with its bytes inverted, until hung up on.
Phase 3: it dials --connect again from the same address and reports whether the downloader
answered the handshake (a banned address should not be answered).

Each step is a JSON line ({"event": ...}); it runs until standard input closes.
"""
import argparse
import hashlib
import json
import os
import select
import socket
import struct
import sys
import threading
import time

PROTOCOL = b"\x13BitTorrent protocol"
PEER_ID = b"-HS0001-hostilepeer!"
LOCK = threading.Lock()


def emit(obj):
    with LOCK:
        print(json.dumps(obj), flush=True)


def bdecode(data, at=0):
    """Returns (value, end); dictionaries also record each value's span in "__spans__"."""
    kind = data[at:at + 1]
    if kind == b"i":
        end = data.index(b"e", at)
        return int(data[at + 1:end]), end + 1
    if kind == b"l":
        at += 1
        items = []
        while data[at:at + 1] != b"e":
            item, at = bdecode(data, at)
            items.append(item)
        return items, at + 1
    if kind == b"d":
        at += 1
        items, spans = {}, {}
        while data[at:at + 1] != b"e":
            key, at = bdecode(data, at)
            start = at
            items[key], at = bdecode(data, at)
            spans[key] = (start, at)
        items["__spans__"] = spans
        return items, at + 1
    colon = data.index(b":", at)
    length = int(data[at:colon])
    return data[colon + 1:colon + 1 + length], colon + 1 + length


class Torrent:
    def __init__(self, path, save):
        raw = open(path, "rb").read()
        meta, _ = bdecode(raw)
        start, end = meta["__spans__"][b"info"]
        self.info_hash = hashlib.sha1(raw[start:end]).digest()
        info = meta[b"info"]
        self.piece_length = info[b"piece length"]
        self.pieces = len(info[b"pieces"]) // 20
        name = info[b"name"].decode()
        if b"files" in info:
            self.files = [(os.path.join(save, name, *[c.decode() for c in f[b"path"]]),
                           f[b"length"]) for f in info[b"files"]]
        else:
            self.files = [(os.path.join(save, name), info[b"length"])]
        self.total = sum(length for _, length in self.files)

    def read(self, offset, length):
        out = b""
        at = 0
        for path, size in self.files:
            if offset < at + size and offset + length > at and size > 0:
                begin = max(offset, at)
                stop = min(offset + length, at + size)
                with open(path, "rb") as f:
                    f.seek(begin - at)
                    out += f.read(stop - begin)
            at += size
        return out


def message(msg_id, payload=b""):
    return struct.pack(">IB", 1 + len(payload), msg_id) + payload


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def handshake(sock, torrent):
    sock.sendall(PROTOCOL + bytes(8) + torrent.info_hash + PEER_ID)
    theirs = recv_exact(sock, 68)
    if theirs[:20] != PROTOCOL or theirs[28:48] != torrent.info_hash:
        raise ConnectionError("not a handshake for this torrent")
    bits = bytearray((torrent.pieces + 7) // 8)
    for index in range(torrent.pieces):
        bits[index // 8] |= 0x80 >> (index % 8)
    sock.sendall(message(5, bytes(bits)) + message(1))  # bitfield, unchoke


def read_messages(sock, timeout):
    """Yields (id, payload) until the peer closes (then returns) or `timeout` passes."""
    sock.settimeout(timeout)
    while True:
        try:
            length = struct.unpack(">I", recv_exact(sock, 4))[0]
            if length == 0:
                continue
            body = recv_exact(sock, length)
        except socket.timeout:
            yield None, b""
            continue
        except (ConnectionError, OSError):
            return
        yield body[0], body[1:]


def misbehave(sock, torrent):
    """Phase 1: invalid requests, then a malformed message. True if the peer hung up."""
    handshake(sock, torrent)
    sock.sendall(message(2))  # interested
    bad = [(torrent.pieces + 3, 0, 16384), (0, torrent.piece_length, 16384), (0, 0, 1 << 20)]
    for index, begin, length in bad:
        sock.sendall(message(6, struct.pack(">III", index, begin, length)))
    emit({"event": "sent_invalid_requests", "count": len(bad)})
    time.sleep(0.5)
    sock.sendall(message(4, b"\x00\x00\x00\x00\x07"))  # have: 4-byte payload expected
    emit({"event": "sent_malformed"})
    deadline = time.time() + 10
    for msg_id, _ in read_messages(sock, 0.2):
        if time.time() > deadline:
            return False
    return True


def serve_corrupt(sock, torrent, connection):
    """Phase 2: every requested block with its bytes inverted."""
    handshake(sock, torrent)
    served = 0
    for msg_id, payload in read_messages(sock, 30):
        if msg_id == 6 and len(payload) == 12:
            index, begin, length = struct.unpack(">III", payload)
            data = torrent.read(index * torrent.piece_length + begin, length)
            corrupt = bytes(b ^ 0xFF for b in data)
            sock.sendall(message(7, struct.pack(">II", index, begin) + corrupt))
            served += 1
            if served == 1:
                emit({"event": "serving_corrupt", "connection": connection})
    emit({"event": "closed", "connection": connection, "corrupt_blocks": served})


def dial(address, source):
    host, port = address.rsplit(":", 1)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((source, 0))
    sock.settimeout(5)
    sock.connect((host, int(port)))
    return sock


def reconnect(address, source, torrent):
    """Phase 3: True if the peer answered our handshake."""
    try:
        sock = dial(address, source)
        sock.sendall(PROTOCOL + bytes(8) + torrent.info_hash + PEER_ID)
        answer = recv_exact(sock, 68)
        sock.close()
        return answer[28:48] == torrent.info_hash
    except (ConnectionError, OSError):
        return False


def accept_loop(server, torrent, connections):
    while True:
        try:
            sock, peer = server.accept()
        except OSError:
            return
        with LOCK:
            connections[0] += 1
            n = connections[0]
        emit({"event": "connection", "n": n, "from": f"{peer[0]}:{peer[1]}", "incoming": True})

        def run(sock=sock, n=n):
            try:
                if n == 1:
                    hung_up = misbehave(sock, torrent)
                    emit({"event": "phase1_done", "hung_up": hung_up})
                else:
                    serve_corrupt(sock, torrent, n)
            except (ConnectionError, OSError) as err:
                emit({"event": "closed", "connection": n, "error": str(err)})
            finally:
                sock.close()
        threading.Thread(target=run, daemon=True).start()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--torrent", required=True)
    parser.add_argument("--save", required=True)
    parser.add_argument("--listen", default="127.0.0.2")
    parser.add_argument("--connect")
    parser.add_argument("--dir", required=True)
    args = parser.parse_args()
    torrent = Torrent(args.torrent, args.save)
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((args.listen, 0))
    server.listen(8)
    emit({"info_hash": torrent.info_hash.hex(), "port": server.getsockname()[1],
          "pieces": torrent.pieces, "piece_length": torrent.piece_length})
    connections = [0]
    threading.Thread(target=accept_loop, args=(server, torrent, connections),
                     daemon=True).start()

    def outgoing():
        # Phase 2 starts once phase 1 is over (or was skipped by the downloader).
        deadline = time.time() + 10
        while connections[0] == 0 and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)
        with LOCK:
            connections[0] += 1
            n = connections[0]
        try:
            sock = dial(args.connect, args.listen)
            emit({"event": "connection", "n": n, "to": args.connect, "incoming": False})
            serve_corrupt(sock, torrent, n)
            sock.close()
        except (ConnectionError, OSError) as err:
            emit({"event": "closed", "connection": n, "error": str(err)})
        time.sleep(0.5)
        answered = reconnect(args.connect, args.listen, torrent)
        emit({"event": "reconnect", "answered": answered})

    if args.connect:
        threading.Thread(target=outgoing, daemon=True).start()
    while True:
        readable, _, _ = select.select([sys.stdin], [], [], 0.2)
        if readable and not sys.stdin.readline():
            break


if __name__ == "__main__":
    main()
