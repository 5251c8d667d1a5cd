// HTTP clients that ask for the content and then never read: each reads the first bytes of the
// answer (its status line) and stops, so the server's socket fills and stays full. Used in the test
// process, or as a program in a namespace: node stalled-client.ts <url> <count> [local address],
// which prints one JSON line once every client holds its response, and holds them until killed.
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

export interface StalledClient {
  /** The status line the server answered with. */
  status: string;
  socket: Socket;
  /**
   * Reads on until the server ends the connection: how many bytes came in all. (While the client
   * does not read it cannot see the server close: the server's side waits for room to send its FIN.)
   */
  readToEnd(): Promise<number>;
}

/** Opens one connection and asks for `url` (from byte `from` on); resolves once the answer begins. */
export function stallOn(url: URL, options: { from?: number; localAddress?: string } = {}): Promise<StalledClient> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port), localAddress: options.localAddress });
    const range = options.from ? `Range: bytes=${options.from}-\r\n` : '';
    socket.write(`GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\n${range}\r\n`);
    socket.once('error', reject);
    socket.once('data', (first: Buffer) => {
      socket.pause();
      socket.on('error', () => {});
      const readToEnd = (): Promise<number> =>
        new Promise((done) => {
          let bytes = first.length;
          socket.on('data', (chunk: Buffer) => (bytes += chunk.length));
          socket.once('close', () => done(bytes));
          socket.resume();
        });
      resolve({ status: first.toString('latin1').split('\r\n', 1)[0]!, socket, readToEnd });
    });
    socket.once('close', () => reject(new Error(`closed before any answer from ${url.host}`)));
  });
}

async function main(): Promise<void> {
  const [url = '', count = '1', localAddress] = process.argv.slice(2);
  const clients = await Promise.all(Array.from({ length: Number(count) }, (_, index) => stallOn(new URL(url), { from: index * 1024 * 1024, localAddress })));
  process.stdout.write(`${JSON.stringify({ event: 'held', statuses: clients.map((client) => client.status) })}\n`);
  // A socket that does not read keeps no event loop alive: this does, until a signal ends the program.
  setInterval(() => {}, 60_000);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
