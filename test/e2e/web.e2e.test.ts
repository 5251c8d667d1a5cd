// The file over plain HTTP: HEAD, Range, a resumed curl download, a whole download that counts as
// completed, and aria2c fetching from the web seed alone. Byte-identical every time.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, rm, stat } from 'node:fs/promises';
import { request } from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { aria2cArgs, runCommand, shareRandomFile, stopShare, tempDir, type RunningShare, type ShareEventRecord } from '../support/helpers.ts';

const NAME = 'vm imäge.raw';
// Large enough that a rate-limited curl is still far from done when it is cut off.
const SIZE = 32 * 1024 * 1024 + 333;

function get(url: URL, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the file over HTTP', () => {
  let dir: string;
  let original: Buffer;
  let share: RunningShare;
  let ready: ShareEventRecord;
  let url: URL;

  before(async () => {
    let file: string;
    ({ dir, file, share, ready } = await shareRandomFile(NAME, SIZE, ['--web-seed']));
    original = await readFile(file);
    url = new URL(String(ready.webUrl));
  });
  after(async () => {
    await stopShare(share);
    await rm(dir, { recursive: true, force: true });
  });

  it('answers HEAD with the length, the name and byte ranges', async () => {
    const head = await get(url, {}, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(SIZE));
    assert.equal(head.headers['accept-ranges'], 'bytes');
    assert.equal(head.headers['content-disposition'], `attachment; filename="vm im_ge.raw"; filename*=UTF-8''vm%20im%C3%A4ge.raw`);
    assert.equal(head.body.length, 0);
    assert.match(url.pathname, /^\/[A-Za-z0-9_-]{32}\/vm%20im%C3%A4ge\.raw$/);
  });

  it('serves single byte ranges, suffixes, and refuses ranges past the end', async () => {
    const middle = await get(url, { Range: 'bytes=1000000-1999999' });
    assert.equal(middle.status, 206);
    assert.equal(middle.headers['content-range'], `bytes 1000000-1999999/${SIZE}`);
    assert.ok(middle.body.equals(original.subarray(1_000_000, 2_000_000)));
    const suffix = await get(url, { Range: 'bytes=-10' });
    assert.equal(suffix.status, 206);
    assert.ok(suffix.body.equals(original.subarray(SIZE - 10)));
    const open = await get(url, { Range: `bytes=${SIZE - 5}-` });
    assert.ok(open.body.equals(original.subarray(SIZE - 5)));
    const past = await get(url, { Range: `bytes=${SIZE}-` });
    assert.equal(past.status, 416);
    assert.equal(past.headers['content-range'], `bytes */${SIZE}`);
    const otherVersion = await get(url, { Range: 'bytes=0-9', 'If-Range': '"not-this-one"' });
    assert.equal(otherVersion.status, 200, 'an If-Range for another version gets the whole file');
    assert.equal(otherVersion.body.length, SIZE);
  });

  it('lets an interrupted curl download resume with `curl -C -`, byte-identical', async () => {
    const target = await tempDir();
    const output = path.join(target, NAME);
    // A slow first attempt, cut off part-way.
    const first = spawn('curl', ['-sSf', '--limit-rate', '2M', '-o', output, url.href], { stdio: ['ignore', 'ignore', 'pipe'] });
    let firstErrors = '';
    first.stderr.setEncoding('utf8').on('data', (chunk: string) => (firstErrors += chunk));
    const firstClosed = new Promise((resolve) => first.once('close', resolve));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    first.kill('SIGKILL');
    await firstClosed;
    assert.equal(firstErrors, '', 'the first attempt ran until it was cut off');
    const partial = (await stat(output)).size;
    assert.ok(partial > 0 && partial < SIZE, `the first attempt got ${partial} bytes`);
    const resumed = await runCommand('curl', ['-sSf', '-C', '-', '-o', output, url.href]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.ok((await readFile(output)).equals(original));
    await rm(target, { recursive: true, force: true });
  });

  it('counts a whole download over HTTP as a completed recipient', async () => {
    const before = share.events.filter((event) => event.event === 'completed').length;
    const whole = await get(url);
    assert.ok(whole.body.equals(original));
    await waitFor(() => share.events.filter((event) => event.event === 'completed').length > before);
    const completed = share.events.filter((event) => event.event === 'completed').at(-1)!;
    assert.equal(completed.via, 'http');
  });

  it('is the web seed of the .torrent: aria2c without peers downloads it all over HTTP', async () => {
    const target = await tempDir();
    const result = await runCommand('aria2c', ['--bt-exclude-tracker=*', ...aria2cArgs(target, String(ready.torrent))]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.ok((await readFile(path.join(target, NAME))).equals(original));
    await rm(target, { recursive: true, force: true });
  });

  it('reports what went over HTTP in the progress events', async () => {
    await waitFor(() => share.events.some((event) => event.event === 'progress' && Number(event.webUploaded) >= 2 * SIZE));
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
