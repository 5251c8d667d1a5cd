// Port selection: free ports for the tracker and the seeder, checked before any work begins.
import { randomInt } from 'node:crypto';
import getPort from 'get-port';
import { ShareFileError } from '../errors.ts';

export const AUTO_PORT_RANGE = { from: 50000, to: 64999 } as const;

export interface Ports {
  trackerPort: number;
  peerPort: number;
}

/** Checked up front so a busy port fails in a second, not after hashing 20 GB. */
export async function choosePorts(trackerPort: number | undefined, peerPort: number | undefined): Promise<Ports> {
  if (trackerPort !== undefined) {
    await ensureFree(trackerPort, 'tracker');
    const peer = peerPort ?? trackerPort + 1;
    await ensureFree(peer, 'peer');
    return { trackerPort, peerPort: peer };
  }
  if (peerPort !== undefined) await ensureFree(peerPort, 'peer');
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

async function ensureFree(port: number, what: 'tracker' | 'peer'): Promise<void> {
  if (!(await isFree(port))) throw portError(what, port, 'EADDRINUSE');
}

/** A listen() that failed, as the user should read it: which port, and which flag changes it. */
export function portError(what: 'tracker' | 'peer', port: number, code: string | undefined, cause?: unknown): ShareFileError {
  const flag = what === 'tracker' ? '--port' : '--peer-port';
  if (code === 'EADDRINUSE') {
    return new ShareFileError('PORT_BUSY', `${what} port \`${port}\` is already in use`, { hint: `choose another with ${flag}, or leave it out to pick a free one`, cause });
  }
  if (code === 'EACCES') {
    return new ShareFileError('PORT_BUSY', `${what} port \`${port}\` needs privileges to listen on`, { hint: `choose a port above 1023 with ${flag}`, cause });
  }
  return new ShareFileError('PORT_BUSY', `cannot listen on ${what} port \`${port}\` (${code ?? 'error'})`, { hint: `choose another with ${flag}`, cause });
}


/** Every port of the range once, from a random start: concurrent runs rarely race for one port. */
function* randomOrder(from: number, to: number): Generator<number> {
  const size = to - from + 1;
  const start = randomInt(size);
  for (let offset = 0; offset < size; offset++) yield from + ((start + offset) % size);
}
