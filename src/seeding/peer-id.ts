// The seeder's peer id: who we are on the wire and in our own announces.
import { randomBytes } from 'node:crypto';

/** Azureus-style (`-SF0100-` and 12 random bytes), in hex as bittorrent-protocol and the tracker use it. */
export function makePeerId(version: string): string {
  const [major = '0', minor = '0', patch = '0'] = version.split('.');
  const tag = `-SF${major.padStart(2, '0').slice(-2)}${minor.slice(-1)}${patch.slice(-1)}-`;
  return Buffer.concat([Buffer.from(tag, 'latin1'), randomBytes(12)]).toString('hex');
}
