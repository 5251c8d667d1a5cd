// Unit tests: a deadline past setTimeout's 2^31-1 ms waits instead of firing at once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterDelay } from '../../src/deadline.ts';

describe('afterDelay', () => {
  it('fires after a short delay', async () => {
    let fired = false;
    afterDelay(20, () => (fired = true));
    await sleep(200);
    assert.equal(fired, true);
  });

  for (const [label, delayMs] of [['25 days', 25 * 86_400_000], ['2^31 ms', 2 ** 31], ['a year', 31_557_600_000]] as const) {
    it(`does not fire at once for ${label} (setTimeout alone would, after 1 ms)`, async () => {
      let fired = false;
      const deadline = afterDelay(delayMs, () => (fired = true));
      await sleep(200);
      deadline.cancel();
      assert.equal(fired, false);
    });
  }

  it('does not fire once cancelled', async () => {
    let fired = false;
    afterDelay(20, () => (fired = true)).cancel();
    await sleep(200);
    assert.equal(fired, false);
  });
});
