#!/usr/bin/python3
"""Make a .torrent with libtorrent's create_torrent (Debian's python3-libtorrent) and print
libtorrent's own v1 info hash of it (hex, or "none" for a v2-only torrent).

usage: lt_create_torrent.py MODE ROOT NAME OUT PIECE_LENGTH TRACKER_TIERS WEB_SEEDS PRIVATE
  MODE           hybrid | v1 | v2
  ROOT           the directory that holds NAME
  NAME           a directory under ROOT: its files, sorted, make the torrent
  TRACKER_TIERS  tiers separated by '|', URLs in a tier by ','
  WEB_SEEDS      URLs separated by ','; '' for none
  PRIVATE        0 or 1
"""
import os
import sys

import libtorrent as lt

mode, root, name, out, piece_length, tiers, seeds, private = sys.argv[1:9]
flags = {"hybrid": 0, "v1": lt.create_torrent.v1_only, "v2": lt.create_torrent.v2_only}[mode]

storage = lt.file_storage()
top = os.path.join(root, name)
paths = []
for directory, _, files in os.walk(top):
    for file in files:
        paths.append(os.path.relpath(os.path.join(directory, file), root))
for path in sorted(paths):
    storage.add_file(path, os.path.getsize(os.path.join(root, path)))

torrent = lt.create_torrent(storage, int(piece_length), flags=flags)
for tier, urls in enumerate(t for t in tiers.split("|") if t):
    for url in urls.split(","):
        torrent.add_tracker(url, tier)
for seed in (s for s in seeds.split(",") if s):
    torrent.add_url_seed(seed)
torrent.set_priv(private == "1")
torrent.set_comment("hark fixture")
torrent.set_creator("libtorrent create_torrent")
lt.set_piece_hashes(torrent, root)
data = lt.bencode(torrent.generate())
with open(out, "wb") as f:
    f.write(data)

hashes = lt.torrent_info(lt.bdecode(data)).info_hashes()
print(str(hashes.v1) if hashes.has_v1() else "none")
