// The five host firewalls share-file meets, each real and in the sharer's namespace: firewalld,
// native nftables, ufw, iptables-legacy and iptables-nft. Behind each, a recipient in another
// namespace downloads over BitTorrent and HTTP, and every ruleset is compared after every exit.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setUpFirewall, type FirewallKind, type SharerFirewall } from '../support/firewalls.ts';
import { createTwoHosts, type TwoHosts } from '../support/netns.ts';
import { aria2cArgs, BIN, randomFile, startShare, stopShare, tempDir, type RunningShare, type ShareEventRecord } from '../support/helpers.ts';

const BACKEND: Record<FirewallKind, string> = {
  firewalld: 'firewalld',
  nftables: 'nftables',
  ufw: 'ufw',
  'iptables-legacy': 'iptables-legacy',
  'iptables-nft': 'iptables',
};

/** The explicit --firewall mode for each: iptables serves both of its flavours. */
const MODE: Record<FirewallKind, string> = { firewalld: 'firewalld', nftables: 'nftables', ufw: 'ufw', 'iptables-legacy': 'iptables', 'iptables-nft': 'iptables' };

// SHARE_FILE_TEST_FIREWALLS=nftables,ufw runs only those (while working on one).
const KINDS = (process.env.SHARE_FILE_TEST_FIREWALLS?.split(',') ?? Object.keys(BACKEND)).filter((kind): kind is FirewallKind => kind in BACKEND);

