// Two real hosts: the sharer behind a REJECT firewall, the recipient's aria2c in another namespace.
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTwoHosts, type TwoHosts } from '../support/netns.ts';
import { aria2cArgs, asNobody, BIN, randomFile, startShare, stopShare, tempDir, type RunningShare } from '../support/helpers.ts';

const TAGGED = /share-file pid=(\d+) port=(\d+)/g;

function taggedPids(state: string): number[] {
  return [...state.matchAll(TAGGED)].map((match) => Number(match[1]));
}

describe('sharing between two hosts through a firewall', { timeout: 240_000 }, () => {
  let hosts: TwoHosts;
  let dir: string;
  let file: string;
  let pristine: string;

  before(async () => {
    hosts = await createTwoHosts();
    dir = await tempDir();
    file = await randomFile(dir, 'vm image.img', 8 * 1024 * 1024 + 17);
    pristine = await hosts.firewallState(hosts.sharer);
  });
  after(async () => {
    await hosts?.teardown();
    await rm(dir, { recursive: true, force: true });
  });

  const shareIn = (namespace: string, args: string[]): RunningShare =>
    startShare(args, { cwd: dir, command: ['ip', 'netns', 'exec', namespace, process.execPath, BIN] });

  const download = async (source: string): Promise<{ code: number | null; output: string; target: string }> => {
    const target = await tempDir();
    const args = aria2cArgs(target, source);
    const result = await hosts.exec(hosts.recipient, 'aria2c', ['--connect-timeout=3', '--max-tries=2', '--retry-wait=1', ...args]).then(
      (stdout) => ({ code: 0, output: stdout }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? 1, output: `${error.stdout}${error.stderr}` }),
    );
    return { ...result, target };
  };

  it('is refused without share-file\'s rules (the firewall really blocks)', async () => {
    const share = shareIn(hosts.sharer, [file, '-H', hosts.sharerName, '--firewall', 'none']);
    const ready = await share.waitForEvent('ready');
    const result = await download(String(ready.torrentUrl));
    await stopShare(share);
    assert.notEqual(result.code, 0, result.output);
    await rm(result.target, { recursive: true, force: true });
  });

  it('opens the firewall, picks the visible address, delivers the bytes and restores the firewall exactly', async () => {
    const share = shareIn(hosts.sharer, [file, '-H', hosts.sharerName]);
    const ready = await share.waitForEvent('ready');
    // The host name resolves to 127.0.1.1 on the sharer: the default route's interface is used instead.
    assert.equal(ready.ip, hosts.sharerIp);
    const notice = share.events.find((event) => event.event === 'warning' && /resolves to loopback 127\.0\.1\.1/.test(String(event.message)));
    assert.ok(notice, JSON.stringify(share.events));
    assert.match(String(notice.message), new RegExp(`telling peers ${hosts.sharerIp.replaceAll('.', '\\.')}.*--ip`));

    const during = await hosts.exec(hosts.sharer, 'iptables', ['-S', 'INPUT']);
    const lines = during.trim().split('\n');
    // Both rules sit above the REJECT rule, at the top of the chain.
    assert.match(lines[1]!, new RegExp(`--dport (${ready.trackerPort}|${ready.peerPort}) .*share-file pid=${share.child.pid} `));
    assert.match(lines[2]!, new RegExp(`--dport (${ready.trackerPort}|${ready.peerPort}) .*share-file pid=${share.child.pid} `));
    assert.equal(taggedPids(await hosts.exec(hosts.sharer, 'ip6tables', ['-S', 'INPUT'])).length, 2, 'IPv6 too');

    const result = await download(String(ready.torrentUrl));
    assert.equal(result.code, 0, result.output);
    assert.ok((await readFile(path.join(result.target, 'vm image.img'))).equals(await readFile(file)));
    await rm(result.target, { recursive: true, force: true });

    const { code } = await stopShare(share, 'SIGINT');
    assert.equal(code, 0);
    assert.equal(await hosts.firewallState(hosts.sharer), pristine);
  });

  it('the recipient can also use the magnet link alone (tracker and x.pe)', async () => {
    const share = shareIn(hosts.sharer, [file, '-H', hosts.sharerName]);
    const ready = await share.waitForEvent('ready');
    const result = await download(String(ready.magnet));
    assert.equal(result.code, 0, result.output);
    assert.ok((await readFile(path.join(result.target, 'vm image.img'))).equals(await readFile(file)));
    await rm(result.target, { recursive: true, force: true });
    await stopShare(share);
    assert.equal(await hosts.firewallState(hosts.sharer), pristine);
  });

  it('--exit-after 1 stops once the recipient has the file, and restores the firewall', async () => {
    const share = shareIn(hosts.sharer, [file, '-H', hosts.sharerName, '--exit-after', '1']);
    const ready = await share.waitForEvent('ready');
    const result = await download(String(ready.torrentUrl));
    assert.equal(result.code, 0, result.output);
    const { code } = await share.exited;
    assert.equal(code, 0);
    assert.deepEqual(share.events.at(-1), { event: 'stopped', reason: 'exit-after' });
    assert.ok(share.events.some((event) => event.event === 'completed' && String(event.peer).startsWith(`${hosts.recipientIp}:`)));
    assert.equal(await hosts.firewallState(hosts.sharer), pristine);
    await rm(result.target, { recursive: true, force: true });
  });

  it('after kill -9, the next start removes the dead process\'s rules and leaves a running one\'s alone', async () => {
    const running = shareIn(hosts.sharer, [file, '-H', hosts.sharerName, '--ip', hosts.sharerIp]);
    await running.waitForEvent('ready');
    const doomed = shareIn(hosts.sharer, [file, '-H', hosts.sharerName, '--ip', hosts.sharerIp]);
    await doomed.waitForEvent('ready');
    assert.ok(!running.events.some((event) => event.event === 'warning' && /stale/.test(String(event.message))));
    assert.ok(!doomed.events.some((event) => event.event === 'warning' && /stale/.test(String(event.message))), 'a running share-file keeps its rules');

    doomed.child.kill('SIGKILL');
    await doomed.exited;
    const leftover = taggedPids(await hosts.firewallState(hosts.sharer));
    assert.equal(leftover.filter((pid) => pid === doomed.child.pid).length, 4, 'kill -9 leaves its rules behind');

    const next = shareIn(hosts.sharer, [file, '-H', hosts.sharerName, '--ip', hosts.sharerIp]);
    await next.waitForEvent('ready');
    const removed = next.events.filter((event) => event.event === 'warning' && /removed a stale firewall rule/.test(String(event.message)));
    assert.equal(removed.length, 4, JSON.stringify(next.events));
    for (const event of removed) assert.match(String(event.message), new RegExp(`share-file process ${doomed.child.pid}`));
    const now = taggedPids(await hosts.firewallState(hosts.sharer));
    assert.ok(!now.includes(doomed.child.pid!));
    assert.equal(now.filter((pid) => pid === running.child.pid).length, 4, 'the running share-file keeps its rules');

    await stopShare(next);
    await stopShare(running);
    assert.equal(await hosts.firewallState(hosts.sharer), pristine);
  });

  it('--allow restricts the rules to the given sources', async () => {
    const share = shareIn(hosts.sharer, [file, '-H', hosts.sharerName, '--ip', hosts.sharerIp, '--allow', `${hosts.recipientIp}/32`]);
    await share.waitForEvent('ready');
    const rules = (await hosts.exec(hosts.sharer, 'iptables', ['-S', 'INPUT'])).split('\n').filter((line) => line.includes('share-file'));
    assert.equal(rules.length, 2);
    for (const rule of rules) assert.match(rule, new RegExp(`-s ${hosts.recipientIp}/32 `));
    assert.equal(taggedPids(await hosts.exec(hosts.sharer, 'ip6tables', ['-S', 'INPUT'])).length, 0, 'no IPv6 source was allowed');
    await stopShare(share);
    assert.equal(await hosts.firewallState(hosts.sharer), pristine);
  });

  it('prints the exact command for a rule it could not remove', async () => {
    const share = shareIn(hosts.sharer, [file, '-H', hosts.sharerName, '--ip', hosts.sharerIp]);
    const ready = await share.waitForEvent('ready');
    // Someone else removes the tracker rule (with its exact specification) while share-file runs.
    const rule = ['-w', '5', '-D', 'INPUT', '-p', 'tcp', '--dport', String(ready.trackerPort), '-m', 'comment', '--comment', `share-file pid=${share.child.pid} port=${ready.trackerPort}`, '-j', 'ACCEPT'];
    await hosts.exec(hosts.sharer, 'iptables', rule);
    const { code } = await stopShare(share);
    assert.equal(code, 0);
    const warning = share.events.find((event) => event.event === 'warning' && /could not undo the firewall rule/.test(String(event.message)));
    assert.ok(warning, JSON.stringify(share.events));
    assert.ok(String(warning.message).endsWith(`run by hand: iptables-nft ${rule.slice(0, 11).join(' ')} 'share-file pid=${share.child.pid} port=${ready.trackerPort}' -j ACCEPT`), String(warning.message));
    assert.equal(await hosts.firewallState(hosts.sharer), pristine);
  });

  it('a start-up refused for a busy port changes nothing', async () => {
    const blocker = shareIn(hosts.sharer, [file, '-H', hosts.sharerName, '--ip', hosts.sharerIp, '--firewall', 'none']);
    const taken = await blocker.waitForEvent('ready');
    const result = await runShareIn(hosts, [file, '--port', String(Number(taken.peerPort) + 10), '--peer-port', String(taken.trackerPort), '-H', hosts.sharerName, '--ip', hosts.sharerIp], dir);
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`peer port \`${taken.trackerPort}\` is already in use`));
    await stopShare(blocker);
    assert.equal(await hosts.firewallState(hosts.sharer), pristine);
  });

  it('a stop during start-up undoes what was done and leaves the firewall as it was', async () => {
    const big = await randomFile(dir, 'big.bin', 300 * 1024 * 1024);
    const share = shareIn(hosts.sharer, [big, '-H', hosts.sharerName, '--ip', hosts.sharerIp]);
    await share.waitForEvent('hashing');
    const { code } = await stopShare(share, 'SIGTERM');
    assert.equal(code, 0);
    assert.deepEqual(share.events.at(-1), { event: 'stopped', reason: 'SIGTERM' });
    assert.ok(!share.events.some((event) => event.event === 'ready'), 'stopped before it was ready');
    assert.equal(await hosts.firewallState(hosts.sharer), pristine);
    await rm(big);
  });
});

