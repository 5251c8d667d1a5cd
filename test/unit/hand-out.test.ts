// Unit tests: the hand-out policy sends each piece to one recipient first, and copies only while the
// uplink has room or nobody else can pass the piece on.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HandOutPolicy, MAX_REFUSAL_MS, ROOM_BYTES, SENDING_WINDOW_MS, webSeedPolicy } from '../../src/seeding/hand-out.ts';

interface World {
  /** Which recipients hold each piece. */
  holders: Map<number, Set<string>>;
  /** Recipients still connected. */
  connected: Set<string>;
  queued: number;
  now: number;
}

function policy(world: Partial<World> = {}): { policy: HandOutPolicy; world: World } {
  const full: World = { holders: new Map(), connected: new Set(['a', 'b', 'c']), queued: 0, now: 0, ...world };
  const handOut = new HandOutPolicy({
    pieceCount: 3,
    pieceLength: 100,
    length: 250,
    holders: (index, requester) => [...(full.holders.get(index) ?? [])].filter((holder) => holder !== requester && full.connected.has(holder)).length,
    stillFetching: (index, recipient) => full.connected.has(recipient as string) && !full.holders.get(index)?.has(recipient as string),
    queuedBytes: () => full.queued,
    now: () => full.now,
  });
  return { policy: handOut, world: full };
}

describe('HandOutPolicy', () => {
  it('sends a piece nobody got yet, and the rest of it to the recipient it went to first', () => {
    const { policy: p, world } = policy({ queued: ROOM_BYTES * 10 });
    assert.ok(p.mayServe(0, 'a'));
    p.sent(0, 60);
    assert.ok(p.mayServe(0, 'a'), 'only 60 of 100 bytes sent so far');
    assert.equal(p.mayServe(0, 'b'), false, 'a copy for b while the uplink is busy and a is fetching it');
    world.holders.set(0, new Set(['a']));
    assert.equal(p.mayServe(0, 'c'), false, 'a holds it: c gets it from a');
    assert.equal(p.counts.first, 2);
    assert.equal(p.counts.refused, 2);
  });

  it('sends a copy when nobody else holds the piece and its first recipient left', () => {
    const { policy: p, world } = policy({ queued: ROOM_BYTES * 10 });
    p.mayServe(1, 'a');
    p.sent(1, 100);
    world.connected.delete('a');
    assert.ok(p.mayServe(1, 'b'));
    assert.equal(p.counts.onlySource, 1);
  });

  it('sends a copy of a piece still on its way to its first recipient whenever the uplink has room', () => {
    const { policy: p, world } = policy({ queued: ROOM_BYTES - 1 });
    p.mayServe(0, 'a');
    p.sent(0, 100);
    assert.ok(p.mayServe(0, 'b'), 'a is still fetching it, and the uplink would idle otherwise');
    assert.equal(p.counts.room, 1);
    world.queued = ROOM_BYTES;
    assert.equal(p.mayServe(0, 'b'), false, 'blocks wait for the sockets: the copy waits too');
  });

  it('refuses a copy another recipient holds even when the uplink has room', () => {
    const { policy: p, world } = policy({ queued: 0 });
    p.mayServe(0, 'a');
    p.sent(0, 100);
    world.holders.set(0, new Set(['a']));
    assert.equal(p.mayServe(0, 'b'), false, 'b gets it from a');
  });

  it('refuses a copy for MAX_REFUSAL_MS at most, then sends it for SENDING_WINDOW_MS', () => {
    const { policy: p, world } = policy({ queued: ROOM_BYTES * 10 });
    p.mayServe(0, 'a');
    p.sent(0, 100);
    world.holders.set(0, new Set(['a']));
    assert.equal(p.mayServe(0, 'b'), false);
    world.now = MAX_REFUSAL_MS - 1;
    assert.equal(p.mayServe(0, 'b'), false);
    world.now = MAX_REFUSAL_MS;
    assert.equal(p.mayServe(0, 'b'), true, 'after the refusal, a window of sending');
    world.now = MAX_REFUSAL_MS + SENDING_WINDOW_MS - 1;
    assert.equal(p.mayServe(0, 'b'), true);
    world.now = MAX_REFUSAL_MS + SENDING_WINDOW_MS;
    assert.equal(p.mayServe(0, 'b'), false, 'and then refusing again');
    assert.equal(p.counts.overdue, 2);
  });

  it('counts a second request of the first recipient after the whole piece as a copy; the last piece is shorter', () => {
    const { policy: p, world } = policy({ queued: ROOM_BYTES * 10 });
    p.mayServe(2, 'a');
    p.sent(2, 50);
    world.holders.set(2, new Set(['b']));
    assert.equal(p.mayServe(2, 'a'), false, 'the last piece is 50 bytes: sent whole, and b holds it');
  });
});

describe('webSeedPolicy', () => {
  it('serves over HTTP only while there is a single recipient, through the hand-out policy', () => {
    const { policy: p } = policy();
    let recipients = 1;
    const web = webSeedPolicy(p, () => recipients);
    assert.ok(web.mayServe(0));
    web.opened();
    recipients = 2;
    assert.equal(web.mayServe(1), false);
    web.closed();
  });
});
