// What one HTTP client may hold: connections per source address and in all, and how long a
// connection may go without a byte moving. The numbers and their reasons are here, in one place.
import type { Server, Socket } from 'node:net';
import { sourceKey } from '../host/cidr.ts';
import { isLoopback } from '../host/ip.ts';

/**
 * Connections one source may hold at once. The busiest real client, aria2c, opens at most 16 to one
 * server (its `--max-connection-per-server` ceiling); browsers open 6, curl and BitTorrent web seeds
 * one. So a recipient is never refused for its client's own habits, and a few behind one NAT fit
 * too, while a single host holds at most an eighth of the total. Loopback is this machine: it
 * is not limited (a local proxy or SSH tunnel brings every recipient from one loopback address).
 */
export const MAX_CONNECTIONS_PER_SOURCE = 16;
/**
 * Connections in all. A content response its client does not read pins at most two 256 KiB file
 * windows until the idle timeout: 128 connections pin at most 64 MiB, the peer port's send budget.
 * Far more at once than one uplink serves well over HTTP; BitTorrent carries the crowd.
 */
export const MAX_CONNECTIONS = 128;
/**
 * A connection on which nothing moves either way for this long is closed: a response its client
 * stopped reading, a client that sends nothing. Progress is what the kernel lets through: each time
 * the socket's send buffer has room again, so a reader at 100 KiB/s moves well within it even
 * behind a 4 MiB buffer. Node looks twice while a write is pending (its first look sees the write
 * queue shrunk since the write began): a response that stopped is cut after 30 to 60 s.
 */
export const IDLE_TIMEOUT_MS = 30_000;

const REFUSAL = (reason: string): string => {
  const body = `${reason}; try again later\n`;
  return `HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nRetry-After: 10\r\nConnection: close\r\n\r\n${body}`;
};

/**
 * Counts connections by source as the server accepts them, and refuses the one past a limit with a
 * 503 written at once, before its request is read: a refused connection costs no more than that,
 * however many a host opens. Called once, after the HTTP server's own connection handler is set up.
 */
export function limitConnections(server: Server, limits = { perSource: MAX_CONNECTIONS_PER_SOURCE, total: MAX_CONNECTIONS }): void {
  const bySource = new Map<string, number>();
  let open = 0;
  server.on('connection', (socket: Socket) => {
    const ip = socket.remoteAddress ?? '';
    const source = isLoopback(ip) ? undefined : sourceKey(ip);
    const held = source === undefined ? 0 : (bySource.get(source) ?? 0);
    if (open >= limits.total || held >= limits.perSource) {
      socket.end(REFUSAL(open >= limits.total ? 'too many connections' : 'too many connections from your address'));
      socket.destroy();
      return;
    }
    open += 1;
    if (source !== undefined) bySource.set(source, held + 1);
    socket.once('close', () => {
      open -= 1;
      if (source === undefined) return;
      const left = (bySource.get(source) ?? 1) - 1;
      if (left > 0) bySource.set(source, left);
      else bySource.delete(source);
    });
  });
  // Node's own cap, as a backstop: it closes past it without a word. Refused connections are
  // destroyed at once, so ours is reached first.
  server.maxConnections = limits.total * 2;
}
