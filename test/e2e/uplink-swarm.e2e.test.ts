// Four aria2c recipients, each in its own network namespace, behind the sharer's capped uplink:
// all get the bytes, and the sharer sends well under two copies over the link.
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { aria2cArgs, BIN, randomFile, runCommand, startShare, stopShare, tempDir } from '../support/helpers.ts';
import { createUplinkHosts, type UplinkHosts } from '../support/uplink-hosts.ts';

const SIZE = 64 * 1024 * 1024;
const RECIPIENTS = 4;

describe('a swarm behind a capped uplink', { timeout: 180_000 }, () => {
  let hosts: UplinkHosts;
  before(async () => {
    hosts = await createUplinkHosts({ recipients: RECIPIENTS, rateMbit: 200 });
  });
  after(async () => {
    await hosts?.teardown();
  });

  it('four recipients in their own namespaces finish byte-identical, and the sharer sends less than two copies', async (t) => {
    const dir = await tempDir();
    const file = await randomFile(dir, 'uplink.bin', SIZE);
    const { ip, namespace } = hosts.sharer;
    const share = startShare([file, '--ip', ip, '-H', ip, '--firewall', 'none', '--exit-after', String(RECIPIENTS)], { cwd: dir, command: hosts.inside(namespace, [process.execPath, BIN]) });
    const ready = await share.waitForEvent('ready');
    const sentBefore = await hosts.sharerTxBytes();
    const targets = await Promise.all(hosts.recipients.map(() => tempDir()));
    const results = await Promise.all(
      hosts.recipients.map((host, index) => {
        const [command, ...args] = hosts.inside(host.namespace, ['aria2c', ...aria2cArgs(targets[index]!, String(ready.torrentUrl))]);
        return runCommand(command!, args);
      }),
    );
    for (const result of results) assert.equal(result.code, 0, result.stderr);
    const original = await readFile(file);
    for (const target of targets) assert.ok((await readFile(path.join(target, 'uplink.bin'))).equals(original), `${target} differs from the shared file`);

    const { code } = await share.exited;
    assert.equal(code, 0, share.stderr());
    assert.equal(share.events.filter((event) => event.event === 'completed').length, RECIPIENTS);
    const copies = ((await hosts.sharerTxBytes()) - sentBefore) / SIZE;
    t.diagnostic(`the sharer's interface sent ${copies.toFixed(2)} times the file`);
    assert.ok(copies >= 1, `sent ${copies.toFixed(2)} times the file: less than one copy cannot be`);
    assert.ok(copies < 2, `sent ${copies.toFixed(2)} times the file`);
    await stopShare(share);
    for (const target of [dir, ...targets]) await rm(target, { recursive: true, force: true });
  });
});
