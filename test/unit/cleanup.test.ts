// Unit tests: the cleanup stack unwinds once, newest first, past failures and hangs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CleanupStack } from '../../src/cleanup.ts';

describe('CleanupStack', () => {
  it('undoes steps last-in first-out, once', async () => {
    const stack = new CleanupStack();
    const order: string[] = [];
    stack.defer('a', () => void order.push('a'));
    stack.defer('b', async () => void order.push('b'));
    stack.defer('c', () => void order.push('c'));
    assert.deepEqual(await stack.disposeAsync(), []);
    assert.deepEqual(await stack.disposeAsync(), []);
    assert.deepEqual(order, ['c', 'b', 'a']);
  });

  it('keeps going past a failing step and reports it with its manual fix', async () => {
    const stack = new CleanupStack();
    const order: string[] = [];
    stack.defer('first', () => void order.push('first'));
    stack.defer('rule', () => {
      throw new Error('iptables said no');
    }, { manualFix: 'iptables -D INPUT 1' });
    stack.defer('last', () => void order.push('last'));
    const failures = await stack.disposeAsync();
    assert.deepEqual(order, ['last', 'first']);
    assert.equal(failures.length, 1);
    assert.equal(failures[0]!.name, 'rule');
    assert.equal(failures[0]!.manualFix, 'iptables -D INPUT 1');
  });

  it('bounds each step in time', async () => {
    const stack = new CleanupStack({ stepTimeoutMs: 50 });
    let after = false;
    stack.defer('after', () => {
      after = true;
    });
    stack.defer('hang', () => new Promise(() => {}));
    const started = Date.now();
    const failures = await stack.disposeAsync();
    assert.ok(Date.now() - started < 1000);
    assert.equal(failures.length, 1);
    assert.match(String((failures[0]!.error as Error).message), /did not finish within 50 ms/);
    assert.ok(after);
  });

  it('undoes at once what is deferred after the unwinding', async () => {
    const stack = new CleanupStack();
    await stack.disposeAsync();
    let undone = false;
    stack.defer('late', () => {
      undone = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok(undone);
  });
});
