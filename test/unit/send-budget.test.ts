// The send budget's rules, on holders whose numbers the test sets: how much a connection may hold
// for its rate, which stalled connections are closed, and who gives way when others wait.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GIVE_WAY_SECONDS, holdAllowance, PEER_MAX_HOLD_BYTES, PEER_MIN_HOLD_BYTES, SendBudget, slowestHolder, stalledHolders, STALL_WINDOW_SECONDS, type Holder } from '../../src/seeding/send-budget.ts';
import { RequestQueue } from '../../src/seeding/connection/request-queue.ts';
import { RateMeter } from '../../src/seeding/connection/rate.ts';
import { MetadataPieces, readMetadataMessage } from '../../src/seeding/connection/metadata.ts';
import bencode from 'bencode';

const NOW = 1_000_000_000;
const KiB = 1024;

/** A holder owed data since `owingFor` ms ago (or not owed), that took `perSecond` bytes each second. */
function holder(held: number, perSecond: number, owingFor?: number): Holder & { closed: boolean } {
  return {
    held,
    owingSince: owingFor === undefined ? undefined : NOW - owingFor,
    drained: (seconds) => perSecond * seconds,
    closed: false,
    giveWay() {
      this.closed = true;
    },
  };
}

describe('the send budget', () => {
  it('lets a connection hold a few seconds of its rate, within a floor and a ceiling', () => {
    assert.equal(holdAllowance(0), PEER_MIN_HOLD_BYTES);
    assert.equal(holdAllowance(1024 * KiB), 4 * 1024 * KiB);
    assert.equal(holdAllowance(1e9), PEER_MAX_HOLD_BYTES);
  });

  it('closes a connection owed data for the whole window that took almost none while another took plenty', () => {
    const stalled = holder(1024 * KiB, 100, STALL_WINDOW_SECONDS * 1000 + 1);
    const reading = holder(4096 * KiB, 1024 * KiB, STALL_WINDOW_SECONDS * 1000 + 1);
    const justStarted = holder(1024 * KiB, 0, 2000);
    assert.deepEqual(stalledHolders([stalled, reading, justStarted], NOW), [stalled]);
  });

  it('closes a lone connection that took almost nothing, and connections that all took nothing', () => {
    const window = STALL_WINDOW_SECONDS * 1000 + 1;
    const lone = holder(256 * KiB, 0, window);
    assert.deepEqual(stalledHolders([lone], NOW), [lone]);
    const all = [holder(256 * KiB, 0, window), holder(256 * KiB, 0, window)];
    assert.deepEqual(stalledHolders(all, NOW), all);
  });

  it('keeps recipients that are all slow alike (an uplink they share), and those owed nothing', () => {
    const window = STALL_WINDOW_SECONDS * 1000 + 1;
    const sharing = Array.from({ length: 50 }, () => holder(256 * KiB, 2 * KiB, window));
    const idle = holder(0, 0);
    assert.deepEqual(stalledHolders([...sharing, idle], NOW), []);
  });

  it('picks the holder with the most seconds of its own rate unsent, past GIVE_WAY_SECONDS', () => {
    const fast = holder(4096 * KiB, 2048 * KiB);
    const slow = holder(1024 * KiB, 16 * KiB);
    const slower = holder(4096 * KiB, 16 * KiB);
    assert.equal(slowestHolder([fast, slow, slower], NOW), slower);
    // Within its few seconds, nobody gives way.
    assert.equal(slowestHolder([holder(GIVE_WAY_SECONDS * 100 * KiB, 100 * KiB), fast], NOW), undefined);
  });

  it('makes the slowest holders give way while the budget is spent and others wait', () => {
    const budget = new SendBudget(1024 * KiB);
    const slow = holder(1024 * KiB, 0);
    const fast = holder(512 * KiB, 1024 * KiB);
    budget.holders.add(slow);
    budget.holders.add(fast);
    const buffer = new ArrayBuffer(1024 * KiB);
    budget.ledger.pin(buffer);
    budget.sweep(NOW);
    assert.equal(slow.closed, false, 'nobody waits: nobody gives way');
    let resumed = false;
    budget.wait(() => (resumed = true));
    // Closing a connection hands its buffers back, and the waiting one resumes.
    slow.giveWay = function () {
      this.closed = true;
      budget.holders.delete(this);
      budget.ledger.unpin(buffer);
      budget.freed();
    };
    budget.sweep(NOW);
    assert.equal(slow.closed, true);
    assert.equal(fast.closed, false);
    assert.equal(resumed, true);
  });
});

describe("a peer's request queue", () => {
  it('keeps at most about twice its live requests listed while a peer requests and cancels without reading', () => {
    const tally = { queuedRequests: 0 };
    const queue = new RequestQueue(tally);
    for (let at = 0; at < 640; at++) queue.add(0, at * 16 * KiB, 16 * KiB);
    for (let round = 0; round < 100_000; round++) {
      queue.add(1, (round % 1024) * 16 * KiB, 16 * KiB);
      queue.cancel(1, (round % 1024) * 16 * KiB, 16 * KiB);
    }
    assert.equal(queue.size, 640);
    assert.equal(tally.queuedRequests, 640);
    assert.ok(queue.listed <= 2 * 640 + 65, `${queue.listed} entries listed`);
    // The live ones are still answered in order.
    assert.deepEqual(queue.shift(), { index: 0, offset: 0, length: 16 * KiB, cancelled: false, taken: true });
    queue.clear();
    assert.equal(tally.queuedRequests, 0);
  });

  it('does not count a cancel of a request being answered twice', () => {
    const tally = { queuedRequests: 0 };
    const queue = new RequestQueue(tally);
    queue.add(0, 0, 16 * KiB);
    const taken = queue.shift()!;
    queue.cancel(0, 0, 16 * KiB);
    queue.done(taken);
    assert.equal(taken.cancelled, true);
    assert.equal(tally.queuedRequests, 0);
    assert.equal(queue.size, 0);
  });
});

describe('a rate meter', () => {
  it('sums the bytes of the last seconds it remembers', () => {
    const meter = new RateMeter(20);
    meter.add(1000, NOW);
    meter.add(500, NOW + 5_000);
    assert.equal(meter.total(20, NOW + 5_000), 1500);
    assert.equal(meter.total(5, NOW + 5_000), 500);
    assert.equal(meter.total(20, NOW + 21_000), 500);
    assert.equal(meter.total(20, NOW + 26_000), 0);
  });
});

describe('metadata answers', () => {
  it('builds each piece once and shares it; a piece out of range is a reject', () => {
    const info = Buffer.alloc(40 * KiB, 7);
    const pieces = new MetadataPieces(info);
    assert.equal(pieces.count, 3);
    assert.equal(pieces.answer(2), pieces.answer(2), 'built once');
    const ask = (piece: number): Buffer => Buffer.from(bencode.encode({ msg_type: 0, piece }));
    assert.deepEqual(readMetadataMessage(ask(1), pieces), { piece: 1 });
    const reject = readMetadataMessage(ask(3), pieces);
    assert.ok(reject && 'reject' in reject);
    assert.equal(readMetadataMessage(Buffer.from(bencode.encode({ msg_type: 1, piece: 0 })), pieces), undefined);
  });
});
