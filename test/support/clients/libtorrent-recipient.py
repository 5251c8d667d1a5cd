#!/usr/bin/python3
"""A libtorrent 2.0 recipient (the engine of qBittorrent and Deluge) for the client tests: runs in
the recipient's network namespace with libtorrent's default settings, minus everything that finds
peers on its own (DHT, LSD, UPnP, NAT-PMP), listening (and so connecting and announcing) on the
address it is given. With `required`, it refuses plaintext peers both ways
and accepts only RC4 (pe_forced, pe_rc4). Prints `progress <bytes> <0|1 complete>` every 200 ms
until SIGTERM or SIGINT."""
import sys

import libtorrent as lt
from loopback_session import stop_requested

torrent, save_path, encryption, address = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]

settings = {
    'listen_interfaces': f'{address}:6881',
    'enable_dht': False,
    'enable_lsd': False,
    'enable_upnp': False,
    'enable_natpmp': False,
    'alert_mask': lt.alert.category_t.error_notification | lt.alert.category_t.status_notification,
}
if encryption == 'required':
    settings.update({
        'out_enc_policy': int(lt.enc_policy.pe_forced),
        'in_enc_policy': int(lt.enc_policy.pe_forced),
        'allowed_enc_level': int(lt.enc_level.pe_rc4),
    })
session = lt.session(settings)
params = lt.parse_magnet_uri(torrent) if torrent.startswith('magnet:') else lt.add_torrent_params()
if not torrent.startswith('magnet:'):
    params.ti = lt.torrent_info(torrent)
params.save_path = save_path
handle = session.add_torrent(params)

stop = stop_requested()

while not stop.requested:
    # Alerts must be drained, or libtorrent's queue fills and the session stalls.
    session.wait_for_alert(200)
    for alert in session.pop_alerts():
        if isinstance(alert, (lt.torrent_error_alert, lt.tracker_error_alert)):
            print(f'error: {alert.message()}', flush=True)
    status = handle.status()
    print(f'progress {status.total_wanted_done} {1 if status.is_seeding else 0}', flush=True)
