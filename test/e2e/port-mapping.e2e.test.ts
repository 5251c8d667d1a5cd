// A home router in namespaces (miniupnpd, nftables, no hairpin NAT): share-file maps its ports over
// UPnP or NAT-PMP, recipients on the internet side and on the LAN both download, and every way out
// leaves the router as it was. A rogue IGD on a LAN neighbour, answering the search first, is never asked.
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { randomFile, stopShare, tempDir, type RunningShare } from '../support/helpers.ts';
import { addRogueNeighbour, type RogueNeighbour } from '../support/rogue-neighbour.ts';
import { createRouterLab, downloadInLab, shareInLab, type RouterLab } from '../support/router.ts';

const NAME = 'home movie.mkv';

async function setUp(options: { upnp: boolean; natPmp: boolean }): Promise<{ lab: RouterLab; dir: string; file: string }> {
  const lab = await createRouterLab(options);
  const dir = await tempDir();
  return { lab, dir, file: await randomFile(dir, NAME, 6 * 1024 * 1024 + 5) };
}

async function assertDownloads(lab: RouterLab, namespace: string, url: string, file: string): Promise<void> {
  const result = await downloadInLab(lab, namespace, url);
  assert.equal(result.code, 0, result.output);
  assert.ok((await readFile(path.join(result.target, NAME))).equals(await readFile(file)), `byte-identical via ${url}`);
  await rm(result.target, { recursive: true, force: true });
}

/** Our mappings on the router: nft port forwards to the sharer and lines of miniupnpd's lease file. */
async function routerHolds(lab: RouterLab, pid?: number): Promise<{ forwards: string[]; leases: string[] }> {
  const state = await lab.routerState();
  const leases = state.leases.filter((line) => (pid === undefined ? /share-file pid=/ : new RegExp(`share-file pid=${pid} `)).test(line));
  return { forwards: state.forwards.filter((line) => line.includes(lab.sharerIp)), leases };
}

/** Every share a test starts, stopped after its suite even when an assertion failed halfway. */
const started: RunningShare[] = [];
function startIn(lab: RouterLab, args: string[], dir: string): RunningShare {
  const share = shareInLab(lab, args, dir);
  started.push(share);
  return share;
}
async function stopStarted(): Promise<void> {
  for (const share of started.splice(0)) if (share.child.exitCode === null && share.child.signalCode === null) await stopShare(share, 'SIGTERM');
}

/** After a suite: every share it started stopped, then the rogue neighbour, the lab and the files gone. */
async function tearDown(lab: RouterLab | undefined, dir: string | undefined, rogue?: RogueNeighbour): Promise<void> {
  await stopStarted();
  await rogue?.teardown();
  await lab?.teardown();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
}

function warnings(share: RunningShare): string[] {
  return share.events.filter((event) => event.event === 'warning').map((event) => String(event.message));
}

/** The rogue answered this share's search (so it had its chance), and was asked nothing over HTTP. */
function assertRogueIgnored(rogue: RogueNeighbour, lab: RouterLab): void {
  const asked = rogue.asked();
  assert.ok(asked.some((entry) => entry.event === 'm-search' && entry.from === lab.sharerIp), `the rogue answered our search: ${JSON.stringify(asked)}`);
  assert.deepEqual(asked.filter((entry) => entry.event === 'http' && entry.from === lab.sharerIp), [], 'no description fetched from the rogue, no AddPortMapping sent to it');
}

