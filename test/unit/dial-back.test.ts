// Whom the seeder dials: recipients that announced and did not connect, once, bounded, with backoff.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DIAL_GRACE_MS, DialBackPlan, MAX_DIALS_IN_FLIGHT, MAX_TARGETS, type Announced, type DialTarget } from '../../src/seeding/dial-back.ts';

const OWN = 'aa'.repeat(20);
const nobody = (): boolean => false;

function plan(options: { requireEncryption?: boolean; allows?: (ip: string) => boolean } = {}): DialBackPlan {
  return new DialBackPlan({ ownPeerId: OWN, allows: options.allows ?? (() => true), requireEncryption: options.requireEncryption ?? false });
}

function announce(ip: string, port: number, extra: Partial<Announced> = {}): Announced {
  return { peerId: `${ip}:${port}`, ip, port, event: 'started', left: 1000, ...extra };
}

const keys = (targets: DialTarget[]): string[] => targets.map((target) => `${target.ip}:${target.port}/${target.handshake}`);

describe('dialing back recipients', () => {
  it('dials a recipient that announced and did not connect, once the grace period is over, plainly', () => {
    const dials = plan();
    dials.announced(announce('10.0.0.2', 51413), 0);
    assert.deepEqual(dials.due(DIAL_GRACE_MS - 1, nobody), []);
    assert.deepEqual(keys(dials.due(DIAL_GRACE_MS, nobody)), ['10.0.0.2:51413/plain']);
    // Not twice for one announce, and not while the first is under way.
    assert.deepEqual(dials.due(DIAL_GRACE_MS * 10, nobody), []);
  });

  it('leaves alone a recipient that connected on its own, until its next announce', () => {
    const dials = plan();
    dials.announced(announce('10.0.0.2', 6881), 0);
    assert.deepEqual(dials.due(DIAL_GRACE_MS, () => true), []);
    assert.deepEqual(dials.due(DIAL_GRACE_MS * 10, nobody), []);
    dials.announced(announce('10.0.0.2', 6881, { event: 'update' }), 60_000);
    assert.deepEqual(keys(dials.due(60_000 + DIAL_GRACE_MS, nobody)), ['10.0.0.2:6881/plain']);
  });

  it('never dials itself, a recipient that is done or gone, a bad port, or a source --allow leaves out', () => {
    const dials = plan({ allows: (ip) => ip !== '10.0.0.9' });
    dials.announced(announce('10.0.0.2', 1, { peerId: OWN }), 0);
    dials.announced(announce('10.0.0.3', 2, { left: 0 }), 0);
    dials.announced(announce('10.0.0.4', 3, { event: 'completed', left: 0 }), 0);
    dials.announced(announce('10.0.0.5', 0), 0);
    dials.announced(announce('10.0.0.6', 70000), 0);
    dials.announced(announce('10.0.0.9', 4), 0);
    dials.announced(announce('10.0.0.7', 5), 0);
    dials.announced(announce('10.0.0.7', 5, { event: 'stopped' }), 1);
    assert.deepEqual(dials.due(DIAL_GRACE_MS * 2, nobody), []);
  });

  it('dials again at once with MSE when a plain handshake was refused, then backs off, doubling', () => {
    const dials = plan();
    dials.announced(announce('10.0.0.2', 51413), 0);
    const [first] = dials.due(DIAL_GRACE_MS, nobody);
    dials.finished(first!, 'refused', DIAL_GRACE_MS);
    const [second] = dials.due(DIAL_GRACE_MS, nobody);
    assert.equal(second?.handshake, 'mse');
    dials.finished(second!, 'refused', 3000);
    // Announces within the backoff do not bring the next dial forward.
    dials.announced(announce('10.0.0.2', 51413, { event: 'update' }), 10_000);
    assert.deepEqual(dials.due(62_999, nobody), []);
    const [third] = dials.due(63_000, nobody);
    assert.equal(third?.handshake, 'mse');
    dials.finished(third!, 'unreachable', 63_000);
    dials.announced(announce('10.0.0.2', 51413, { event: 'update' }), 70_000);
    assert.deepEqual(dials.due(63_000 + 119_999, nobody), []);
    assert.equal(dials.due(63_000 + 120_000, nobody).length, 1);
  });

  it('dials with MSE from the start when encryption is required, and a served recipient starts afresh', () => {
    const dials = plan({ requireEncryption: true });
    dials.announced(announce('fd00::2', 51413), 0);
    const [target] = dials.due(DIAL_GRACE_MS, nobody);
    assert.deepEqual(keys([target!]), ['fd00::2:51413/mse']);
    dials.finished(target!, 'handshaken', 5000);
    dials.announced(announce('fd00::2', 51413, { event: 'update' }), 60_000);
    assert.equal(dials.due(60_000 + DIAL_GRACE_MS, nobody).length, 1);
  });

  it('keeps at most a few dials under way, and remembers a bounded number of recipients', () => {
    const dials = plan();
    for (let index = 0; index < MAX_TARGETS + 100; index++) dials.announced(announce(`10.1.${index >> 8}.${index & 255}`, 6881), index);
    assert.equal(dials.size, MAX_TARGETS);
    const now = MAX_TARGETS + 100 + DIAL_GRACE_MS;
    const first = dials.due(now, nobody);
    assert.equal(first.length, MAX_DIALS_IN_FLIGHT);
    // The oldest were forgotten: the first dialed is the 101st to announce.
    assert.equal(first[0]?.ip, '10.1.0.100');
    assert.equal(dials.due(now, nobody).length, 0);
    dials.finished(first[0]!, 'handshaken', now);
    assert.equal(dials.due(now, nobody).length, 1);
  });
});