for (const kind of KINDS) {
  describe(`behind ${kind}`, { timeout: 300_000 }, () => {
    let hosts: TwoHosts;
    let firewall: SharerFirewall;
    let dir: string;
    let file: string;
    let pristine: string;

    before(async () => {
      hosts = await createTwoHosts({ prefix: 'fw', rejectInbound: kind === 'iptables-nft' });
      try {
        firewall = await setUpFirewall(hosts, kind);
      } catch (error) {
        await hosts.teardown();
        throw error;
      }
      dir = await tempDir();
      file = await randomFile(dir, 'disk image.img', 6 * 1024 * 1024 + 5);
      pristine = await firewall.state();
    });
    after(async () => {
      await firewall?.stop();
      await hosts?.teardown();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    // share-file runs with cron's PATH, which has no sbin folder: it must find nft, iptables there anyway.
    const shareCommand = (): string[] => [...firewall.prefix, 'env', ...Object.entries({ ...firewall.env, PATH: firewall.cronPath }).map(([key, value]) => `${key}=${value}`), process.execPath, BIN];
    const share = (args: string[]): RunningShare =>
      startShare([file, '-H', hosts.sharerName, '--ip', hosts.sharerIp, '--port-map', 'none', ...args], { cwd: dir, command: shareCommand() });

    const curl = async (url: string, target: string, connectTimeout = 20): Promise<boolean> =>
      hosts.exec(hosts.recipient, 'curl', ['-fsS', '--connect-timeout', String(connectTimeout), '--max-time', '60', '-o', target, url]).then(() => true, () => false);

    const firewallEvent = (running: RunningShare): ShareEventRecord | undefined => running.events.find((event) => event.event === 'firewall');

    it('blocks the recipient while share-file leaves it alone (--firewall none)', async () => {
      const running = share(['--firewall', 'none']);
      const ready = await running.waitForEvent('ready');
      const target = path.join(dir, 'blocked');
      assert.equal(await curl(String(ready.webUrl), target, 2), false, 'the firewall lets the recipient in without share-file');
      await stopShare(running);
      assert.equal(firewallEvent(running), undefined);
      assert.equal(await firewall.state(), pristine);
    });

    it(`opens ${BACKEND[kind]}, delivers over BitTorrent and HTTP, and SIGINT restores every ruleset`, async () => {
      const running = share([]);
      const ready = await running.waitForEvent('ready');
      const event = firewallEvent(running);
      assert.ok(event, JSON.stringify(running.events));
      assert.equal(event.status, 'opened');
      assert.deepEqual(event.backends, [BACKEND[kind]]);
      assert.deepEqual(event.ports, [ready.trackerPort, ready.peerPort]);
      assert.ok(!running.events.some((entry) => entry.event === 'warning' && /firewall/.test(String(entry.message))), JSON.stringify(running.events));
      assert.notEqual(await firewall.state(), pristine);

      const target = await tempDir();
      const torrent = await hosts.exec(hosts.recipient, 'aria2c', ['--connect-timeout=5', '--max-tries=2', ...aria2cArgs(target, String(ready.torrentUrl))]).then(() => true, (error: Error) => error.message);
      assert.equal(torrent, true);
      assert.ok((await readFile(path.join(target, 'disk image.img'))).equals(await readFile(file)), 'the same bytes over BitTorrent');
      assert.equal(await curl(String(ready.webUrl), path.join(target, 'over-http')), true);
      assert.ok((await readFile(path.join(target, 'over-http'))).equals(await readFile(file)), 'the same bytes over HTTP');
      await rm(target, { recursive: true, force: true });

      assert.equal((await stopShare(running, 'SIGINT')).code, 0);
      assert.equal(await firewall.state(), pristine);
    });

    it('SIGTERM restores every ruleset', async () => {
      const running = share([]);
      await running.waitForEvent('ready');
      assert.notEqual(await firewall.state(), pristine);
      assert.equal((await stopShare(running, 'SIGTERM')).code, 0);
      assert.equal(await firewall.state(), pristine);
    });

    it('--exit-after 1 restores every ruleset once the recipient has the file', async () => {
      const running = share(['--exit-after', '1']);
      const ready = await running.waitForEvent('ready');
      assert.equal(await curl(String(ready.webUrl), path.join(dir, 'fetched')), true);
      assert.equal((await running.exited).code, 0);
      assert.deepEqual(running.events.at(-1), { event: 'stopped', reason: 'exit-after' });
      assert.equal(await firewall.state(), pristine);
      await rm(path.join(dir, 'fetched'), { force: true });
    });

    it('an error after the ports were opened (the peer port taken meanwhile) restores every ruleset', async () => {
      // A file not yet in the hash cache, so that hashing leaves time to take the peer port.
      const big = await randomFile(dir, 'big.bin', 300 * 1024 * 1024);
      const port = 40000 + (process.pid % 10000);
      const running = startShare([big, '-H', hosts.sharerName, '--ip', hosts.sharerIp, '--port-map', 'none', '--port', String(port), '--peer-port', String(port + 1)], { cwd: dir, command: shareCommand() });
      await running.waitForEvent('hashing');
      const squatter = spawn(firewall.prefix[0]!, [...firewall.prefix.slice(1), '/usr/bin/python3', '-c', `import socket, sys, time\ns = socket.socket(socket.AF_INET6)\ns.bind(("::", ${port + 1}))\ns.listen()\nprint("listening", flush=True)\ntime.sleep(120)`], { stdio: ['ignore', 'pipe', 'ignore'] });
      try {
        await new Promise((resolve) => squatter.stdout.once('data', resolve));
        const { code } = await running.exited;
        assert.equal(code, 1, running.stderr());
        assert.equal(firewallEvent(running)?.status, 'opened', 'the ports were open when the error came');
        assert.equal(running.events.at(-1)?.event, 'error');
        assert.match(String(running.events.at(-1)?.message), new RegExp(`peer port \`${port + 1}\` is already in use`));
        assert.equal(await firewall.state(), pristine);
      } finally {
        squatter.kill('SIGKILL');
        await rm(big, { force: true });
      }
    });

    it('--allow opens the ports to that source only, and the recipient still gets the file', async () => {
      const running = share(['--allow', `${hosts.recipientIp}/32`]);
      const ready = await running.waitForEvent('ready');
      assert.equal(firewallEvent(running)?.status, 'opened');
      const state = await firewall.state();
      assert.ok(state.includes(`${hosts.recipientIp}`), state);
      const target = await tempDir();
      assert.equal(await curl(String(ready.webUrl), path.join(target, 'over-http')), true);
      assert.ok((await readFile(path.join(target, 'over-http'))).equals(await readFile(file)));
      await rm(target, { recursive: true, force: true });
      assert.equal((await stopShare(running)).code, 0);
      assert.equal(await firewall.state(), pristine);
    });

    it(`--firewall ${MODE[kind]} opens the same, and restores it`, async () => {
      const running = share(['--firewall', MODE[kind]]);
      const ready = await running.waitForEvent('ready');
      assert.deepEqual(firewallEvent(running)?.backends, [BACKEND[kind]]);
      assert.equal(await curl(String(ready.webUrl), path.join(dir, 'explicit')), true);
      await rm(path.join(dir, 'explicit'), { force: true });
      assert.equal((await stopShare(running)).code, 0);
      assert.equal(await firewall.state(), pristine);
    });

    if (kind !== 'firewalld') {
      it('--firewall firewalld where firewalld does not run: exit 1, nothing changed', async () => {
        const running = share(['--firewall', 'firewalld']);
        assert.equal((await running.exited).code, 1);
        assert.match(String(running.events.at(-1)?.message), /^cannot change the firewall: firewalld is not running$/);
        assert.equal(await firewall.state(), pristine);
      });
    }

    it('after kill -9, the next start removes what the dead process opened', async () => {
      const doomed = share([]);
      await doomed.waitForEvent('ready');
      doomed.child.kill('SIGKILL');
      await doomed.exited;
      assert.notEqual(await firewall.state(), pristine, 'kill -9 leaves the openings behind');

      const next = share([]);
      await next.waitForEvent('ready');
      const removed = next.events.filter((event) => event.event === 'warning' && /removed a stale firewall rule/.test(String(event.message)));
      assert.ok(removed.length >= 2, JSON.stringify(next.events));
      for (const event of removed) assert.match(String(event.message), new RegExp(`share-file process ${doomed.child.pid}$`));
      assert.equal((await stopShare(next)).code, 0);
      assert.equal(await firewall.state(), pristine);
    });
  });
}

describe('behind nftables and iptables-nft at once', { timeout: 120_000 }, () => {
  let hosts: TwoHosts;
  let firewall: SharerFirewall;
  let dir: string;
  before(async () => {
    // Both drop: the inet table's policy and iptables-nft's final REJECT; either alone stops the recipient.
    hosts = await createTwoHosts({ prefix: 'fw' });
    firewall = await setUpFirewall(hosts, 'nftables');
    dir = await tempDir();
  });
  after(async () => {
    await hosts?.teardown();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('opens both, the recipient gets the file, and SIGINT restores both', async () => {
    const pristine = await firewall.state();
    const file = await randomFile(dir, 'f.img', 1024 * 1024 + 3);
    const running = startShare([file, '-H', hosts.sharerName, '--ip', hosts.sharerIp, '--port-map', 'none'], { cwd: dir, command: [...firewall.prefix, process.execPath, BIN] });
    const ready = await running.waitForEvent('ready');
    assert.deepEqual(running.events.find((event) => event.event === 'firewall')?.backends, ['nftables', 'iptables']);
    const target = path.join(dir, 'fetched');
    await hosts.exec(hosts.recipient, 'curl', ['-fsS', '--connect-timeout', '20', '-o', target, String(ready.webUrl)]);
    assert.ok((await readFile(target)).equals(await readFile(file)));
    assert.equal((await stopShare(running)).code, 0);
    assert.equal(await firewall.state(), pristine);
  });
});
