// Port selection: free ports for the tracker and the seeder, checked before any work begins.
import { randomInt } from 'node:crypto';
import getPort from 'get-port';
import { ShareFileError } from '../errors.ts';

export const AUTO_PORT_RANGE = { from: 50000, to: 64999 } as const;

export interface Ports {
  trackerPort: number;
  peerPort: number;
}

/**
 * How a port came to be, so that a message about it names only what the user typed: a port given
 * with its flag (or positionally), or the one above a given tracker port.
 */
export type PortOrigin = 'given' | 'next-to-given';

/** Checked up front so a busy port fails in a second, not after hashing 20 GB. */
export async function choosePorts(trackerPort: number | undefined, peerPort: number | undefined): Promise<Ports> {
  if (trackerPort !== undefined) {
    await ensureFree(trackerPort, 'tracker', 'given');
    const peer = peerPort ?? trackerPort + 1;
    await ensureFree(peer, 'peer', peerPort === undefined ? 'next-to-given' : 'given');
    return { trackerPort, peerPort: peer };
  }
  if (peerPort !== undefined) await ensureFree(peerPort, 'peer', 'given');
  const tried = new Set<number>(peerPort === undefined ? [] : [peerPort]);
  for (let attempt = 0; attempt < 50; attempt++) {
    const candidate = await getPort({ port: randomOrder(AUTO_PORT_RANGE.from, AUTO_PORT_RANGE.to), exclude: tried });
    tried.add(candidate);
    if (peerPort !== undefined) return { trackerPort: candidate, peerPort };
    // Like the recipe it replaces, the seeder takes the next port up; both must be free.
    if (candidate < 65535 && (await isFree(candidate + 1))) return { trackerPort: candidate, peerPort: candidate + 1 };
  }
  throw new ShareFileError('PORT_BUSY', `no two free neighbouring ports in ${AUTO_PORT_RANGE.from}–${AUTO_PORT_RANGE.to}`, {
    hint: 'choose ports with --port and --peer-port',
  });
}

async function isFree(port: number): Promise<boolean> {
  return (await getPort({ port })) === port;
}

async function ensureFree(port: number, what: 'tracker' | 'peer', origin: PortOrigin): Promise<void> {
  if (!(await isFree(port))) throw portError(what, port, 'EADDRINUSE', undefined, origin);
}

/**
 * A listen() that failed, as the user should read it: which port, and which flag changes it. A port
 * the user typed is named in backticks with its flag, one next to it says so; without an origin (at
 * listen time, after choosePorts found the port free: another program took it meanwhile) the
 * message assumes nothing about what was typed.
 */
export function portError(what: 'tracker' | 'peer', port: number, code: string | undefined, cause?: unknown, origin?: PortOrigin): ShareFileError {
  const flag = what === 'tracker' ? '--port' : '--peer-port';
  const problem = code === 'EADDRINUSE' ? 'is already in use' : code === 'EACCES' ? 'needs privileges to listen on' : `cannot be listened on (${code ?? 'error'})`;
  if (origin === 'given') {
    const hint = code === 'EACCES' ? `choose a port above 1023 with ${flag}` : `choose another with ${flag}, or leave it out to pick a free one`;
    return new ShareFileError('PORT_BUSY', `${what} port \`${port}\` ${problem}`, { hint, cause });
  }
  if (origin === 'next-to-given') {
    return new ShareFileError('PORT_BUSY', `port ${port}, which the seeder takes next to tracker port \`${port - 1}\`, ${problem}`, {
      hint: 'choose another tracker port with --port, or give the seeder its own with --peer-port',
      cause,
    });
  }
  return new ShareFileError('PORT_BUSY', `the ${what} port, ${port}, ${problem}`, {
    hint: 'run share-file again, or choose free ports with --port and --peer-port',
    cause,
  });
}

/** Every port of the range once, from a random start: concurrent runs rarely race for one port. */
function* randomOrder(from: number, to: number): Generator<number> {
  const size = to - from + 1;
  const start = randomInt(size);
  for (let offset = 0; offset < size; offset++) yield from + ((start + offset) % size);
}
