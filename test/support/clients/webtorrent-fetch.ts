// webtorrent (npm) as a recipient, run with node inside the recipient's namespace: `progress <bytes> <0|1>` lines until SIGTERM.
// Its own defaults, but for uTP, DHT, LSD and port mapping: uTP first costs ~43 s against a TCP-only
// seeder before webtorrent tries TCP, and the rest finds or maps peers beyond the test's own two hosts.
import WebTorrent from 'webtorrent';

const [torrentFile, downloadDir, encryption] = process.argv.slice(2);
if (!torrentFile || !downloadDir || !encryption) throw new Error('usage: webtorrent-fetch.ts <torrent file> <download folder> default|required');

// `secure`: 1 (its default) encrypts and lets the peer choose plaintext inside MSE/PE; 2 insists on RC4.
// Neither falls back to a plain BitTorrent handshake: a seeder without MSE/PE cannot serve it.
const secure = encryption === 'required' ? { secure: 2 } : {};
const client = new WebTorrent({ utp: false, dht: false, lsd: false, natUpnp: false, natPmp: false, ...secure });
const say = (line: string): boolean => process.stdout.write(`${line}\n`);
client.on('error', (error: unknown) => say(`error: ${String(error)}`));
const torrent = client.add(torrentFile, { path: downloadDir });
torrent.on('error', (error: unknown) => say(`error: ${String(error)}`));

const timer = setInterval(() => say(`progress ${torrent.downloaded} ${torrent.done ? 1 : 0}`), 200);
// Once the client has closed its sockets and files, nothing keeps the process alive.
const stop = (): void => {
  clearInterval(timer);
  client.destroy();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