describe('a UPnP router, with a rogue IGD next to it on the LAN', { timeout: 300_000 }, () => {
  let lab: RouterLab;
  let rogue: RogueNeighbour;
  let dir: string;
  let file: string;
  before(async () => {
    ({ lab, dir, file } = await setUp({ upnp: true, natPmp: false }));
    rogue = await addRogueNeighbour(lab);
  });
  after(() => tearDown(lab, dir, rogue));

  it('maps both ports for an hour; an internet and a LAN recipient both download; SIGINT deletes the mappings', async () => {
    const share = startIn(lab, [file, '--firewall', 'none'], dir);
    const ready = await share.waitForEvent('ready');
    const mapped = share.events.find((event) => event.event === 'port-mapped')!;
    assert.equal(mapped.protocol, 'upnp');
    assert.equal(mapped.externalIp, lab.externalIp);
    assert.equal(mapped.lifetime, 3600);
    // The host name resolves only to loopback on the sharer: the URLs carry its LAN address, and a notice says so.
    assert.ok(warnings(share).some((message) => message.includes(`resolves only to loopback`) && message.includes('-H')), warnings(share).join('\n'));
    assert.equal(new URL(String(ready.torrentUrl)).host, `${lab.externalIp}:${mapped.externalTrackerPort}`);
    assert.equal(new URL(String(ready.lanTorrentUrl)).host, `${lab.sharerIp}:${ready.trackerPort}`);
    assert.match(String(ready.magnet), new RegExp(`x\\.pe=${lab.externalIp}:${mapped.externalPeerPort}&x\\.pe=${lab.sharerIp}:${ready.peerPort}`));

    const held = await routerHolds(lab, share.child.pid);
    assert.equal(held.forwards.length, 2, JSON.stringify(held));
    assert.equal(held.leases.length, 2, JSON.stringify(held));
    for (const lease of held.leases) {
      // TCP:<external port>:<client>:<internal port>:<expiry, seconds since the epoch>:<description>
      const expiry = Number(lease.split(':')[4]);
      const left = expiry - Date.now() / 1000;
      assert.ok(left > 0 && left <= 86_400, `the lease ends within a day (${lease})`);
    }

    await assertDownloads(lab, lab.wan, String(ready.torrentUrl), file);
    // No hairpin NAT on this router: the internet URL fails on the LAN, what share-file printed for the LAN works.
    const hairpin = await downloadInLab(lab, lab.lanPeer, String(ready.torrentUrl));
    assert.notEqual(hairpin.code, 0, 'the router loops nothing back');
    await rm(hairpin.target, { recursive: true, force: true });
    await assertDownloads(lab, lab.lanPeer, String(ready.lanTorrentUrl), file);
    // Mapping used short-lived sockets only: none stays open while seeding.
    const sockets = await lab.exec(lab.sharer, 'ss', ['-uanp']);
    assert.doesNotMatch(sockets.output, new RegExp(`pid=${share.child.pid},`), sockets.output);

    assert.equal((await stopShare(share, 'SIGINT')).code, 0);
    assert.deepEqual(await routerHolds(lab), { forwards: [], leases: [] });
  });

  it('maps on the real router, not on the neighbour that answered the search first', async () => {
    const share = startIn(lab, [file, '--firewall', 'none'], dir);
    const ready = await share.waitForEvent('ready');
    const mapped = share.events.find((event) => event.event === 'port-mapped')!;
    assert.equal(mapped.router, '10.220.1.1');
    assert.equal(mapped.externalIp, lab.externalIp);
    assert.notEqual(mapped.externalIp, rogue.claimedExternalIp);
    assert.equal(new URL(String(ready.torrentUrl)).hostname, lab.externalIp);
    assert.equal((await routerHolds(lab, share.child.pid)).leases.length, 2, 'both mappings on the router');
    assertRogueIgnored(rogue, lab);
    assert.equal((await stopShare(share)).code, 0);
    assert.deepEqual(await routerHolds(lab), { forwards: [], leases: [] });
  });

  it('SIGTERM and --exit-after delete the mappings too', async () => {
    const byTerm = startIn(lab, [file, '--firewall', 'none'], dir);
    await byTerm.waitForEvent('port-mapped');
    assert.equal((await routerHolds(lab, byTerm.child.pid)).leases.length, 2);
    assert.equal((await stopShare(byTerm, 'SIGTERM')).code, 0);
    assert.deepEqual(await routerHolds(lab), { forwards: [], leases: [] });

    const byCount = startIn(lab, [file, '--firewall', 'none', '--exit-after', '1'], dir);
    const ready = await byCount.waitForEvent('ready');
    await assertDownloads(lab, lab.wan, String(ready.torrentUrl), file);
    assert.equal((await byCount.exited).code, 0);
    assert.deepEqual(await routerHolds(lab), { forwards: [], leases: [] });
  });

  it('when another host holds our port on the router (UPnP 718), maps another and tells recipients that one', async () => {
    const trackerPort = 50200 + Math.floor(Math.random() * 500);
    // upnpc, the reference client, maps the port for the other LAN host first.
    const listing = await lab.exec(lab.lanPeer, 'upnpc', ['-l']);
    const description = /desc: (http:\/\/10\.220\.1\.1:\S+)/.exec(listing.output)?.[1];
    assert.ok(description, `upnpc finds the router: ${listing.output}`);
    const taken = await lab.exec(lab.lanPeer, 'upnpc', ['-u', description, '-e', 'another host', '-a', '10.220.1.3', String(trackerPort), String(trackerPort), 'TCP', '600']);
    assert.match(taken.output, /is redirected to internal 10\.220\.1\.3/, taken.output);

    const share = startIn(lab, [file, '--firewall', 'none', '-p', String(trackerPort)], dir);
    const ready = await share.waitForEvent('ready');
    const mapped = share.events.find((event) => event.event === 'port-mapped')!;
    assert.notEqual(mapped.externalTrackerPort, trackerPort);
    assert.equal(mapped.externalPeerPort, trackerPort + 1);
    assert.equal(new URL(String(ready.torrentUrl)).port, String(mapped.externalTrackerPort));
    await assertDownloads(lab, lab.wan, String(ready.torrentUrl), file);
    assert.equal((await stopShare(share)).code, 0);
    assert.deepEqual(await routerHolds(lab), { forwards: [], leases: [] });
    await lab.exec(lab.lanPeer, 'upnpc', ['-u', description, '-d', String(trackerPort), 'TCP']);
  });

  it('after kill -9, the next start removes the mappings the dead run left', async () => {
    const crashed = startIn(lab, [file, '--firewall', 'none'], dir);
    await crashed.waitForEvent('ready');
    crashed.child.kill('SIGKILL');
    await crashed.exited;
    assert.equal((await routerHolds(lab, crashed.child.pid)).leases.length, 2, 'the dead run left its mappings');

    const next = startIn(lab, [file, '--firewall', 'none'], dir);
    await next.waitForEvent('ready');
    assert.equal(warnings(next).filter((message) => message.includes(`removed a stale router mapping`) && message.includes(`pid=${crashed.child.pid} `)).length, 2, warnings(next).join('\n'));
    assert.equal((await routerHolds(lab, crashed.child.pid)).leases.length, 0);
    assert.equal((await routerHolds(lab)).leases.length, 2, 'only the new run\'s own');
    assert.equal((await stopShare(next)).code, 0);
    assert.deepEqual(await routerHolds(lab), { forwards: [], leases: [] });
  });
});

