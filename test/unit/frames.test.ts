// Message framing and bencode as the seeder reads them from peers: whole messages across any
// chunking, and bounded answers to lengths and nesting no client sends.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bdecode, BdecodeError } from '../../src/seeding/connection/bdecode.ts';
import { ByteQueue, FrameError, nextMessage } from '../../src/seeding/connection/frames.ts';

describe('message framing', () => {
  it('cuts messages out of chunks split anywhere, keep-alives included', () => {
    const stream = Buffer.from([0, 0, 0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 5, 4, 0, 0, 0, 9]);
    for (let size = 1; size <= stream.length; size++) {
      const queue = new ByteQueue();
      const messages: string[] = [];
      for (let at = 0; at < stream.length; at += size) {
        queue.push(stream.subarray(at, at + size));
        for (let message = nextMessage(queue, 100); message; message = nextMessage(queue, 100)) messages.push(message.toString('hex'));
      }
      assert.deepEqual(messages, ['02', '', '0400000009'], `chunks of ${size}`);
      assert.equal(queue.length, 0);
    }
  });

  it('refuses a length prefix over the limit as soon as the prefix is in', () => {
    for (const prefix of [[0xff, 0xff, 0xff, 0xff], [0x80, 0, 0, 0], [0, 0, 0, 101]]) {
      const queue = new ByteQueue();
      queue.push(Buffer.from(prefix));
      assert.throws(() => nextMessage(queue, 100), FrameError);
    }
  });
});

describe('bencode from peers', () => {
  it('decodes dictionaries, lists, integers and strings, and says where the value ended', () => {
    const { value, end } = bdecode(Buffer.from('d1:md11:ut_metadatai3ee1:pi6881e1:vl1:ai-2eeeTRAILING'));
    assert.equal(end, 'd1:md11:ut_metadatai3ee1:pi6881e1:vl1:ai-2eee'.length);
    const dict = value as { m: { ut_metadata: number }; p: number; v: [Buffer, number] };
    assert.equal(dict.m.ut_metadata, 3);
    assert.equal(dict.p, 6881);
    assert.equal(dict.v[0].toString(), 'a');
    assert.equal(dict.v[1], -2);
  });

  it('throws on what would hang or overflow a trusting decoder', () => {
    for (const text of ['d1:al-3:ee', '5:abc', 'i12', 'i-0e', 'i01e', 'l'.repeat(10_000), 'd1:a', 'x', '', 'di1ei2ee', '99999999999:a']) {
      assert.throws(() => bdecode(Buffer.from(text)), BdecodeError, text.slice(0, 20));
    }
  });

  it('keeps a key named __proto__ as a plain key', () => {
    const { value } = bdecode(Buffer.from('d9:__proto__d1:xi1eee'));
    assert.equal(Object.getPrototypeOf(value), null);
    assert.equal(({} as Record<string, unknown>)['x'], undefined);
  });
});
