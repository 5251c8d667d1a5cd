// For scripts and people: stop conditions, JSON on stdout, quiet, plain logs, and bars on a terminal.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { aria2cArgs, BIN, isPortFree, LOOPBACK, randomFile, runCommand, startShare, tempDir } from '../support/helpers.ts';

// eslint-disable-next-line no-control-regex -- finding terminal escape codes is the point
const ESCAPE_OR_CR = /[\u001b\r]/;

describe('stop conditions and output', () => {
  let dir: string;
  let file: string;
  before(async () => {
    dir = await tempDir();
    file = await randomFile(dir, 'data.bin', 24 * 1024 * 1024);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('--exit-after 1 stops with exit 0 once a real aria2c has the file, and cleans up', async () => {
    const share = startShare([file, '--exit-after', '1', ...LOOPBACK], { cwd: dir });
    const ready = await share.waitForEvent('ready');
    const target = await tempDir();
    const download = await runCommand('aria2c', aria2cArgs(target, String(ready.torrentUrl)));
    assert.equal(download.code, 0, download.stderr);
    const { code } = await share.exited;
    assert.equal(code, 0, share.stderr());
    const completed = share.events.find((event) => event.event === 'completed');
    assert.ok(completed);
    assert.match(String(completed.peer), /^127\.0\.0\.1:\d+$/);
    assert.equal(completed.completedPeers, 1);
    assert.deepEqual(share.events.at(-1), { event: 'stopped', reason: 'exit-after' });
    assert.ok(await isPortFree(Number(ready.trackerPort)));
    assert.ok(await isPortFree(Number(ready.peerPort)));
    assert.deepEqual(await readdir(dir), ['data.bin']);

    // Everything on stdout is JSON, one object per line; stderr has no redraws or colours.
    for (const line of share.stdoutLines) assert.doesNotThrow(() => JSON.parse(line), line);
    assert.doesNotMatch(share.stderr(), ESCAPE_OR_CR);
    const names = new Set(share.events.map((event) => event.event));
    for (const name of ['hashing', 'ready', 'peer-connected', 'completed', 'stopped']) assert.ok(names.has(name), `${name} in ${[...names].join()}`);
    await rm(target, { recursive: true, force: true });
  });

  it('--timeout stops with exit 0 and a stopped event with reason timeout', async () => {
    const started = Date.now();
    const share = startShare([file, '--timeout', '2s', ...LOOPBACK], { cwd: dir });
    const { code } = await share.exited;
    const elapsed = Date.now() - started;
    assert.equal(code, 0);
    assert.ok(elapsed >= 2000 && elapsed < 15_000, `${elapsed} ms`);
    assert.deepEqual(share.events.at(-1), { event: 'stopped', reason: 'timeout' });
    assert.ok(share.events.some((event) => event.event === 'ready'));
  });

  it('--quiet prints nothing on stderr, and stdout still has the URL', async () => {
    const share = startShare([file, '--timeout', '1s', '-q', ...LOOPBACK], { cwd: dir, json: false });
    const { code } = await share.exited;
    assert.equal(code, 0);
    assert.equal(share.stderr(), '');
    assert.equal(share.stdoutLines.length, 1);
    assert.match(share.stdoutLines[0]!, /^http:\/\/127\.0\.0\.1:\d+\//);
  });

  it('--quiet still prints errors', async () => {
    const share = startShare(['missing.bin', '-q', ...LOOPBACK], { cwd: dir, json: false });
    const { code } = await share.exited;
    assert.equal(code, 1);
    assert.match(share.stderr(), /^error: `.*missing\.bin` does not exist/);
  });

  it('--json reports progress at most once a second, with totals and per-peer figures', async () => {
    const share = startShare([file, ...LOOPBACK], { cwd: dir });
    const ready = await share.waitForEvent('ready');
    const target = await tempDir();
    // A slow recipient, so the transfer spans several progress ticks.
    const download = await runCommand('aria2c', ['--max-download-limit=8M', ...aria2cArgs(target, String(ready.torrentUrl))]);
    assert.equal(download.code, 0, download.stderr);
    share.child.kill('SIGINT');
    await share.exited;
    const progress = share.events.filter((event) => event.event === 'progress');
    assert.ok(progress.length >= 2, `${progress.length} progress events`);
    const withPeer = progress.find((event) => Array.isArray(event.peers) && event.peers.length > 0)!;
    assert.ok(withPeer, JSON.stringify(progress));
    const peer = (withPeer.peers as Array<Record<string, unknown>>)[0]!;
    assert.deepEqual(Object.keys(peer).sort(), ['peer', 'peerId', 'percent', 'uploadRate', 'uploaded']);
    const last = progress.at(-1)!;
    assert.ok(Number(last.uploaded) >= 24 * 1024 * 1024);
    assert.equal(typeof last.ratio, 'number');
    assert.equal(typeof last.uploadRate, 'number');
    await rm(target, { recursive: true, force: true });
  });
});

/** Runs share-file in a pseudo-terminal (util-linux `script`) and returns what the terminal got. */
function inTerminal(args: string[], env: NodeJS.ProcessEnv, cwd: string, whileRunning: (output: () => string) => Promise<void>): Promise<string> {
  const command = [process.execPath, BIN, ...args].map((word) => `'${word.replaceAll("'", `'\\''`)}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd, env: { ...process.env, COLUMNS: '120', LINES: '40', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.on('error', reject);
    child.on('close', () => resolve(output));
    whileRunning(() => output).catch(reject);
  });
}

describe('on a terminal', () => {
  let dir: string;
  let file: string;
  before(async () => {
    dir = await tempDir();
    file = await randomFile(dir, 'tty.bin', 24 * 1024 * 1024);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const waitFor = async (output: () => string, pattern: RegExp): Promise<RegExpMatchArray> => {
    for (let i = 0; i < 300; i++) {
      const match = output().match(pattern);
      if (match) return match;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no ${pattern} in:\n${output()}`);
  };

  it('draws bars for hashing and one row per peer, and shows a QR code with --qr', async () => {
    let url = '';
    const screen = await inTerminal([file, '--timeout', '12s', '--qr', ...LOOPBACK], {}, dir, async (output) => {
      url = (await waitFor(output, /\.torrent URL\s+(\S+)/))[1]!;
      const target = await tempDir();
      await runCommand('aria2c', ['--max-download-limit=6M', ...aria2cArgs(target, url)]);
      await rm(target, { recursive: true, force: true });
    });
    assert.ok(screen.includes('\u001b['), 'redraws with escape codes');
    assert.match(screen, /hashing tty\.bin\s+[█░]+/);
    assert.match(screen, /127\.0\.0\.1:\d+\s+[█░]+\s+\d+\.\d% /, 'a row for the peer');
    assert.match(screen, /uploaded \d+\.\d MiB, ratio \d\.\d\d, \d peers?, \d done/);
    assert.match(screen, /[▀▄█]{10}/, 'a QR code');
    assert.match(screen, /stopped \(timeout\)/);
  });

  it('with NO_COLOR, prints plain lines only', async () => {
    const screen = await inTerminal([file, '--timeout', '2s', ...LOOPBACK], { NO_COLOR: '1' }, dir, async () => {});
    assert.doesNotMatch(screen.replaceAll('\r\n', '\n'), ESCAPE_OR_CR);
    assert.match(screen, /Hand the recipient one of these/);
  });
});
