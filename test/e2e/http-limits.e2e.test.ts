// HTTP clients that hog the server, against the built CLI: downloads that never read are cut after
// the idle timeout while memory stays bounded and a real curl (and a slow one) gets every byte; and
// one address past its connection limit is refused while another address is served.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BIN, randomFile, runCommand, shareRandomFile, startShare, stopShare, tempDir, type RunningShare, type ShareEventRecord } from '../support/helpers.ts';
import { createTwoHosts, type TwoHosts } from '../support/netns.ts';
import { stallOn, type StalledClient } from '../support/stalled-client.ts';

const MiB = 1024 * 1024;
const STALLED = 12;
/** Sharing a file on loopback needs ~100 MiB; stalled downloads must not push it past this. */
const MAX_PEAK_RSS_MIB = 200;
const STALLED_SCRIPT = path.join(import.meta.dirname, '..', 'support', 'stalled-client.ts');

async function peakRssMiB(pid: number): Promise<number> {
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

/** The server's established connections on `port` from the given client ports (on loopback). */
async function serverSideEstablished(port: number, clientPorts: Set<number | undefined>): Promise<number> {
  const listing = await runCommand('ss', ['-Htn', 'state', 'established', `( sport = :${port} )`]);
  return listing.stdout.split('\n').filter((line) => clientPorts.has(Number(/:(\d+)\s*$/.exec(line.trim())?.[1]))).length;
}

async function sameBytes(downloaded: string, file: string): Promise<boolean> {
  return (await runCommand('cmp', [downloaded, file])).code === 0;
}

describe('downloads that never read', { timeout: 180_000 }, () => {
  let dir: string;
  let file: string;
  let share: RunningShare;
  let ready: ShareEventRecord;
  before(async () => ({ dir, file, share, ready } = await shareRandomFile('big.bin', 160 * MiB)));
  after(async () => {
    await stopShare(share);
    await rm(dir, { recursive: true, force: true });
  });

  it('are closed after the idle timeout, memory stays bounded, and curl gets every byte meanwhile, a slow curl too', async (t) => {
    const url = new URL(String(ready.webUrl));
    // Each from another offset, so each holds its own part of the file.
    const stalled: StalledClient[] = await Promise.all(Array.from({ length: STALLED }, (_, index) => stallOn(url, { from: index * 10 * MiB })));
    for (const client of stalled) assert.match(client.status, /^HTTP\/1\.1 20[06] /);
    const target = await tempDir();
    // A slow recipient (16 MiB at 256 KiB/s: longer than the stalled ones are held) and a fast one.
    const slow = runCommand('curl', ['-sS', '--fail', '--limit-rate', '256K', '-r', `0-${16 * MiB - 1}`, '-o', path.join(target, 'slow'), url.href], { timeoutMs: 150_000 });
    const fast = await runCommand('curl', ['-sS', '--fail', '-o', path.join(target, 'fast'), url.href]);
    assert.equal(fast.code, 0, fast.stderr);
    assert.ok(await sameBytes(path.join(target, 'fast'), file), 'curl got the file byte for byte');

    // The server closes them: its side of each connection leaves ESTABLISHED (its FIN waits for
    // room the client never makes). Then each client reads on and gets a cut response, not the rest.
    const started = performance.now();
    const ports = new Set(stalled.map((client) => client.socket.localPort));
    while ((await serverSideEstablished(Number(ready.trackerPort), ports)) > 0) await new Promise((resolve) => setTimeout(resolve, 1000));
    t.diagnostic(`the stalled downloads were closed ${((performance.now() - started) / 1000).toFixed(0)} s after curl finished`);
    const received = await Promise.all(stalled.map((client) => client.readToEnd()));
    received.forEach((bytes, index) => assert.ok(bytes < 160 * MiB - index * 10 * MiB, `stalled download ${index} was cut (${bytes} bytes)`));
    const slowRun = await slow;
    assert.equal(slowRun.code, 0, `the slow curl was not cut: ${slowRun.stderr}`);
    const expected = (await readFile(file)).subarray(0, 16 * MiB);
    assert.ok((await readFile(path.join(target, 'slow'))).equals(expected), 'the slow curl got its range byte for byte');
    await rm(target, { recursive: true, force: true });

    assert.equal(share.child.exitCode, null, 'share-file is still running');
    const peak = await peakRssMiB(share.child.pid!);
    t.diagnostic(`share-file peak RSS (VmHWM): ${peak.toFixed(0)} MiB`);
    assert.ok(peak <= MAX_PEAK_RSS_MIB, `peak RSS ${peak.toFixed(0)} MiB`);
  });
});

describe('connections per address', { timeout: 120_000 }, () => {
  let hosts: TwoHosts;
  let dir: string;
  let file: string;
  let share: RunningShare;
  let url: string;
  const otherIp = (): string => hosts.recipientIp.replace(/\.\d+$/, '.3');
  before(async () => {
    hosts = await createTwoHosts({ prefix: 'sfh', rejectInbound: false });
    await hosts.exec(hosts.recipient, 'ip', ['addr', 'add', `${otherIp()}/24`, 'dev', (await hosts.exec(hosts.recipient, 'ip', ['-o', 'link', 'show', 'type', 'veth'])).split(':')[1]!.trim().split('@')[0]!]);
    dir = await tempDir();
    file = await randomFile(dir, 'shared.bin', 64 * MiB);
    const args = [file, '--ip', hosts.sharerIp, '-H', hosts.sharerIp, '--firewall', 'none', '--port-map', 'none'];
    share = startShare(args, { cwd: dir, command: ['ip', 'netns', 'exec', hosts.sharer, process.execPath, BIN] });
    url = String((await share.waitForEvent('ready')).webUrl);
  });
  after(async () => {
    if (share) await stopShare(share);
    await hosts?.teardown();
    await rm(dir, { recursive: true, force: true });
  });

  const curlFrom = (source: string, output: string): Promise<{ code: number; output: string }> =>
    hosts.exec(hosts.recipient, 'curl', ['-sS', '--interface', source, '-o', output, '-w', '%{http_code}', url]).then(
      (stdout) => ({ code: 0, output: stdout }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? 1, output: `${error.stdout ?? ''}${error.stderr ?? ''}` }),
    );

  it('refuses the 17th connection from one address with a 503, while another address downloads', async () => {
    // 16 downloads from the recipient's address that never read, in a program in its namespace.
    const holder = spawn('ip', ['netns', 'exec', hosts.recipient, process.execPath, STALLED_SCRIPT, url, '16', hosts.recipientIp], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const held = await new Promise<{ statuses: string[] }>((resolve, reject) => {
        holder.stdout.setEncoding('utf8').once('data', (line: string) => resolve(JSON.parse(line.split('\n')[0]!) as { statuses: string[] }));
        holder.once('exit', (code) => reject(new Error(`the holder exited with ${code}`)));
      });
      assert.equal(held.statuses.filter((status) => /^HTTP\/1\.1 20[06] /.test(status)).length, 16, held.statuses.join('\n'));

      const target = await tempDir();
      const refused = await curlFrom(hosts.recipientIp, path.join(target, 'refused'));
      assert.equal(refused.output, '503', refused.output);
      assert.match(await readFile(path.join(target, 'refused'), 'utf8'), /too many connections from your address/);
      const served = await curlFrom(otherIp(), path.join(target, 'served'));
      assert.equal(served.output, '200', served.output);
      assert.ok(await sameBytes(path.join(target, 'served'), file), 'the other address got the file byte for byte');

      // Once the holder's connections are gone, the address is served again.
      holder.kill('SIGTERM');
      await new Promise((resolve) => holder.once('exit', resolve));
      let again = await curlFrom(hosts.recipientIp, path.join(target, 'again'));
      // The server may take the new connection before it has seen the old ones close.
      for (let tries = 0; again.output === '503' && tries < 20; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        again = await curlFrom(hosts.recipientIp, path.join(target, 'again'));
      }
      assert.equal(again.output, '200', again.output);
      await rm(target, { recursive: true, force: true });
    } finally {
      holder.kill('SIGKILL');
    }
  });
});
