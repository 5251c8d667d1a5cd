// share-file in the sharer's namespace for the client tests and benchmark, and the byte-for-byte check of what arrived.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { BIN, startShare, type RunningShare } from '../helpers.ts';
import { createTwoHosts, type TwoHosts } from '../netns.ts';
import type { TorrentSource } from './driver.ts';

/** Namespaces of these tests: their own name prefix and their own /16. */
export function clientHosts(): Promise<TwoHosts> {
  return createTwoHosts({ prefix: 'sfc', network: '10.212', rejectInbound: false });
}

/** A second address on the recipient's side of the veth (`.3`), for a second recipient that the sharer must tell apart. */
export async function addRecipientAddress(hosts: TwoHosts): Promise<string> {
  const links = await hosts.exec(hosts.recipient, 'ip', ['-o', '-4', 'addr', 'show']);
  const device = links.split('\n').find((line) => line.includes(`inet ${hosts.recipientIp}/`))?.split(/\s+/)[1]?.split('@')[0];
  if (!device) throw new Error(`no device with ${hosts.recipientIp} in ${hosts.recipient}: ${links}`);
  const address = hosts.recipientIp.replace(/\.2$/, '.3');
  await hosts.exec(hosts.recipient, 'ip', ['addr', 'add', `${address}/24`, 'dev', device]);
  return address;
}

/** Shares `content` from the sharer's namespace on its veth address, no firewall changes; resolves at `ready`. */
export async function shareFromSharer(hosts: TwoHosts, content: string, torrentFile: string, extraArgs: string[] = []): Promise<{ share: RunningShare; torrent: TorrentSource }> {
  const args = [content, '--ip', hosts.sharerIp, '-H', hosts.sharerIp, '--firewall', 'none', '-o', torrentFile, ...extraArgs];
  const share = startShare(args, { cwd: path.dirname(torrentFile), command: ['ip', 'netns', 'exec', hosts.sharer, process.execPath, BIN] });
  const ready = await share.waitForEvent('ready', 120_000);
  return {
    share,
    torrent: {
      torrentFile,
      torrentUrl: String(ready.torrentUrl),
      magnet: String(ready.magnet),
      infoHash: String(ready.infoHash),
      length: Number(ready.length),
    },
  };
}

/** The files under a folder (or the file itself), as relative paths, sorted. */
async function filesUnder(root: string, relative = ''): Promise<string[]> {
  const here = path.join(root, relative);
  if (!(await stat(here)).isDirectory()) return [relative];
  const names = (await readdir(here)).sort();
  const nested = await Promise.all(names.map((name) => filesUnder(root, path.join(relative, name))));
  return nested.flat();
}

/**
 * Throws unless `received` holds exactly the bytes of `original`, file by file (empty files too),
 * naming what is missing or differs.
 */
export async function assertSameContent(original: string, received: string): Promise<void> {
  const expected = await filesUnder(original);
  const got = await filesUnder(received).catch((): string[] => []);
  const missing = expected.filter((name) => !got.includes(name));
  if (missing.length > 0) throw new Error(`missing in ${received}: ${missing.join(', ')} (has: ${got.join(', ') || 'nothing'})`);
  for (const name of expected) {
    const [want, have] = await Promise.all([readFile(path.join(original, name)), readFile(path.join(received, name))]);
    if (!want.equals(have)) throw new Error(`${path.join(received, name)} differs from the original (${have.length} bytes, want ${want.length})`);
  }
}
