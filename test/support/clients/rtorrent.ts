// rtorrent 0.9 as a recipient: an .rtorrent.rc written here, daemon mode, XML-RPC over an SCGI socket in its work folder.
import { mkdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import path from 'node:path';
import type { ClientDriver, ClientSetup, Progress, RunningClient, TorrentSource } from './driver.ts';
import { pollUntil, readyOrStopped, spawnIn, stopProcess } from './process.ts';

/**
 * `protocol.encryption.set`: rtorrent's built-in default is `allow_incoming,prefer_plaintext,enable_retry`;
 * `required` refuses plaintext and accepts RC4 only. It has no getter: a bad value stops rtorrent at start.
 */
const REQUIRED_ENCRYPTION = 'require,require_RC4,allow_incoming,try_outgoing';
const MAX_REPLY_BYTES = 1024 * 1024;

function rcFile(setup: ClientSetup, socket: string): string {
  return [
    `directory.default.set = ${setup.downloadDir}`,
    `session.path.set = ${path.join(setup.workDir, 'session')}`,
    // A file socket: reachable from outside the namespace, and from this user only.
    `network.scgi.open_local = ${socket}`,
    'system.daemon.set = true',
    // Nothing that finds peers on its own: they come from the tracker only.
    'dht.mode.set = disable',
    'protocol.pex.set = no',
    'trackers.use_udp.set = no',
    'network.port_range.set = 6890-6999',
    ...(setup.encryption === 'required' ? [`protocol.encryption.set = ${REQUIRED_ENCRYPTION}`] : []),
    '',
  ].join('\n');
}

const escapeXml = (text: string): string => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/** One XML-RPC call over SCGI (a netstring of headers, then the body); returns the first scalar of the reply. */
function xmlRpc(socketPath: string, method: string, params: string[]): Promise<string> {
  const body = `<?xml version="1.0"?><methodCall><methodName>${method}</methodName><params>${params.map((param) => `<param><value><string>${escapeXml(param)}</string></value></param>`).join('')}</params></methodCall>`;
  const headers = `CONTENT_LENGTH\0${Buffer.byteLength(body)}\0SCGI\x001\0`;
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    const chunks: Buffer[] = [];
    let size = 0;
    socket.setTimeout(10_000, () => socket.destroy(new Error(`rtorrent did not answer ${method}`)));
    socket.on('connect', () => socket.end(`${Buffer.byteLength(headers)}:${headers},${body}`));
    socket.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REPLY_BYTES) socket.destroy(new Error(`rtorrent's reply to ${method} is over ${MAX_REPLY_BYTES} bytes`));
      chunks.push(chunk);
    });
    socket.on('error', reject);
    socket.on('end', () => {
      const reply = Buffer.concat(chunks).toString('utf8');
      const fault = /<name>faultString<\/name>\s*<value><string>([^<]*)</.exec(reply);
      if (fault) return reject(new Error(`rtorrent ${method}: ${fault[1]}`));
      const value = /<param>\s*<value>\s*<(?:i4|i8|int|string)>([^<]*)</.exec(reply);
      if (!value) return reject(new Error(`rtorrent ${method}: no value in ${reply.slice(0, 300)}`));
      resolve(value[1]!);
    });
  });
}

export const rtorrent: ClientDriver = {
  name: 'rtorrent',
  encryptions: ['default', 'required'],
  async start(setup: ClientSetup): Promise<RunningClient> {
    const socket = path.join(setup.workDir, 'rpc.sock');
    const rc = path.join(setup.workDir, '.rtorrent.rc');
    await mkdir(path.join(setup.workDir, 'session'));
    await writeFile(rc, rcFile(setup, socket));
    const daemon = spawnIn(setup.namespace, 'rtorrent', ['-n', '-o', `import=${rc}`], {
      env: { HOME: setup.workDir, TERM: 'dumb' },
      log: path.join(setup.workDir, 'rtorrent.log'),
    });
    await readyOrStopped(daemon, pollUntil(() => xmlRpc(socket, 'system.client_version', []), 15_000, daemon.output));
    return {
      async add(torrent: TorrentSource): Promise<void> {
        await xmlRpc(socket, 'load.start', ['', torrent.torrentFile]);
      },
      async progress(torrent: TorrentSource): Promise<Progress> {
        const hash = torrent.infoHash.toUpperCase();
        const bytes = Number(await xmlRpc(socket, 'd.completed_bytes', [hash]));
        const complete = (await xmlRpc(socket, 'd.complete', [hash])) === '1';
        return { bytes, complete };
      },
      output: daemon.output,
      exited: daemon.exited,
      stop: () => stopProcess(daemon, 'SIGTERM'),
    };
  },
};
