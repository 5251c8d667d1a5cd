// Test helpers that speak to a tracker as a recipient would: plain HTTP GETs and compact peer lists.
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import bencode from 'bencode';

export function escapeBinary(hex: string): string {
  return Buffer.from(hex, 'hex').reduce((text, byte) => text + `%${byte.toString(16).padStart(2, '0')}`, '');
}

interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export function httpGet(port: number, path: string, method = 'GET'): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

export interface AnnounceReply {
  failure: string | undefined;
  peers: string[];
}

/** Announces like a recipient would and decodes the compact peer list. */
export async function announce(port: number, infoHash: string, options: { peerId?: string; peerPort?: number; left?: number; event?: string } = {}): Promise<AnnounceReply> {
  const peerId = options.peerId ?? Buffer.from(`-AR0001-${randomBytes(6).toString('hex')}`).toString('hex');
  const query = `info_hash=${escapeBinary(infoHash)}&peer_id=${escapeBinary(peerId)}&port=${options.peerPort ?? 6881}&uploaded=0&downloaded=0&left=${options.left ?? 1000}&compact=1&event=${options.event ?? 'started'}`;
  const reply = await httpGet(port, `/announce?${query}`);
  const decoded = bencode.decode(reply.body) as Record<string, unknown>;
  const failure = decoded['failure reason'] ? Buffer.from(decoded['failure reason'] as Uint8Array).toString() : undefined;
  const compact = Buffer.from((decoded.peers as Uint8Array | undefined) ?? new Uint8Array());
  const peers: string[] = [];
  for (let offset = 0; offset + 6 <= compact.length; offset += 6) {
    peers.push(`${compact[offset]}.${compact[offset + 1]}.${compact[offset + 2]}.${compact[offset + 3]}:${compact.readUInt16BE(offset + 4)}`);
  }
  return { failure, peers };
}
