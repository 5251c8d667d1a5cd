// Sharing a folder: a multi-file torrent that real aria2c downloads into an identical tree, over
// BitTorrent and over the web seed alone; junk and empty folders left out; a listing for browsers.
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { httpGet } from '../support/announce.ts';
import { aria2cArgs, LOOPBACK, randomFile, runCommand, startShare, stopShare, tempDir, type RunningShare, type ShareEventRecord } from '../support/helpers.ts';

/** Every file below `root` as relative path → bytes; folders only through the files in them. */
async function treeOf(root: string): Promise<Map<string, Buffer>> {
  const tree = new Map<string, Buffer>();
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    tree.set(path.relative(root, full), await readFile(full));
  }
  return tree;
}

function assertSameTree(actual: Map<string, Buffer>, expected: Map<string, Buffer>): void {
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
  for (const [name, bytes] of expected) assert.ok(actual.get(name)?.equals(bytes), `${name} differs`);
}

describe('sharing a folder', () => {
  let dir: string;
  let root: string;
  let expected: Map<string, Buffer>;
  let share: RunningShare;
  let ready: ShareEventRecord;

  before(async () => {
    dir = await tempDir();
    root = path.join(dir, 'my vm');
    await mkdir(path.join(root, 'sub dir', 'deep'), { recursive: true });
    await mkdir(path.join(root, 'nothing here', 'nor here'), { recursive: true });
    await randomFile(root, 'disk.img', 3 * 1024 * 1024 + 17);
    await randomFile(path.join(root, 'sub dir'), 'ünïcode.bin', 700_001);
    await randomFile(path.join(root, 'sub dir', 'deep'), 'tiny', 5);
    await writeFile(path.join(root, 'empty.txt'), '');
    await writeFile(path.join(root, '.DS_Store'), 'junk');
    await writeFile(path.join(root, 'sub dir', 'Thumbs.db'), 'junk');
    await writeFile(path.join(root, '._disk.img'), 'junk');
    await symlink('disk.img', path.join(root, 'same disk.img'));
    const disk = await readFile(path.join(root, 'disk.img'));
    expected = new Map([
      ['disk.img', disk],
      ['empty.txt', Buffer.alloc(0)],
      ['same disk.img', disk],
      ['sub dir/deep/tiny', await readFile(path.join(root, 'sub dir', 'deep', 'tiny'))],
      ['sub dir/ünïcode.bin', await readFile(path.join(root, 'sub dir', 'ünïcode.bin'))],
    ]);
    share = startShare([root, ...LOOPBACK, '--web-seed'], { cwd: dir });
    ready = await share.waitForEvent('ready');
  });
  after(async () => {
    await stopShare(share);
    await rm(dir, { recursive: true, force: true });
  });

  it('describes the folder in the ready event, and says what it left out', () => {
    assert.equal(ready.kind, 'folder');
    assert.equal(ready.name, 'my vm');
    assert.equal(ready.files, 5);
    assert.equal(ready.length, 2 * (3 * 1024 * 1024 + 17) + 700_001 + 5);
    const warning = share.events.find((event) => event.event === 'warning');
    assert.match(String(warning?.message), /\.DS_Store \(system junk\).*\._disk\.img \(system junk\).*sub dir\/Thumbs\.db \(system junk\).*2 empty folders/);
  });

  it('aria2c downloads the tree over BitTorrent, identical, without junk or empty folders', async () => {
    const target = await tempDir();
    const result = await runCommand('aria2c', aria2cArgs(target, String(ready.torrentUrl)));
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assertSameTree(await treeOf(path.join(target, 'my vm')), expected);
    assert.deepEqual((await readdir(target)).filter((name) => !name.endsWith('.torrent')), ['my vm']);
    await rm(target, { recursive: true, force: true });
  });

  it('aria2c downloads the tree from the web seed alone, identical', async () => {
    const target = await tempDir();
    // Without its tracker aria2c finds no peer: every byte comes over HTTP (BEP 19, multi-file).
    const result = await runCommand('aria2c', ['--bt-exclude-tracker=*', ...aria2cArgs(target, String(ready.torrent))]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assertSameTree(await treeOf(path.join(target, 'my vm')), expected);
    await rm(target, { recursive: true, force: true });
  });

  it('lists the files for a browser, each one a working link', async () => {
    const url = new URL(String(ready.webUrl));
    assert.ok(url.pathname.endsWith('/my%20vm/'));
    const listing = await httpGet(Number(url.port), url.pathname);
    assert.equal(listing.status, 200);
    assert.match(String(listing.headers['content-type']), /^text\/html/);
    const links = [...listing.body.toString().matchAll(/href="([^"]+)"/g)].map((match) => match[1]!);
    assert.equal(links.length, 5);
    const unicode = links.find((link) => link.endsWith('/sub%20dir/%C3%BCn%C3%AFcode.bin'));
    assert.ok(unicode, links.join(' '));
    const file = await httpGet(Number(url.port), unicode);
    assert.equal(file.status, 200);
    assert.ok(file.body.equals(expected.get('sub dir/ünïcode.bin')!));
    assert.match(String(file.headers['content-disposition']), /^attachment; filename="_n_code\.bin"; filename\*=UTF-8''%C3%BCn%C3%AFcode\.bin$/);
    assert.equal((await httpGet(Number(url.port), url.pathname + 'sub%20dir/nope')).status, 404);
    assert.equal((await httpGet(Number(url.port), url.pathname + '.DS_Store')).status, 404);
  });
});
