// One Node.js minimum: the one package.json's `engines` states is the one the bin shim checks.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';

const root = path.resolve(import.meta.dirname, '..', '..');

describe('the Node.js minimum', () => {
  it('is the same in engines and in the bin shim', async () => {
    const manifest = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { engines: { node: string } };
    const shim = await readFile(path.join(root, 'bin', 'share-file.js'), 'utf8');
    const engines = /^>=(\d+\.\d+\.\d+)$/.exec(manifest.engines.node)?.[1];
    const checked = /var MINIMUM = '(\d+\.\d+\.\d+)';/.exec(shim)?.[1];
    assert.ok(engines, `engines.node is ${manifest.engines.node}`);
    assert.equal(checked, engines);
  });
});
