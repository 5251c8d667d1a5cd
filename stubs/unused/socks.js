// Stand-in for socks: bittorrent-tracker's UDP client uses it only with a SOCKS proxy option,
// which share-file never sets.
function unavailable () {
  throw new Error('SOCKS proxies are not available in share-file')
}
export default { createConnection: unavailable, createUDPFrame: unavailable }
