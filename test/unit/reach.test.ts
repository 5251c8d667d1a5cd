// Unit tests: which URLs, peers and tracker answers each recipient gets, on the LAN, from outside, over IPv6.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import bencode from 'bencode';
import { onLinkTest } from '../../src/host/cidr.ts';
import { handOutPeers, serverBases, torrentByHost, type Reach } from '../../src/host/reach.ts';
import { compactEntry, rewriteAnnounceReply, seederEntriesFor, type SeederEndpoints } from '../../src/http/tracker-peers.ts';

const mapped = { protocol: 'upnp' as const, router: '10.220.1.1', externalAddress: '100.64.220.1', localAddress: '10.220.1.2', trackerPort: 40000, peerPort: 40001, lifetimeSeconds: 3600 };
const reach: Reach = { urlHost: '10.220.1.2', ip: '10.220.1.2', ip6: 'fd00:220:1::2', trackerPort: 50000, peerPort: 50001, mapped, givenName: undefined };

describe('what recipients are handed', () => {
  it('the internet URL first, the LAN one beside it, IPv6 last; the router\'s ports where they differ', () => {
    assert.deepEqual(serverBases(reach), {
      primary: 'http://100.64.220.1:40000',
      all: ['http://100.64.220.1:40000', 'http://10.220.1.2:50000', 'http://[fd00:220:1::2]:50000'],
      lan: 'http://10.220.1.2:50000',
    });
    assert.deepEqual(handOutPeers(reach), ['100.64.220.1:40001', '10.220.1.2:50001', '[fd00:220:1::2]:50001']);
    assert.deepEqual(serverBases({ ...reach, mapped: undefined, ip6: undefined }), { primary: 'http://10.220.1.2:50000', all: ['http://10.220.1.2:50000'], lan: undefined });
    const named = serverBases({ ...reach, urlHost: 'files.example.org', givenName: 'files.example.org', ip6: undefined });
    assert.deepEqual(named, { primary: 'http://files.example.org:40000', all: ['http://files.example.org:40000', 'http://10.220.1.2:50000'], lan: 'http://10.220.1.2:50000' });
  });

  it('serves the .torrent announcing where it was fetched from; unknown or odd hosts get the default', () => {
    const pick = torrentByHost(['http://100.64.220.1:40000', 'http://[FD00:220:1::2]:50000'], (url) => Buffer.from(url), Buffer.from('default'));
    assert.equal(pick('100.64.220.1:40000').toString(), 'http://100.64.220.1:40000');
    assert.equal(pick('[fd00:220:1::2]:50000').toString(), 'http://[FD00:220:1::2]:50000');
    for (const host of [undefined, 'evil.example', '100.64.220.1:40001', 'a b', 'x'.repeat(400)]) assert.equal(pick(host).toString(), 'default', String(host));
  });
});

describe('the tracker\'s answer per requester', () => {
  const endpoints: SeederEndpoints = {
    peerId: 'aa'.repeat(20),
    port: 50001,
    lan: { ip4: '10.220.1.2', ip6: 'fd00:220:1::2' },
    external: { ip: '100.64.220.1', port: 40001 },
    isLocal: onLinkTest({ lan: [{ address: '10.220.1.2', netmask: '255.255.255.0', family: 'IPv4', mac: '', internal: false, cidr: '10.220.1.2/24' }] }),
  };

  it('LAN requesters get the LAN address, others the router\'s, IPv6 requesters our IPv6 address too', () => {
    assert.deepEqual(seederEntriesFor('::ffff:10.220.1.3', endpoints), { ip4: { ip: '10.220.1.2', port: 50001 }, ip6: undefined });
    assert.deepEqual(seederEntriesFor('100.64.220.2', endpoints), { ip4: { ip: '100.64.220.1', port: 40001 }, ip6: undefined });
    assert.deepEqual(seederEntriesFor('fd00:220:2::2', endpoints), { ip4: { ip: '100.64.220.1', port: 40001 }, ip6: { ip: 'fd00:220:1::2', port: 50001 } });
  });

  it('replaces the seeder\'s stored entry in compact peers and adds peers6, keeping other peers', () => {
    const other = compactEntry('10.220.1.3', 6881);
    const body = Buffer.from(bencode.encode({ interval: 60, peers: Buffer.concat([compactEntry('10.220.1.2', 50001), other]), peers6: Buffer.alloc(0) }));
    const entries = seederEntriesFor('fd00:220:2::2', endpoints);
    const reply = bencode.decode(rewriteAnnounceReply(body, entries, endpoints)) as { peers: Uint8Array; peers6: Uint8Array };
    assert.deepEqual(Buffer.from(reply.peers), Buffer.concat([compactEntry('100.64.220.1', 40001), other]));
    assert.deepEqual(Buffer.from(reply.peers6), compactEntry('fd00:220:1::2', 50001));
    const failure = Buffer.from(bencode.encode({ 'failure reason': 'no' }));
    assert.equal(rewriteAnnounceReply(failure, entries, endpoints), failure);
    assert.equal(rewriteAnnounceReply(Buffer.from('not bencode'), entries, endpoints).toString(), 'not bencode');
  });
});
