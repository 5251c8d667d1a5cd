// Listening on a port, as a promise: the one place where a busy port becomes a ShareFileError.
import type { Server } from 'node:net';
import { portError } from './ports.ts';

/**
 * Listens on every address, IPv6 and IPv4 (the firewall and --allow decide who gets in); resolves
 * once listening, rejects with a port error naming what the port was for.
 */
export function listenOn(server: Server, port: number, purpose: 'tracker' | 'peer'): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => reject(portError(purpose, port, error.code, error));
    server.once('error', onError);
    server.listen({ port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
