#!/usr/bin/python3
"""The libtorrent 2.0 seeder the seeding benchmark compares share-file with: seeds one .torrent
from a folder, in seed mode (no hashing at start, as share-file), on loopback, with everything
that finds peers on its own turned off; on another address when given a third argument, `ip` or
`ip:port` (the client and uplink benchmarks seed from a network namespace). Prints `listening <port>` once it has announced, and on
SIGINT or SIGTERM `uploaded <bytes>` (payload sent, all peers) before it exits."""
import sys

import libtorrent as lt

from loopback_session import loopback_session, stop_requested

torrent, save_path = sys.argv[1], sys.argv[2]
listen = sys.argv[3] if len(sys.argv) > 3 else '127.0.0.1'
# `ip` alone listens on any free port; `ip:port` on that one.
listen_interfaces = listen if listen.count(':') == 1 else f'{listen}:0'

session = loopback_session(**{
    'listen_interfaces': listen_interfaces,
    'enable_outgoing_utp': False,
    'enable_incoming_utp': False,
    # Every peer is on 127.0.0.1 here; libtorrent would otherwise drop all but one connection per address.
    'allow_multiple_connections_per_ip': True,
    'alert_mask': lt.alert.category_t.error_notification | lt.alert.category_t.status_notification | lt.alert.category_t.tracker_notification,
})
params = lt.add_torrent_params()
params.ti = lt.torrent_info(torrent)
params.save_path = save_path
params.flags |= lt.torrent_flags.seed_mode
handle = session.add_torrent(params)

stop = stop_requested()

announced = False
while not stop.requested:
    # Alerts must be drained, or libtorrent's queue fills and the session stalls.
    session.wait_for_alert(500)
    for alert in session.pop_alerts():
        if isinstance(alert, lt.tracker_reply_alert) and not announced:
            announced = True
            print(f'listening {session.listen_port()}', flush=True)
        elif isinstance(alert, (lt.torrent_error_alert, lt.tracker_error_alert)):
            print(f'error: {alert.message()}', file=sys.stderr, flush=True)

print(f'uploaded {handle.status().total_payload_upload}', flush=True)
