// The published package: packed, installed offline into an empty folder, and really sharing a file.
import assert from 'node:assert/strict';
import { readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { aria2cArgs, LOOPBACK, randomFile, ROOT, runCommand, startShare, stopShare, tempDir } from '../support/helpers.ts';

/**
 * npx as a user's shell runs it. Run through `npx -p node@24` (as .ci/run does on an older Node), the
 * tests inherit `npm_config_package=node@24`, and an inner `npx ./share-file-*.tgz` then runs the
 * tarball itself as the command with node@24 installed ("Permission denied").
 */
const USER_ENV = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'npm_config_package'));

describe('the packed package', { timeout: 180_000 }, () => {
  let work: string;
  let tarball: string;
  let installed: string;

  before(async () => {
    work = await tempDir('share-file-pack-');
    const pack = await runCommand('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT });
    assert.equal(pack.code, 0, pack.stderr);
    const [info] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as Array<{ filename: string }>;
    tarball = path.join(work, info!.filename);
    const app = path.join(work, 'app');
    const install = await runCommand('npm', ['install', '--offline', '--no-audit', '--no-fund', '--prefix', app, tarball], { cwd: work });
    assert.equal(install.code, 0, install.stderr);
    installed = path.join(app, 'node_modules', 'share-file');
  });
  after(() => rm(work, { recursive: true, force: true }));

  it('declares no runtime dependencies and no install scripts', async () => {
    const manifest = JSON.parse(await readFile(path.join(installed, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
    assert.equal(manifest.dependencies, undefined);
    assert.equal(manifest.optionalDependencies, undefined);
    assert.equal(manifest.peerDependencies, undefined);
    for (const script of ['preinstall', 'install', 'postinstall', 'prepare']) assert.equal(manifest.scripts?.[script], undefined, script);
    assert.ok(manifest.engines?.node, 'engines.node is declared');
    const { size } = await stat(tarball);
    assert.ok(size < 2 * 1024 * 1024, `the tarball is ${size} bytes`);
  });

  it('installs nothing but itself', async () => {
    const listing = await runCommand('npm', ['ls', '--all', '--parseable', '--prefix', path.dirname(path.dirname(installed))]);
    const packages = listing.stdout.trim().split('\n').filter((line) => line.includes('node_modules'));
    assert.deepEqual(packages.map((line) => path.basename(line)), ['share-file']);
  });

  it('holds only the bin shim, the bundle, the README, the licence and the manifest', async () => {
    const dryRun = await runCommand('npm', ['pack', '--dry-run', '--json'], { cwd: ROOT });
    assert.equal(dryRun.code, 0, dryRun.stderr);
    const [info] = JSON.parse(dryRun.stdout.slice(dryRun.stdout.indexOf('['))) as Array<{ files: Array<{ path: string }> }>;
    const stray = info!.files.map((file) => file.path).filter((file) => !/^(bin\/share-file\.js|dist\/.+\.(js|map|txt)|README\.md|LICENSE|package\.json)$/.test(file));
    assert.deepEqual(stray, []);
    assert.ok(info!.files.some((file) => file.path === 'LICENSE'));
  });

  it('runs with npx from the tarball, as the README says', async () => {
    const version = await runCommand('npx', ['--yes', '--offline', `./${path.basename(tarball)}`, '--version'], { cwd: work, env: USER_ENV });
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout.trim(), JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')).version);
  });

  it('is packed from a fresh clone (of the committed tree) with npm ci and npm pack', async () => {
    const clone = path.join(work, 'clone');
    assert.equal((await runCommand('git', ['clone', '--quiet', ROOT, clone])).code, 0);
    const install = await runCommand('npm', ['ci', '--offline', '--no-audit', '--no-fund'], { cwd: clone });
    assert.equal(install.code, 0, install.stderr);
    // Install scripts of development dependencies are declined in allowScripts: nothing to approve.
    assert.doesNotMatch(install.stderr, /install-scripts/);
    const pack = await runCommand('npm', ['pack'], { cwd: clone });
    assert.equal(pack.code, 0, pack.stderr);
    const version = await runCommand('npx', ['--yes', '--offline', `./${path.basename(tarball)}`, '--version'], { cwd: clone, env: USER_ENV });
    assert.equal(version.code, 0, version.stderr);
  });

  it('its share-file command shares a file that aria2c downloads byte-identical', async () => {
    const dir = await tempDir();
    const file = await randomFile(dir, 'packed test.bin', 5 * 1024 * 1024 + 3);
    const command = path.join(path.dirname(installed), '.bin', 'share-file');
    const share = startShare([file, ...LOOPBACK, '--exit-after', '1'], { cwd: dir, command: [command] });
    const ready = await share.waitForEvent('ready');
    const target = await tempDir();
    const download = await runCommand('aria2c', aria2cArgs(target, String(ready.torrentUrl)));
    assert.equal(download.code, 0, download.stderr);
    assert.ok((await readFile(path.join(target, 'packed test.bin'))).equals(await readFile(file)));
    const { code } = await share.exited;
    assert.equal(code, 0);
    assert.doesNotMatch(share.stderr(), /uTP|WebRTC|warn/i, 'no noise from the stand-ins');
    await stopShare(share);
    await rm(dir, { recursive: true, force: true });
    await rm(target, { recursive: true, force: true });
  });
});
