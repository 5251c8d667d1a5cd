// Recipients counted once however they are seen, and the progress event's sums and rates.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_REMEMBERED_NAMES, ProgressMeter, RecipientTally } from '../../src/output/tally.ts';

describe('recipient tally', () => {
  it('counts a libtorrent-like recipient once: one peer id on the wire, another in its announce', () => {
    const tally = new RecipientTally();
    tally.seen({ peerId: 'wire-id', ip: '::ffff:10.0.0.2', listenPort: 6881 });
    assert.equal(tally.completedBy({ peerId: 'wire-id', ip: '::ffff:10.0.0.2', listenPort: 6881 }), true);
    assert.equal(tally.completedBy({ peerId: 'announce-id', ip: '10.0.0.2', listenPort: 6881 }), false);
    assert.equal(tally.completed, 1);
  });

  it('matches the other way round too: announce first, then the wire', () => {
    const tally = new RecipientTally();
    tally.seen({ peerId: 'announce-id', ip: '10.0.0.2', listenPort: 6881 });
    assert.equal(tally.completedBy({ peerId: 'announce-id', ip: '10.0.0.2', listenPort: 6881 }), true);
    assert.equal(tally.completedBy({ peerId: 'wire-id', ip: '10.0.0.2', listenPort: 6881 }), false);
  });

  it('counts two recipients behind one NAT address, listening on different ports, as two', () => {
    const tally = new RecipientTally();
    assert.equal(tally.completedBy({ peerId: 'a', ip: '203.0.113.9', listenPort: 6881 }), true);
    assert.equal(tally.completedBy({ peerId: 'b', ip: '203.0.113.9', listenPort: 6882 }), true);
    assert.equal(tally.completed, 2);
  });

  it('counts the same peer id once, with or without a known listening port', () => {
    const tally = new RecipientTally();
    assert.equal(tally.completedBy({ peerId: 'a', ip: '10.0.0.2', listenPort: undefined }), true);
    assert.equal(tally.completedBy({ peerId: 'a', ip: '10.0.0.2', listenPort: 6881 }), false);
    assert.equal(tally.completedBy({ peerId: 'a', ip: '10.0.0.2', listenPort: undefined }), false);
  });

  it('links names seen apart: a wire id and an announce id joined later by one address', () => {
    const tally = new RecipientTally();
    assert.equal(tally.completedBy({ peerId: 'wire-id', ip: '10.0.0.2', listenPort: undefined }), true);
    tally.seen({ peerId: 'wire-id', ip: '10.0.0.2', listenPort: 7000 });
    assert.equal(tally.completedBy({ peerId: 'announce-id', ip: '10.0.0.2', listenPort: 7000 }), false);
  });

  it('ignores listening ports that are not ports', () => {
    const tally = new RecipientTally();
    assert.equal(tally.completedBy({ peerId: 'a', ip: '10.0.0.2', listenPort: 0 }), true);
    assert.equal(tally.completedBy({ peerId: 'b', ip: '10.0.0.2', listenPort: 0 }), true);
    assert.equal(tally.completedBy({ peerId: 'c', ip: '10.0.0.2', listenPort: 70000 }), true);
  });

  it('counts every whole HTTP download as a new recipient', () => {
    const tally = new RecipientTally();
    assert.equal(tally.completedOverHttp(), 'http#1');
    assert.equal(tally.completedOverHttp(), 'http#2');
    assert.equal(tally.completed, 2);
  });

  it('remembers a bounded number of names, and keeps the completed ones longest', () => {
    const tally = new RecipientTally();
    assert.equal(tally.completedBy({ peerId: 'done', ip: '10.0.0.2', listenPort: 6881 }), true);
    for (let index = 0; index < MAX_REMEMBERED_NAMES * 2; index++) tally.seen({ peerId: `flood-${index}`, ip: '10.0.0.3', listenPort: 1 + (index % 60000) });
    assert.equal(tally.completedBy({ peerId: 'done', ip: '10.0.0.2', listenPort: 6881 }), false);
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
