// Unit tests: the reveal plan tells each piece to one recipient first, keeps every window full, and
// tells everything once no piece is left untold.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REVEAL_WINDOW_SECONDS, RevealPlan } from '../../src/seeding/reveal.ts';

const nothing = (): boolean => false;

const MiB = 1024 * 1024;

function plan(pieceCount: number): { plan: RevealPlan } {
  // Pieces of 1 MiB, a window of 4 MiB: four pieces told at a time.
  return { plan: new RevealPlan({ pieceCount, pieceLength: MiB, windowBytes: 4 * MiB }) };
}

describe('RevealPlan', () => {
  it('widens a fast lone recipient\'s window to what it fetches in a few seconds, and only while it is alone', () => {
    const p = new RevealPlan({ pieceCount: 100, pieceLength: MiB, windowBytes: 4 * MiB, rateOf: (recipient) => (recipient === 'fast' ? 3 * MiB : 0) });
    const first = p.join('fast', nothing) as number[];
    assert.equal(first.length, 3 * REVEAL_WINDOW_SECONDS);
    assert.ok(p.inWindow('fast', first.at(-1)!));
    // A fellow arrives: both windows are 4 pieces again (what was told stays told).
    assert.equal((p.join('slow', nothing) as number[]).length, 4);
    assert.deepEqual(p.got('fast', first[0]!, nothing), []);
    assert.ok(!p.inWindow('slow', first[0]!));
  });

  it('tells each recipient a window of its own pieces, none told twice', () => {
    const { plan: p } = plan(20);
    assert.deepEqual(p.join('a', nothing), [0, 1, 2, 3]);
    assert.deepEqual(p.join('b', nothing), [4, 5, 6, 7]);
  });

  it('tells one more piece for each piece the recipient fetched', () => {
    const { plan: p } = plan(20);
    p.join('a', nothing);
    p.join('b', nothing);
    assert.deepEqual(p.got('a', 2, nothing), [8]);
    assert.deepEqual(p.got('a', 9, nothing), [], 'a piece it got from a fellow recipient leaves its window as it was');
  });

  it('skips pieces the recipient holds already, and leaves them for the others', () => {
    const { plan: p } = plan(20);
    const holdsFirstTwo = (index: number): boolean => index < 2;
    assert.deepEqual(p.join('a', holdsFirstTwo), [2, 3, 4, 5]);
    assert.deepEqual(p.join('b', nothing), [0, 1, 6, 7]);
  });

  it('drops from the window what a bitfield says the recipient holds', () => {
    const { plan: p } = plan(20);
    p.join('a', nothing);
    assert.deepEqual(p.got('a', undefined, (index) => index === 0 || index === 3), [4, 5]);
  });

  it('gives the pieces of a recipient that left to the next one asking', () => {
    const { plan: p } = plan(20);
    p.join('a', nothing);
    p.leave('a');
    assert.deepEqual(p.join('b', nothing), [0, 1, 2, 3]);
  });

  it('tells a recipient everything once every piece was told and its window is empty, and only once', () => {
    const { plan: p } = plan(6);
    p.join('a', nothing);
    p.join('b', nothing);
    assert.equal(p.exhausted, true, 'six pieces: four to a, two to b');
    assert.deepEqual(p.got('a', 0, (index) => index === 0), [], 'a still fetches three of its own');
    const aHolds = (index: number): boolean => index < 4;
    for (const index of [1, 2]) p.got('a', index, aHolds);
    assert.equal(p.got('a', 3, aHolds), 'all', 'its window is empty: the uplink would idle for it');
    assert.deepEqual(p.topUp('a', aHolds), [], 'told once');
    assert.deepEqual(p.topUp('b', nothing), [], 'b still has its two');
  });

  it('tells a recipient that wants none of its window everything, and gives its window to the others', () => {
    const { plan: p } = plan(20);
    assert.deepEqual(p.join('selective', nothing), [0, 1, 2, 3]);
    assert.deepEqual(p.join('b', nothing), [4, 5, 6, 7]);
    assert.equal(p.tellAll('selective'), 'all');
    assert.equal(p.toldAll('selective'), true);
    assert.deepEqual(p.tellAll('selective'), [], 'told once');
    assert.ok(!p.inWindow('selective', 0));
    assert.deepEqual(p.join('c', nothing), [0, 1, 2, 3], 'its pieces go to the next recipient first, in order');
  });
});