describe('a router that speaks NAT-PMP only', { timeout: 300_000 }, () => {
  let lab: RouterLab;
  let dir: string;
  let file: string;
  before(async () => ({ lab, dir, file } = await setUp({ upnp: false, natPmp: true })));
  after(() => tearDown(lab, dir));

  it('auto maps over NAT-PMP; the internet recipient downloads; the mappings go at exit', async () => {
    const share = startIn(lab, [file, '--firewall', 'none'], dir);
    const ready = await share.waitForEvent('ready');
    const mapped = share.events.find((event) => event.event === 'port-mapped')!;
    assert.equal(mapped.protocol, 'nat-pmp');
    assert.equal(ready.externalIp, lab.externalIp);
    assert.equal((await routerHolds(lab)).forwards.length, 2);
    await assertDownloads(lab, lab.wan, String(ready.torrentUrl), file);
    assert.equal((await stopShare(share, 'SIGINT')).code, 0);
    assert.deepEqual(await routerHolds(lab), { forwards: [], leases: [] });
  });

  it('--port-map upnp fails within seconds, exit 1, naming UPnP, leaving nothing', async () => {
    const started = performance.now();
    const share = startIn(lab, [file, '--firewall', 'none', '--port-map', 'upnp'], dir);
    const { code } = await share.exited;
    assert.equal(code, 1);
    assert.ok(performance.now() - started < 15_000);
    assert.match(share.stderr(), /^error: no UPnP router answered at the default gateway within 2 s; .*--port-map/m);
    assert.deepEqual(await routerHolds(lab), { forwards: [], leases: [] });
  });
});

describe('no router mapping, and a rogue IGD on the LAN', { timeout: 120_000 }, () => {
  let lab: RouterLab;
  let rogue: RogueNeighbour;
  let dir: string;
  let file: string;
  before(async () => {
    ({ lab, dir, file } = await setUp({ upnp: false, natPmp: false }));
    rogue = await addRogueNeighbour(lab);
  });
  after(() => tearDown(lab, dir, rogue));

  it('auto warns that no router answered, naming the neighbour it did not ask; the URLs carry the LAN address', async () => {
    const share = startIn(lab, [file, '--firewall', 'none'], dir);
    const ready = await share.waitForEvent('ready');
    assert.equal(share.events.find((event) => event.event === 'port-mapped'), undefined);
    const notice = warnings(share).find((message) => message.includes('no router answered'));
    assert.match(String(notice), /at the default gateway within 2 s \(10\.220\.1\.9 answered as a UPnP router, but only the default gateway \(10\.220\.1\.1\) is asked\)/);
    assert.equal(ready.externalIp, undefined);
    assert.equal(new URL(String(ready.torrentUrl)).hostname, lab.sharerIp);
    assertRogueIgnored(rogue, lab);
    assert.equal((await stopShare(share)).code, 0);
  });

  it('--port-map upnp exits 1, naming the neighbour', async () => {
    const share = startIn(lab, [file, '--firewall', 'none', '--port-map', 'upnp'], dir);
    assert.equal((await share.exited).code, 1);
    assert.match(share.stderr(), /^error: no UPnP router answered at the default gateway within 2 s \(10\.220\.1\.9 answered as a UPnP router, but only the default gateway \(10\.220\.1\.1\) is asked\); /m);
    assertRogueIgnored(rogue, lab);
  });
});
