// Unit tests: Range and Content-Disposition, as the HTTP download and the web seed use them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseRange, contentDisposition } from '../../src/http/web-seed.ts';

const ETAG = '"0123456789abcdef-0"';
const range = (value: string | undefined, extra: Record<string, string> = {}): ReturnType<typeof chooseRange> =>
  chooseRange({ headers: { ...(value === undefined ? {} : { range: value }), ...extra } }, 1000, ETAG);

describe('chooseRange', () => {
  it('reads one range in each form', () => {
    assert.deepEqual(range('bytes=0-99'), [0, 100]);
    assert.deepEqual(range('bytes=990-'), [990, 1000]);
    assert.deepEqual(range('bytes=-10'), [990, 1000]);
    assert.deepEqual(range('bytes=-5000'), [0, 1000]);
    assert.deepEqual(range('bytes=900-5000'), [900, 1000], 'an end past the file is the end of the file');
  });
  it('sends the whole file for no range, several ranges, nonsense, or an If-Range for another version', () => {
    for (const value of [undefined, 'bytes=0-1,5-6', 'lines=1-2', 'bytes=5-1', 'bytes=-', 'bytes=a-b']) assert.equal(range(value), undefined, String(value));
    assert.equal(range('bytes=0-9', { 'if-range': '"other"' }), undefined);
    assert.deepEqual(range('bytes=0-9', { 'if-range': ETAG }), [0, 10]);
  });
  it('calls ranges past the end unsatisfiable', () => {
    assert.equal(range('bytes=1000-'), 'unsatisfiable');
    assert.equal(range('bytes=-0'), 'unsatisfiable');
  });
});

describe('contentDisposition', () => {
  it('gives the exact UTF-8 name and an ASCII fallback', () => {
    assert.equal(contentDisposition('vm.img'), `attachment; filename="vm.img"; filename*=UTF-8''vm.img`);
    assert.equal(contentDisposition('ä "b" (1).img'), `attachment; filename="_ _b_ (1).img"; filename*=UTF-8''%C3%A4%20%22b%22%20%281%29.img`);
  });
});
