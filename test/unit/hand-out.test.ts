// Unit tests: the hand-out policy sends each piece once while other recipients can pass it on.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HandOutPolicy, MAX_REFUSAL_MS } from '../../src/seeding/hand-out.ts';

function policy(holders: number[]): { policy: HandOutPolicy; clock: { now: number } } {
  const clock = { now: 0 };
  return { clock, policy: new HandOutPolicy({ pieceCount: 3, pieceLength: 100, length: 250, holders: (index) => holders[index] ?? 0, now: () => clock.now }) };
}

describe('HandOutPolicy', () => {
  it('sends a piece that was never sent whole, even when others hold it', () => {
    const { policy: p } = policy([2, 0, 0]);
    assert.ok(p.mayServe(0));
    p.sent(0, 60);
    assert.ok(p.mayServe(0), 'only 60 of 100 bytes sent so far');
  });

  it('sends a piece again when no other connected recipient holds it', () => {
    const { policy: p } = policy([0, 0, 0]);
    p.sent(0, 100);
    assert.ok(p.mayServe(0));
  });

  it('refuses a piece sent whole once that another recipient holds, for a bounded time', () => {
    const { policy: p, clock } = policy([1, 0, 1]);
    p.sent(0, 100);
    assert.equal(p.mayServe(0), false);
    clock.now = MAX_REFUSAL_MS - 1;
    assert.equal(p.mayServe(0), false);
    clock.now = MAX_REFUSAL_MS;
    assert.equal(p.mayServe(0), true, 'after the refusal, a window of sending');
    clock.now = 2 * MAX_REFUSAL_MS - 1;
    assert.equal(p.mayServe(0), true);
    clock.now = 2 * MAX_REFUSAL_MS;
    assert.equal(p.mayServe(0), false, 'and then refusing again');
  });

  it('knows the last piece is shorter', () => {
    const { policy: p } = policy([0, 0, 1]);
    p.sent(2, 50);
    assert.equal(p.mayServe(2), false, 'the last piece is 50 bytes: sent whole');
  });
});
