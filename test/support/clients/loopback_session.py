"""A libtorrent session for the tests and benchmarks: loopback only, and nothing that finds peers
on its own (no DHT, LSD, UPnP or NAT-PMP), so peers come from the tracker or the magnet alone."""
import signal

import libtorrent as lt


def loopback_session(**settings):
    return lt.session({
        'listen_interfaces': '127.0.0.1:0',
        'enable_dht': False,
        'enable_lsd': False,
        'enable_upnp': False,
        'enable_natpmp': False,
        **settings,
    })


class _StopRequest:
    requested = False


def stop_requested():
    """A flag that SIGINT or SIGTERM sets, so a loop can finish its turn and print its totals."""
    flag = _StopRequest()

    def stop(_signal, _frame):
        flag.requested = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    return flag
