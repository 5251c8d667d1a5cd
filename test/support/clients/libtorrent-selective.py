#!/usr/bin/python3
"""A libtorrent 2.0 recipient that wants only part of a torrent, as a user who ticks only some files
of a folder in qBittorrent or Deluge, or a player that reads the end of a file first: libtorrent's
default settings (no DHT, LSD, UPnP or NAT-PMP), listening on the address it is given, with
`files I,J,...` (only those files wanted) or `last-pieces N` (only the last N pieces wanted).
Exits 0 once it has every wanted piece, printing `done <wanted bytes>`; 2 on a timeout."""
import sys
import time

import libtorrent as lt
from loopback_session import loopback_session

torrent, save_path, address, mode, which, timeout = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], float(sys.argv[6])

session = loopback_session(
    listen_interfaces=f'{address}:6881',
    alert_mask=lt.alert.category_t.error_notification | lt.alert.category_t.status_notification,
)
info = lt.torrent_info(torrent)
params = lt.add_torrent_params()
params.ti = info
params.save_path = save_path
count = info.num_pieces()
if mode == 'files':
    wanted_files = {int(index) for index in which.split(',')}
    params.file_priorities = [4 if index in wanted_files else 0 for index in range(info.num_files())]
    files = info.files()
    wanted = set()
    for index in wanted_files:
        first = files.file_offset(index) // info.piece_length()
        last = (files.file_offset(index) + files.file_size(index) - 1) // info.piece_length()
        wanted.update(range(first, last + 1))
elif mode == 'last-pieces':
    wanted = set(range(count - int(which), count))
    params.piece_priorities = [4 if index in wanted else 0 for index in range(count)]
else:
    sys.exit(f'unknown mode {mode}')
handle = session.add_torrent(params)

deadline = time.monotonic() + timeout
while time.monotonic() < deadline:
    session.wait_for_alert(200)
    for alert in session.pop_alerts():
        if isinstance(alert, (lt.torrent_error_alert, lt.tracker_error_alert)):
            print(f'error: {alert.message()}', flush=True)
    if all(handle.have_piece(index) for index in wanted):
        status = handle.status()
        print(f'done {status.total_wanted_done} of {status.total_wanted} wanted bytes, pieces {min(wanted)}-{max(wanted)} of {count}', flush=True)
        sys.exit(0)
status = handle.status()
print(f'timed out: {status.total_wanted_done} of {status.total_wanted} wanted bytes, peers {status.num_peers}', file=sys.stderr, flush=True)
sys.exit(2)
