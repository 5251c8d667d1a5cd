// Stand-in for cross-fetch-ponyfill, which bittorrent-tracker's HTTP announces import. On Node it
// only re-exports Node's own fetch, but evaluating it loads node-fetch and web-streams-polyfill too
// (80 KiB of bundled code) while the hashing workers want both cores. Node >= 22 always has fetch.
const fetch = (...args) => globalThis.fetch(...args);
export default fetch;
export { fetch };
