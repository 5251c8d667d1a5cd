// Stand-in for ws: bittorrent-tracker's server imports WebSocketServer, but share-file runs it with
// `ws: false` (src/http/tracker.ts), so no WebSocket server is ever created.
export class WebSocketServer {
  constructor () {
    throw new Error('WebSocket servers are not available in share-file')
  }
}
export default { WebSocketServer }
