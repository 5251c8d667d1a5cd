#!/usr/bin/python3
"""A recipient on libtorrent (qBittorrent's engine): downloads a magnet link or a .torrent into a
folder and exits 0 once it has every piece. Only loopback, and nothing that finds peers on its own
(no DHT, LSD, UPnP or NAT-PMP): the peers must come from the magnet (x.pe) or the .torrent's tracker."""
import sys
import time

import libtorrent as lt

from loopback_session import loopback_session

source, save_path, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3] if len(sys.argv) > 3 else 60)

session = loopback_session(alert_mask=lt.alert.category_t.error_notification | lt.alert.category_t.status_notification)
params = lt.parse_magnet_uri(source) if source.startswith('magnet:') else lt.add_torrent_params()
if not source.startswith('magnet:'):
    params.ti = lt.torrent_info(source)
params.save_path = save_path
handle = session.add_torrent(params)

deadline = time.monotonic() + timeout
while time.monotonic() < deadline:
    session.wait_for_alert(500)
    for alert in session.pop_alerts():
        if isinstance(alert, lt.torrent_error_alert):
            print(f'error: {alert.message()}', file=sys.stderr)
            sys.exit(1)
    status = handle.status()
    if status.has_metadata and status.is_seeding:
        print(f'done: {status.total_wanted} bytes from {status.num_peers} peer(s)')
        sys.exit(0)
print(f'timed out: state {handle.status().state}, progress {handle.status().progress:.3f}, peers {handle.status().num_peers}', file=sys.stderr)
sys.exit(2)
