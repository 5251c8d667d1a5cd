#!/usr/bin/python3
"""libtorrent as a recipient with the encryption settings given as JSON (out_enc_policy,
in_enc_policy, allowed_enc_level, prefer_rc4): downloads a magnet or .torrent on loopback, then
prints one JSON line: how the connection to the seeder was encrypted, and the seconds from
connecting to the first block."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'clients'))
import libtorrent as lt  # noqa: E402
from loopback_session import loopback_session  # noqa: E402

source, save_path, settings = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 60

mask = lt.alert.category_t.error_notification | lt.alert.category_t.status_notification \
    | lt.alert.category_t.connect_notification | lt.alert.category_t.block_progress_notification
session = loopback_session(alert_mask=mask, **settings)
params = lt.parse_magnet_uri(source) if source.startswith('magnet:') else lt.add_torrent_params()
if not source.startswith('magnet:'):
    params.ti = lt.torrent_info(source)
params.save_path = save_path
handle = session.add_torrent(params)

connected_at = None
first_block = None
encryption = set()
deadline = time.monotonic() + timeout
while time.monotonic() < deadline:
    session.wait_for_alert(100)
    for alert in session.pop_alerts():
        if isinstance(alert, lt.torrent_error_alert):
            print(f'error: {alert.message()}', file=sys.stderr)
            sys.exit(1)
        if isinstance(alert, lt.peer_connect_alert) and connected_at is None:
            connected_at = time.monotonic()
        if isinstance(alert, lt.block_finished_alert) and first_block is None:
            first_block = time.monotonic()
    for peer in handle.get_peer_info():
        if peer.flags & lt.peer_info.rc4_encrypted:
            encryption.add('rc4')
        elif peer.flags & lt.peer_info.plaintext_encrypted:
            encryption.add('plaintext')
        else:
            encryption.add('none')
    status = handle.status()
    if status.has_metadata and status.is_seeding:
        print(json.dumps({
            'bytes': status.total_wanted,
            'encryption': sorted(encryption),
            'secondsToFirstBlock': None if connected_at is None or first_block is None else first_block - connected_at,
        }))
        sys.exit(0)
print(f'timed out: progress {handle.status().progress:.3f}, peers {handle.status().num_peers}', file=sys.stderr)
sys.exit(2)