async function runShareIn(hosts: TwoHosts, args: string[], cwd: string): Promise<{ code: number | null; stderr: string }> {
  const share = startShare(args, { cwd, json: false, command: ['ip', 'netns', 'exec', hosts.sharer, process.execPath, BIN] });
  const { code } = await share.exited;
  return { code, stderr: share.stderr() };
}

describe('without any firewall tool', () => {
  let hosts: TwoHosts;
  let dir: string;
  let file: string;
  before(async () => {
    hosts = await createTwoHosts({ rejectInbound: false });
    dir = await tempDir();
    file = await randomFile(dir, 'f.bin', 1000);
  });
  after(async () => {
    await hosts?.teardown();
    await rm(dir, { recursive: true, force: true });
  });

  // share-file looks in /usr/sbin and /sbin whatever PATH says: an empty tmpfs over /usr/sbin (which
  // /sbin links to), in a mount namespace of its own, is a host with no firewall tool. Inside a
  // namespace all the same, so that a mistake could not reach this machine's firewall.
  const withoutTools = (): string[] => ['ip', 'netns', 'exec', hosts.sharer, 'unshare', '--mount', 'sh', '-c', 'mount -t tmpfs tmpfs /usr/sbin && exec "$@"', 'sh', process.execPath, BIN];

  it('--firewall iptables fails with exit 1 and leaves nothing behind', async () => {
    const share = startShare([file, '--firewall', 'iptables', '--port-map', 'none', '--ip', '127.0.0.1', '-H', '127.0.0.1'], { cwd: dir, json: false, command: withoutTools() });
    const { code } = await share.exited;
    assert.equal(code, 1);
    assert.equal(share.stderr(), 'error: cannot change the firewall: iptables is not installed; run share-file as root (or with password-less sudo for iptables), or use --firewall auto or none\n');
  });

  it('--firewall auto warns once with the exact commands, and shares anyway', async () => {
    const share = startShare([file, '--port-map', 'none', '--ip', '127.0.0.1', '-H', '127.0.0.1'], { cwd: dir, command: withoutTools() });
    const ready = await share.waitForEvent('ready');
    await stopShare(share);
    const warnings = share.events.filter((event) => event.event === 'warning');
    assert.equal(warnings.length, 1);
    const message = String(warnings[0]!.message);
    assert.match(message, /iptables is not installed/);
    assert.ok(message.includes(`sudo iptables -I INPUT 1 -p tcp --dport ${ready.trackerPort} -m comment --comment 'share-file pid=${share.child.pid} port=${ready.trackerPort}' -j ACCEPT`), message);
    assert.ok(message.includes(`--dport ${ready.peerPort} `), message);
    assert.deepEqual(share.events.find((event) => event.event === 'firewall'), { event: 'firewall', status: 'left-alone', backends: [], places: [], ports: [ready.trackerPort, ready.peerPort] });
  });

  it('as a user who is not root and has no sudo, --firewall iptables fails cleanly', async () => {
    const share = startShare(['--firewall', 'iptables', '--port-map', 'none', file, '--ip', '127.0.0.1', '-H', '127.0.0.1'], { cwd: dir, json: false, command: ['ip', 'netns', 'exec', hosts.sharer, ...(await asNobody(dir))] });
    const { code } = await share.exited;
    assert.equal(code, 1, share.stderr());
    assert.match(share.stderr(), /^error: cannot change the firewall: (sudo|iptables|nft).*; run share-file as root/);
  });
});
