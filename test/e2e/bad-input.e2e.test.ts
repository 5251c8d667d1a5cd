// Bad input: one line on stderr naming the value, the right exit code, and nothing left behind.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import getPort from 'get-port';
import { asNobody, LOOPBACK, randomFile, runShare, startShare, tempDir } from '../support/helpers.ts';

describe('bad input', () => {
  let dir: string;
  let file: string;
  let busy: Server;
  let busyPort: number;

  before(async () => {
    dir = await tempDir();
    file = await randomFile(dir, 'good.bin', 10_000);
    await writeFile(path.join(dir, 'empty.bin'), '');
    await mkdir(path.join(dir, 'folder', 'only-empty-folders'), { recursive: true });
    await mkdir(path.join(dir, 'leaky'));
    await writeFile(path.join(dir, 'leaky', 'fine.txt'), 'fine');
    await symlink('/etc/hostname', path.join(dir, 'leaky', 'host'));
    execFileSync('mkfifo', [path.join(dir, 'pipe')]);
    busyPort = await getPort();
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(busyPort, resolve));
  });
  after(async () => {
    busy.close();
    await rm(dir, { recursive: true, force: true });
  });

  const base = [...LOOPBACK];
  const cases: Array<{ name: string; args: () => string[]; code: number; pattern: RegExp | (() => RegExp) }> = [
    { name: 'a missing file', args: () => ['missing.bin', ...base], code: 1, pattern: /`.*missing\.bin` does not exist/ },
    { name: 'an empty file', args: () => ['empty.bin', ...base], code: 1, pattern: /`.*empty\.bin` is empty/ },
    { name: 'a folder with nothing in it', args: () => ['folder', ...base], code: 1, pattern: /`.*folder` has nothing to share \(no files\)/ },
    { name: 'a folder with a link outside it', args: () => ['leaky', ...base], code: 1, pattern: /`.*leaky\/host` links to `\/etc\/hostname`, outside the shared folder; copy/ },
    { name: 'a named pipe', args: () => ['pipe', ...base], code: 1, pattern: /`.*pipe` is not a regular file, a block device or a folder/ },
    { name: 'a tracker URL that is not one', args: () => [file, '--announce', 'ws://tracker.example/announce', ...base], code: 2, pattern: /`ws:\/\/tracker\.example\/announce` is not a tracker announce URL/ },
    { name: 'a port that is not a number', args: () => [file, '--port', 'http', ...base], code: 2, pattern: /tracker port `http` is not a port number/ },
    { name: 'a port out of range', args: () => [file, '70000', ...base], code: 2, pattern: /tracker port `70000`/ },
    { name: 'equal ports', args: () => [file, '--port', '50100', '--peer-port', '50100', ...base], code: 2, pattern: /both `50100`/ },
    { name: 'a busy tracker port', args: () => [file, '--port', String(busyPort), '--peer-port', '50111', ...base], code: 1, pattern: () => new RegExp(`tracker port \`${busyPort}\` is already in use`) },
    { name: 'a busy peer port', args: () => [file, '--peer-port', String(busyPort), ...base], code: 1, pattern: () => new RegExp(`peer port \`${busyPort}\` is already in use`) },
    { name: 'a bad address', args: () => [file, '--ip', '300.1.1.1', '-H', '127.0.0.1', '--firewall', 'none', '--port-map', 'none'], code: 2, pattern: /`300\.1\.1\.1` is not an IP address/ },
    { name: 'a bad host name', args: () => [file, '--ip', '127.0.0.1', '-H', 'no such host', '--firewall', 'none', '--port-map', 'none'], code: 2, pattern: /`no such host` is not a valid host name/ },
    { name: 'an unknown firewall mode', args: () => [file, '--ip', '127.0.0.1', '-H', '127.0.0.1', '--firewall', 'pf', '--port-map', 'none'], code: 2, pattern: /unknown firewall mode `pf`/ },
    { name: 'an unknown port-map mode', args: () => [file, ...base, '--port-map', 'pcp'], code: 2, pattern: /unknown port-map mode `pcp`; use one of auto, upnp, nat-pmp, none/ },
    { name: 'an IPv4 address for --ip6', args: () => [file, ...base, '--ip6', '10.220.1.2'], code: 2, pattern: /`10\.220\.1\.2` is not an IPv6 address/ },
    { name: 'an unwritable .torrent path', args: () => [file, '-o', '/nonexistent-dir/x.torrent', ...base], code: 1, pattern: /`\/nonexistent-dir\/x\.torrent`/ },
    { name: 'an existing .torrent path', args: () => [file, '-o', 'good.bin', ...base], code: 1, pattern: /`.*good\.bin` \(EEXIST\).*never overwrites/ },
    { name: 'an unknown option', args: () => [file, '--bogus'], code: 2, pattern: /unknown option '--bogus'/ },
    { name: 'no file at all', args: () => [], code: 2, pattern: /missing required argument 'file'/ },
  ];

  for (const testCase of cases) {
    it(`${testCase.name}: one line, exit ${testCase.code}, nothing left`, async () => {
      const before = (await readdir(dir)).sort();
      const result = await runShare(testCase.args(), { cwd: dir });
      assert.equal(result.code, testCase.code, result.stderr);
      const lines = result.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0]!, /^error: /);
      assert.match(lines[0]!, typeof testCase.pattern === 'function' ? testCase.pattern() : testCase.pattern);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(result.stdout, '');
      assert.deepEqual((await readdir(dir)).sort(), before, 'no file left behind');
    });
  }

  it('an unreadable file (for a user who is not root): one line, exit 1, nothing left', async () => {
    const own = await tempDir();
    const secret = await randomFile(own, 'secret.bin', 1000);
    await chmod(secret, 0o000);
    const share = startShare([secret, ...base], { cwd: own, json: false, command: await asNobody(own) });
    const { code } = await share.exited;
    assert.equal(code, 1);
    assert.match(share.stderr(), /^error: cannot read `.*secret\.bin` \(EACCES\); check that you may read it/);
    assert.equal(share.stderr().trimEnd().split('\n').length, 1);
    assert.deepEqual((await readdir(own)).sort(), ['node', 'secret.bin']);
    await rm(own, { recursive: true, force: true });
  });

  it('help and version exit 0 on stdout', async () => {
    const help = await runShare(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: share-file \[options\] <file> \[port\] \[hostname\] \[ip\]/);
    for (const flag of ['--port', '--peer-port', '--hostname', '--ip', '--ip6', '--torrent', '--firewall', '--port-map', '--json', '--version']) assert.ok(help.stdout.includes(flag), flag);
    const version = await runShare(['-V']);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^\d+\.\d+\.\d+$/);
  });
});
