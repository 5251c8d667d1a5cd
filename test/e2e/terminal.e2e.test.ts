// At a terminal and in cron: Ctrl-C on a pseudo-terminal right after the hand-over exits at once
// with code 0; --timeout past setTimeout's 24.8 days keeps sharing; off a terminal (cron) nobody is
// told to press Ctrl-C; an HTTP recipient is named by its IPv4 address.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { BIN, LOOPBACK, randomFile, ROOT, runCommand, startShare, stopShare, tempDir } from '../support/helpers.ts';

const PTY_CTRL_C = path.join(ROOT, 'test', 'support', 'pty-ctrl-c.py');
/** How long Ctrl-C may take to end the process: the clean-up is bounded, a stray timer is not. */
const GRACE_SECONDS = 10;

interface PtyRun {
  code: number | null;
  typed: boolean;
  exitedAfter: number | null;
  output: string;
}

/** share-file on a pseudo-terminal, Ctrl-C typed the moment the hand-over's last line shows. */
function ctrlCAfterHandOver(args: string[], cwd: string, cacheHome: string): Promise<PtyRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', [PTY_CTRL_C, 'Press Ctrl-C to stop.', String(GRACE_SECONDS), process.execPath, BIN, ...args], {
      cwd,
      env: { ...process.env, XDG_CACHE_HOME: cacheHome, NO_COLOR: '' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.on('error', reject);
    child.on('close', () => resolve(JSON.parse(stdout) as PtyRun));
  });
}

describe('at a terminal', () => {
  let dir: string;
  let file: string;

  before(async () => {
    dir = await tempDir();
    file = await randomFile(dir, 'vm.img', 3 * 1024 * 1024);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('exits with 0 on a Ctrl-C right after the hand-over, hashed or from the hash cache, every time', async () => {
    const cacheHome = path.join(dir, 'cache');
    // The first run hashes (and draws the bar), the others take the pieces from the hash cache.
    for (let attempt = 1; attempt <= 4; attempt++) {
      const run = await ctrlCAfterHandOver([file, ...LOOPBACK], dir, cacheHome);
      const context = `attempt ${attempt}:\n${run.output}`;
      assert.ok(run.typed, `no hand-over to press Ctrl-C after; ${context}`);
      assert.notEqual(run.code, null, `still running ${GRACE_SECONDS} s after Ctrl-C; ${context}`);
      assert.equal(run.code, 0, context);
      assert.match(run.output, /share-file: stopped \(SIGINT\); everything it set up is undone/);
      // Ended by itself, not by the last resort that ends a process something still holds.
      assert.doesNotMatch(run.output, /still open after the clean-up/, context);
      if (attempt > 1) assert.match(run.output, /pieces taken from the hash cache/);
    }
  });

  it('keeps sharing with --timeout 25d (past setTimeout\'s 2^31-1 ms), until Ctrl-C', async () => {
    const share = startShare([file, ...LOOPBACK, '--timeout', '25d'], { cwd: dir });
    await share.waitForEvent('ready');
    await sleep(2000);
    assert.equal(share.child.exitCode, null, `stopped by itself: ${share.stderr()}`);
    assert.ok(!share.events.some((event) => event.event === 'stopped'));
    assert.equal((await stopShare(share)).code, 0);
    assert.equal(share.events.at(-1)!.reason, 'SIGINT');
    // Node's TimeoutOverflowWarning said so where the timer fired at once.
    assert.doesNotMatch(share.stderr(), /\(node:|Warning/);
  });
});

describe('in cron (no terminal)', () => {
  let dir: string;
  let file: string;

  before(async () => {
    dir = await tempDir();
    file = await randomFile(dir, 'vm.img', 2 * 1024 * 1024 + 5);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('prints the hand-over without "Press Ctrl-C", and names an HTTP recipient by its IPv4 address', async () => {
    const share = startShare([file, ...LOOPBACK], { cwd: dir, json: false });
    while (share.stdoutLines.length === 0 && share.child.exitCode === null) await sleep(50);
    const torrentUrl = share.stdoutLines[0]!;
    const webUrl = torrentUrl.replace(/\.torrent$/, '');
    const download = await runCommand('curl', ['-fsS', '-o', path.join(dir, 'copy.img'), webUrl]);
    assert.equal(download.code, 0, download.stderr);
    while (!share.stderr().includes('has the whole file') && share.child.exitCode === null) await sleep(50);
    assert.equal((await stopShare(share)).code, 0);
    const stderr = share.stderr();
    assert.match(stderr, /Hand the recipient one of these:/);
    assert.doesNotMatch(stderr, /Ctrl-C/);
    // curl reached the dual-stack server over IPv4: named as 127.0.0.1, not ::ffff:127.0.0.1.
    assert.match(stderr, /share-file: 127\.0\.0\.1 has the whole file over HTTP/);
    assert.doesNotMatch(stderr, /::ffff:/);
  });
});
