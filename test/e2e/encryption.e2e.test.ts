// Message stream encryption with real clients: libtorrent and aria2c that require RC4, that offer
// both methods, and that keep to their defaults, all download byte-identical files without a
// plaintext fallback; with --require-encryption, plain BitTorrent connections are refused.
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { aria2cArgs, ROOT, runCommand, shareRandomFile, stopShare, tempDir, type RunningShare, type ShareEventRecord } from '../support/helpers.ts';

const ENCRYPTED_FETCH = path.join(ROOT, 'test', 'support', 'encrypted-fetch.py');
const SIZE = 8 * 1024 * 1024 + 7;
// libtorrent's settings_pack values: enc_policy forced 0, enabled 1, disabled 2; enc_level rc4 2, both 3.
// uTP is off because share-file speaks TCP only: libtorrent would first spend 3 s on a uTP attempt.
const NO_UTP = { enable_outgoing_utp: false, enable_incoming_utp: false };
const RC4_FORCED = { ...NO_UTP, out_enc_policy: 0, in_enc_policy: 0, allowed_enc_level: 2 };
// Always the obfuscated handshake, offering both payload methods (pe_enabled would start some
// connections with a plain handshake and never offer anything).
const MSE_OFFERING_BOTH = { ...NO_UTP, out_enc_policy: 0, in_enc_policy: 0, allowed_enc_level: 3, prefer_rc4: false };
const PLAIN_ONLY = { ...NO_UTP, out_enc_policy: 2, in_enc_policy: 2 };

interface LibtorrentResult {
  encryption: string[];
  secondsToFirstBlock: number | null;
}

/** libtorrent from the magnet alone (its x.pe): the seeder is its only peer. */
async function libtorrentFetch(ready: ShareEventRecord, settings: object, timeoutSeconds = 60): Promise<{ code: number | null; result: LibtorrentResult | undefined; output: string; target: string }> {
  const trackerless = String(ready.magnet).replace(/&tr=[^&]*/g, '');
  const target = await tempDir();
  const run = await runCommand('/usr/bin/python3', [ENCRYPTED_FETCH, trackerless, target, JSON.stringify(settings), String(timeoutSeconds)]);
  const line = run.stdout.trim().split('\n').at(-1);
  return { code: run.code, result: run.code === 0 && line ? (JSON.parse(line) as LibtorrentResult) : undefined, output: run.stdout + run.stderr, target };
}

/** Seconds from aria2c's connecting to the seeder to its first block, from its debug log. */
function aria2cFirstBlockSeconds(log: string, peerPort: number): number | undefined {
  const time = (line: string): number => Date.parse(line.slice(0, 23).replace(' ', 'T') + 'Z');
  const connect = log.split('\n').find((line) => line.includes(`Connecting to 127.0.0.1:${peerPort}`));
  const cuid = connect?.match(/CUID#\d+/)?.[0];
  const block = cuid ? log.split('\n').find((line) => line.includes(`${cuid} - From: `) && line.includes(' piece index=')) : undefined;
  return connect && block ? (time(block) - time(connect)) / 1000 : undefined;
}

async function aria2cFetch(t: TestContext, ready: ShareEventRecord, extraArgs: string[]): Promise<{ code: number | null; output: string; target: string }> {
  const target = await tempDir();
  const log = path.join(target, 'aria2c.log');
  const run = await runCommand('aria2c', [...extraArgs, `--log=${log}`, '--log-level=debug', ...aria2cArgs(target, String(ready.torrent))], { timeoutMs: 90_000 });
  const seconds = aria2cFirstBlockSeconds(await readFile(log, 'utf8').catch(() => ''), Number(ready.peerPort));
  t.diagnostic(`aria2c ${extraArgs.join(' ') || '(defaults)'}: ${seconds?.toFixed(3) ?? '?'} s from connecting to the first block`);
  await rm(log, { force: true });
  return { code: run.code, output: run.stdout + run.stderr, target };
}

describe('encrypted connections (MSE/PE)', () => {
  let dir: string;
  let file: string;
  let share: RunningShare;
  let ready: ShareEventRecord;

  before(async () => {
    ({ dir, file, share, ready } = await shareRandomFile('encrypted.bin', SIZE));
  });
  after(async () => {
    await stopShare(share);
    await rm(dir, { recursive: true, force: true });
  });

  const assertSameFile = async (target: string): Promise<void> => {
    assert.ok((await readFile(path.join(target, 'encrypted.bin'))).equals(await readFile(file)));
    await rm(target, { recursive: true, force: true });
  };

  for (const [name, settings, expected] of [
    ['requiring RC4 (pe_forced)', RC4_FORCED, 'rc4'],
    ['offering both methods after an obfuscated handshake', MSE_OFFERING_BOTH, 'plaintext'],
    ['with its defaults', NO_UTP, undefined],
  ] as const) {
    it(`serves libtorrent ${name}`, async (t) => {
      const { code, result, output, target } = await libtorrentFetch(ready, settings);
      assert.equal(code, 0, output);
      // `plaintext`: the handshake was obfuscated, the payload plain, as chosen when offered both.
      if (expected) assert.ok(result!.encryption.includes(expected), output);
      else assert.ok(!result!.encryption.includes('rc4'), output);
      t.diagnostic(`libtorrent ${name}: ${result!.encryption.join('/')}, ${result!.secondsToFirstBlock?.toFixed(3) ?? '?'} s from connecting to the first block`);
      await assertSameFile(target);
    });
  }

  it('serves aria2c that requires RC4', async (t) => {
    const { code, output, target } = await aria2cFetch(t, ready, ['--bt-require-crypto=true', '--bt-min-crypto-level=arc4']);
    assert.equal(code, 0, output);
    await assertSameFile(target);
  });

  it('serves aria2c with its defaults (an obfuscated handshake first)', async (t) => {
    const { code, output, target } = await aria2cFetch(t, ready, []);
    assert.equal(code, 0, output);
    await assertSameFile(target);
  });
});

describe('--require-encryption', () => {
  let dir: string;
  let file: string;
  let share: RunningShare;
  let ready: ShareEventRecord;

  before(async () => {
    ({ dir, file, share, ready } = await shareRandomFile('encrypted.bin', SIZE, ['--require-encryption']));
  });
  after(async () => {
    await stopShare(share);
    await rm(dir, { recursive: true, force: true });
  });

  it('serves libtorrent that offers both methods, over RC4', async () => {
    const { code, result, output, target } = await libtorrentFetch(ready, MSE_OFFERING_BOTH);
    assert.equal(code, 0, output);
    assert.ok(result!.encryption.includes('rc4'), output);
    assert.ok((await readFile(path.join(target, 'encrypted.bin'))).equals(await readFile(file)));
    await rm(target, { recursive: true, force: true });
  });

  it('refuses libtorrent that speaks only plain BitTorrent', async () => {
    const { code, output, target } = await libtorrentFetch(ready, PLAIN_ONLY, 8);
    assert.equal(code, 2, output);
    await rm(target, { recursive: true, force: true });
  });
});
