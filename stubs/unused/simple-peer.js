// Stand-in for simple-peer (WebRTC peers): bittorrent-tracker's client reads only WEBRTC_SUPPORT,
// which decides whether ws:// trackers may be used; share-file never passes one.
export default class WebRtcPeerUnavailable {
  static WEBRTC_SUPPORT = false

  constructor () {
    throw new Error('WebRTC is not available in share-file')
  }
}
