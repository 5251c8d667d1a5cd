// Port choice: a busy port is reported in the words of what the user typed.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, describe, it } from 'node:test';
import { ShareFileError } from '../../src/errors.ts';
import { choosePorts } from '../../src/host/ports.ts';

const servers: Server[] = [];
after(() => Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve)))));

/** A port held by a listening server, and the port below it free. */
async function busyPortAboveAFreeOne(): Promise<number> {
  for (;;) {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen({ port: 0 }, resolve));
    servers.push(server);
    const port = (server.address() as { port: number }).port;
    const probe = createServer();
    const free = await new Promise<boolean>((resolve) => probe.once('error', () => resolve(false)).listen({ port: port - 1 }, () => probe.close(() => resolve(true))));
    if (free) return port;
  }
}

describe('choosePorts', () => {
  it('names a busy --peer-port with its flag', async () => {
    const busy = await busyPortAboveAFreeOne();
    await assert.rejects(choosePorts(undefined, busy), (error: unknown) => {
      assert.ok(error instanceof ShareFileError);
      assert.equal(error.message, `peer port \`${busy}\` is already in use`);
      assert.match(error.hint ?? '', /--peer-port/);
      return true;
    });
  });

  it('says that a busy peer port was the one next to the tracker port given, and that --peer-port was not', async () => {
    const busy = await busyPortAboveAFreeOne();
    await assert.rejects(choosePorts(busy - 1, undefined), (error: unknown) => {
      assert.ok(error instanceof ShareFileError);
      assert.equal(error.message, `port ${busy}, which the seeder takes next to tracker port \`${busy - 1}\`, is already in use`);
      assert.match(error.hint ?? '', /another tracker port with --port/);
      return true;
    });
  });

  it('names a busy --port with its flag', async () => {
    const busy = await busyPortAboveAFreeOne();
    await assert.rejects(choosePorts(busy, undefined), (error: unknown) => {
      assert.ok(error instanceof ShareFileError);
      assert.equal(error.message, `tracker port \`${busy}\` is already in use`);
      assert.match(error.hint ?? '', /--port/);
      return true;
    });
  });
});
