// Listening: resolves once the port is open, and a busy port becomes a ShareFileError naming it.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { listenOn } from '../../src/host/listen.ts';

describe('listenOn', () => {
  it('listens, and names the port and both flags when it is taken', async () => {
    const first = createServer();
    await listenOn(first, 0, 'peer');
    const port = (first.address() as { port: number }).port;
    assert.ok(port > 0);
    const second = createServer();
    await assert.rejects(listenOn(second, port, 'peer'), (error: Error & { code?: string; hint?: string }) => {
      assert.equal(error.code, 'PORT_BUSY');
      // Whether the user typed the port is not known here: the message says nothing about it.
      assert.equal(error.message, `the peer port, ${port}, is already in use`);
      assert.match(error.hint ?? '', /--port and --peer-port/);
      return true;
    });
    await new Promise((resolve) => first.close(resolve));
  });
});
