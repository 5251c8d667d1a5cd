// Which pieces left this process whole: to one recipient, and to anybody (BitTorrent and HTTP).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CopyLedger } from '../../src/seeding/copies.ts';

const KiB = 1024;
// Three pieces of 32 KiB, the last one 16 KiB: 80 KiB in all.
const pieces = { pieceCount: 3, pieceLength: 32 * KiB, lengthOfPiece: (index: number) => (index === 2 ? 16 * KiB : 32 * KiB) };

describe('copy ledger', () => {
  it('knows a recipient sent every piece whole, and the first whole copy, once confirmed', () => {
    const ledger = new CopyLedger(pieces);
    const a = {};
    assert.deepEqual(ledger.sent(a, 0, 16 * KiB), { all: false, copy: false });
    assert.deepEqual(ledger.sent(a, 0, 16 * KiB), { all: false, copy: false });
    assert.deepEqual(ledger.sent(a, 2, 16 * KiB), { all: false, copy: false });
    assert.equal(ledger.confirm(), false, 'piece 1 has not left');
    assert.deepEqual(ledger.sent(a, 1, 32 * KiB), { all: true, copy: true });
    assert.equal(ledger.confirmed, false);
    assert.equal(ledger.confirm(), true);
    assert.equal(ledger.confirm(), false, 'confirmed once');
    assert.deepEqual(ledger.sent(a, 1, 32 * KiB), { all: false, copy: false }, 'a piece sent again adds nothing');
  });

  it('counts a copy spread over recipients, but no recipient as served whole', () => {
    const ledger = new CopyLedger(pieces);
    const [a, b] = [{}, {}];
    ledger.sent(a, 0, 32 * KiB);
    ledger.sent(b, 1, 32 * KiB);
    assert.deepEqual(ledger.sent(b, 2, 16 * KiB), { all: false, copy: true });
  });

  it('counts a piece as out once its bytes went out in all, in halves to two recipients', () => {
    const ledger = new CopyLedger(pieces);
    const [a, b] = [{}, {}];
    ledger.sent(a, 0, 32 * KiB);
    ledger.sent(a, 2, 16 * KiB);
    assert.deepEqual(ledger.sent(a, 1, 16 * KiB), { all: false, copy: false });
    assert.deepEqual(ledger.sent(b, 1, 16 * KiB), { all: false, copy: true });
  });

  it('never counts pieces out of range, or empty blocks', () => {
    const ledger = new CopyLedger(pieces);
    const a = {};
    for (const index of [-1, 3, 1.5, Number.NaN]) assert.deepEqual(ledger.sent(a, index, 32 * KiB), { all: false, copy: false });
    assert.deepEqual(ledger.sent(a, 0, 0), { all: false, copy: false });
  });

  it('adds HTTP bytes by their place in the content, across piece boundaries, to the copy', () => {
    const ledger = new CopyLedger(pieces);
    assert.equal(ledger.servedOverHttp(0, 40 * KiB), false);
    ledger.sent({}, 1, 32 * KiB);
    assert.equal(ledger.servedOverHttp(40 * KiB, 40 * KiB), true);
    assert.equal(ledger.confirm(), true);
  });
});
