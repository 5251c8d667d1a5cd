// Unit tests: HTTP connections counted by source (IPv4 address, IPv6 /64), and the one past the
// limit refused with a 503 at once, on a real HTTP server on loopback.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { limitConnections } from '../../src/http/connection-limits.ts';
import { sourceKey } from '../../src/host/cidr.ts';

describe('HTTP connection limits', () => {
  it('counts an IPv4 address as itself and an IPv6 address by its /64', () => {
    assert.equal(sourceKey('10.220.1.2'), '10.220.1.2');
    assert.equal(sourceKey('::ffff:10.220.1.2'), '10.220.1.2');
    assert.equal(sourceKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.equal(sourceKey('2001:db8:1:2:bbbb:cccc:dddd:eeee'), '2001:db8:1:2::/64');
    assert.equal(sourceKey('2001:DB8:1:2::'), '2001:db8:1:2::/64');
    assert.equal(sourceKey('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(sourceKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
    assert.equal(sourceKey('::'), '0:0:0:0::/64');
  });

  it('answers the connection past the total with a 503 before reading its request, and takes new ones once one closes', async () => {
    const server = createServer((_req, res) => res.end('served\n'));
    limitConnections(server, { perSource: 2, total: 3 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const open = (): Promise<Socket> => new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1', () => resolve(socket));
    });
    const reply = (socket: Socket, request?: string): Promise<string> => new Promise((resolve) => {
      let text = '';
      socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      socket.on('error', () => {});
      socket.on('close', () => resolve(text));
      if (request !== undefined) socket.write(request);
    });
    try {
      // Loopback is not limited per source: only the total applies here.
      const held = await Promise.all([open(), open(), open()]);
      const refused = await reply(await open());
      assert.match(refused, /^HTTP\/1\.1 503 Service Unavailable\r\n/);
      assert.match(refused, /\r\n\r\ntoo many connections; try again later\n$/);
      held[0]!.destroy();
      // Until the server has seen it close.
      while ((await new Promise<number>((resolve) => server.getConnections((_error, count) => resolve(count)))) > 2) await new Promise((resolve) => setTimeout(resolve, 10));
      const served = await reply(await open(), 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      assert.match(served, /^HTTP\/1\.1 200 OK\r\n[\s\S]*served\n$/);
      for (const socket of held) socket.destroy();
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
