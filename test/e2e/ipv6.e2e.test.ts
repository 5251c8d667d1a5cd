// IPv6 and no router: an IPv6-only recipient downloads through the tracker's peers6 (BEP 7), and
// with no router answering, auto costs one warning and at most its 2 s budget before `ready`.
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { randomFile, stopShare, tempDir } from '../support/helpers.ts';
import { createRouterLab, downloadInLab, shareInLab, type RouterLab } from '../support/router.ts';

describe('a network whose router maps nothing, and an IPv6-only recipient', { timeout: 240_000 }, () => {
  let lab: RouterLab;
  let dir: string;
  let file: string;
  before(async () => {
    lab = await createRouterLab({ upnp: false, natPmp: false, wanIpv4: false });
    dir = await tempDir();
    file = await randomFile(dir, 'v6.bin', 3 * 1024 * 1024 + 11);
  });
  after(async () => {
    await lab?.teardown();
    await rm(dir, { recursive: true, force: true });
  });

  it('auto with no router answering: one warning, and ready at most the 2 s budget later than none', async () => {
    const timeToReady = async (mode: string): Promise<{ ms: number; warnings: string[] }> => {
      const started = performance.now();
      const share = shareInLab(lab, [file, '--firewall', 'none', '--port-map', mode], dir);
      await share.waitForEvent('ready');
      const ms = performance.now() - started;
      assert.equal((await stopShare(share)).code, 0);
      return { ms, warnings: share.events.filter((event) => event.event === 'warning').map((event) => String(event.message)) };
    };
    const none = await timeToReady('none');
    const auto = await timeToReady('auto');
    assert.ok(!none.warnings.some((message) => message.includes('router')), none.warnings.join('\n'));
    const routerWarnings = auto.warnings.filter((message) => message.includes('no router answered'));
    assert.equal(routerWarnings.length, 1, auto.warnings.join('\n'));
    assert.match(routerWarnings[0]!, /UPnP .* NAT-PMP .* within 2 s/);
    // The 2 s budget, plus a margin for a machine shared by many processes.
    assert.ok(auto.ms - none.ms < 3500, `auto took ${Math.round(auto.ms)} ms to ready, none ${Math.round(none.ms)} ms`);
  });

  it('hands the IPv6-only recipient our IPv6 address (peers6), and it downloads byte-identical', async () => {
    const share = shareInLab(lab, [file, '--firewall', 'none', '--port-map', 'none'], dir);
    const ready = await share.waitForEvent('ready');
    // The default: the global or ULA address of the interface with the IPv6 default route.
    assert.equal(ready.ip6, lab.sharerIp6);
    assert.match(String(ready.magnet), new RegExp(`x\\.pe=\\[${lab.sharerIp6}\\]:${ready.peerPort}`));
    // The sharer's host name resolves only to 127.0.1.1 there: the URLs carry its address, which a LAN recipient (that knows no such name) uses.
    assert.equal(new URL(String(ready.torrentUrl)).hostname, lab.sharerIp);
    const overIpv4 = await downloadInLab(lab, lab.lanPeer, String(ready.torrentUrl));
    assert.equal(overIpv4.code, 0, overIpv4.output);
    await rm(overIpv4.target, { recursive: true, force: true });
    const url = new URL(String(ready.torrentUrl));
    url.hostname = `[${lab.sharerIp6}]`;
    const result = await downloadInLab(lab, lab.wan, url.href);
    assert.equal(result.code, 0, result.output);
    assert.ok((await readFile(path.join(result.target, 'v6.bin'))).equals(await readFile(file)));
    await rm(result.target, { recursive: true, force: true });
    const connected = share.events.filter((event) => event.event === 'peer-connected').map((event) => String(event.peer));
    assert.ok(connected.some((peer) => peer.includes('fd00:220:2::2')), connected.join());
    assert.equal((await stopShare(share)).code, 0);
  });
});
