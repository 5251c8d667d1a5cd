// share-file never opens WebRTC connections (it seeds over TCP only), yet bittorrent-tracker
// (bundled for its announce client and its tracker server) imports simple-peer, which imports these
// names at load time. The real webrtc-polyfill needs node-datachannel, a native module whose install
// downloads binaries. These classes satisfy the import and fail loudly if anything ever uses WebRTC.
class WebRtcUnavailable {
  constructor () {
    throw new Error('WebRTC is not available in share-file')
  }
}

export const RTCPeerConnection = WebRtcUnavailable
export const RTCSessionDescription = WebRtcUnavailable
export const RTCIceCandidate = WebRtcUnavailable
export default { RTCPeerConnection, RTCSessionDescription, RTCIceCandidate }
