// Stand-in for bittorrent-tracker's WebSocket (WebRTC) tracker client: share-file accepts only
// http(s):// and udp:// announce URLs (src/options.ts), so this class is never constructed.
export default class WebSocketTrackerUnavailable {
  constructor () {
    throw new Error('WebSocket trackers are not available in share-file')
  }
}
