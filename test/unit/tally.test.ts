// Recipients counted once however they are seen, and the progress event's sums and rates.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_REMEMBERED_NAMES, ProgressMeter, RecipientTally, type Completion } from '../../src/output/tally.ts';

/** A tally that records what it reports, and whether each call counted a new recipient. */
function tallyOf(): { tally: RecipientTally; completions: Completion[]; counts: (act: () => void) => boolean } {
  const completions: Completion[] = [];
  const tally = new RecipientTally((completion) => completions.push(completion));
  const counts = (act: () => void): boolean => {
    const before = completions.length;
    act();
    return completions.length > before;
  };
  return { tally, completions, counts };
}

describe('recipient tally', () => {
  it('counts a libtorrent-like recipient once: one peer id on the wire, another in its announce', () => {
    const { tally, counts } = tallyOf();
    tally.seen({ peerId: 'wire-id', ip: '::ffff:10.0.0.2', listenPort: 6881 }, 'wire');
    assert.equal(counts(() => tally.received({ peerId: 'wire-id', ip: '::ffff:10.0.0.2', listenPort: 6881 }, '10.0.0.2:50000')), true);
    tally.wholeCopyOut();
    assert.equal(counts(() => tally.claimed({ peerId: 'announce-id', ip: '10.0.0.2', listenPort: 6881 }, '10.0.0.2:6881', 'tracker')), false);
    assert.equal(tally.completed, 1);
  });

  it('matches the other way round too: announce first, then the wire', () => {
    const { tally, counts } = tallyOf();
    tally.seen({ peerId: 'announce-id', ip: '10.0.0.2', listenPort: 6881 });
    assert.equal(counts(() => tally.received({ peerId: 'announce-id', ip: '10.0.0.2', listenPort: 6881 }, '10.0.0.2:6881')), true);
    assert.equal(counts(() => tally.received({ peerId: 'wire-id', ip: '10.0.0.2', listenPort: 6881 }, '10.0.0.2:6881')), false);
  });

  it('counts two recipients behind one NAT address, listening on different ports, as two', () => {
    const { tally, counts } = tallyOf();
    assert.equal(counts(() => tally.received({ peerId: 'a', ip: '203.0.113.9', listenPort: 6881 }, 'a')), true);
    assert.equal(counts(() => tally.received({ peerId: 'b', ip: '203.0.113.9', listenPort: 6882 }, 'b')), true);
    assert.equal(tally.completed, 2);
  });

  it('counts the same peer id once, with or without a known listening port', () => {
    const { tally, counts } = tallyOf();
    assert.equal(counts(() => tally.received({ peerId: 'a', ip: '10.0.0.2', listenPort: undefined }, 'a')), true);
    assert.equal(counts(() => tally.received({ peerId: 'a', ip: '10.0.0.2', listenPort: 6881 }, 'a')), false);
    assert.equal(counts(() => tally.received({ peerId: 'a', ip: '10.0.0.2', listenPort: undefined }, 'a')), false);
  });

  it('links names seen apart: a wire id and an announce id joined later by one address', () => {
    const { tally, counts } = tallyOf();
    tally.wholeCopyOut();
    assert.equal(counts(() => tally.received({ peerId: 'wire-id', ip: '10.0.0.2', listenPort: undefined }, 'w')), true);
    tally.seen({ peerId: 'wire-id', ip: '10.0.0.2', listenPort: 7000 }, 'wire');
    assert.equal(counts(() => tally.claimed({ peerId: 'announce-id', ip: '10.0.0.2', listenPort: 7000 }, 'x', 'tracker')), false);
  });

  it('ignores listening ports that are not ports', () => {
    const { tally, counts } = tallyOf();
    assert.equal(counts(() => tally.received({ peerId: 'a', ip: '10.0.0.2', listenPort: 0 }, 'a')), true);
    assert.equal(counts(() => tally.received({ peerId: 'b', ip: '10.0.0.2', listenPort: 0 }, 'b')), true);
    assert.equal(counts(() => tally.received({ peerId: 'c', ip: '10.0.0.2', listenPort: 70000 }, 'c')), true);
  });

  it('counts every whole HTTP download as a new recipient', () => {
    const { tally, completions } = tallyOf();
    tally.completedOverHttp('10.0.0.2:40000');
    tally.completedOverHttp('10.0.0.2:40000');
    assert.deepEqual(completions.map((completion) => [completion.peerId, completion.via]), [['http#1', 'http'], ['http#2', 'http']]);
    assert.equal(tally.completed, 2);
  });

  it('drops claims made before a whole copy has left, and believes a tracker claim only from a recipient seen on the wire', () => {
    const { tally, completions, counts } = tallyOf();
    const liar = { peerId: 'liar', ip: '10.0.0.3', listenPort: 6881 };
    const stranger = { peerId: 'stranger', ip: '10.0.0.4', listenPort: 6881 };
    const fellow = { peerId: 'fellow-wire', ip: '10.0.0.5', listenPort: 6881 };
    tally.seen(liar, 'wire');
    assert.equal(counts(() => tally.claimed(liar, '10.0.0.3:50000', 'wire')), false, '`have all` with nothing sent');
    assert.equal(counts(() => tally.claimed(stranger, '10.0.0.4:6881', 'tracker')), false, '`completed` announce with nothing sent');
    tally.seen(fellow, 'wire');
    tally.wholeCopyOut();
    assert.deepEqual(completions, [], 'the early claims stay dropped');
    // After the copy: a recipient on the wire that got its pieces from its fellows.
    assert.equal(counts(() => tally.claimed({ ...fellow, peerId: 'fellow-announce' }, '10.0.0.5:6881', 'tracker')), true);
    assert.equal(counts(() => tally.claimed(stranger, '10.0.0.4:6881', 'tracker')), false, 'never seen on the wire');
    assert.equal(counts(() => tally.seen(stranger, 'wire')), true, 'it connects: its claim is believed');
  });

  it('remembers a bounded number of names, and keeps the completed ones longest', () => {
    const { tally, counts } = tallyOf();
    assert.equal(counts(() => tally.received({ peerId: 'done', ip: '10.0.0.2', listenPort: 6881 }, 'd')), true);
    for (let index = 0; index < MAX_REMEMBERED_NAMES * 2; index++) tally.seen({ peerId: `flood-${index}`, ip: '10.0.0.3', listenPort: 1 + (index % 60000) });
    assert.equal(counts(() => tally.received({ peerId: 'done', ip: '10.0.0.2', listenPort: 6881 }, 'd')), false);
  });
});

describe('progress meter', () => {
  const stats = (uploaded: number, peers = 1) => ({ uploaded, uploadRate: 1000, peers: Array.from({ length: peers }, () => ({ peer: '10.0.0.2:1', peerId: 'a', uploaded, uploadRate: 1000, percent: 50 })) });

  it('adds the HTTP bytes and their rate to the seeder\'s', () => {
    let now = 0;
    const meter = new ProgressMeter(1000, () => now);
    now = 2000;
    const event = meter.next(stats(300), 200, 1)!;
    assert.equal(event.uploaded, 500);
    assert.equal(event.webUploaded, 200);
    assert.equal(event.uploadRate, 1000 + 100);
    assert.equal(event.ratio, 0.5);
    assert.equal(event.completedPeers, 1);
  });

  it('stays quiet when nothing is connected and nothing moved, unless asked', () => {
    let now = 0;
    const meter = new ProgressMeter(1000, () => now);
    now = 1000;
    assert.ok(meter.next(stats(100, 0), 0, 0));
    now = 2000;
    assert.equal(meter.next(stats(100, 0), 0, 0), undefined);
    assert.ok(meter.next(stats(100, 0), 0, 0, true));
  });
});
