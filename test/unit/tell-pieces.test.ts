// A recipient's window is refilled when it announces a piece, or as soon as the piece's last block
// has gone out to it, whichever comes first (some clients announce a second later).
import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { PeerPieces } from '../../src/seeding/connection/peer-pieces.ts';
import type { PeerConnection, WireHooks } from '../../src/seeding/connection/wire.ts';
import { RevealPlan } from '../../src/seeding/reveal.ts';
import { STALLED_MS, tellPieces } from '../../src/seeding/tell-pieces.ts';

const MiB = 1024 * 1024;
const PIECES = 20;

function recipient(): { connection: PeerConnection & { lastActive: number; busy: boolean }; told: number[]; hooks: WireHooks } {
  const told: number[] = [];
  const connection = { pieces: new PeerPieces(PIECES), tellHave: (index: number) => told.push(index), lastActive: Date.now(), busy: false } as unknown as PeerConnection & { lastActive: number; busy: boolean };
  const noop = (): void => {};
  const base: WireHooks = { onReady: noop, onClose: noop, onListenPort: noop, onBlockSent: noop, onComplete: noop };
  const plan = new RevealPlan({ pieceCount: PIECES, pieceLength: MiB, windowBytes: 4 * MiB });
  // The last piece is short: 20 MiB - 512 KiB in all.
  const hooks = tellPieces(plan, base, { pieceCount: PIECES, lengthOfPiece: (index) => (index === PIECES - 1 ? MiB / 2 : MiB) });
  return { connection, told, hooks };
}

describe('telling a recipient its pieces', () => {
  it('refills the window once a piece has gone out whole, before its `have`', () => {
    const { connection, told, hooks } = recipient();
    hooks.onReady(connection);
    assert.deepEqual(told, [0, 1, 2, 3]);
    hooks.onBlockSent(connection, 2, MiB / 2);
    assert.deepEqual(told, [0, 1, 2, 3], 'half a piece sent: the window stays');
    hooks.onBlockSent(connection, 2, MiB / 2);
    assert.deepEqual(told, [0, 1, 2, 3, 4]);
    // Its `have` later changes nothing, and neither do blocks of pieces outside the window.
    connection.pieces.add(2);
    hooks.onBlockSent(connection, 9, MiB);
    assert.deepEqual(told, [0, 1, 2, 3, 4]);
    connection.pieces.add(0);
    assert.deepEqual(told, [0, 1, 2, 3, 4, 5]);
    hooks.onClose(connection);
  });

  it('tells a recipient that asks for nothing for a while every piece it lacks, and one being served nothing more', () => {
    mock.timers.enable({ apis: ['setInterval', 'Date'] });
    try {
      const { connection, told, hooks } = recipient();
      hooks.onReady(connection);
      connection.pieces.add(19);
      assert.deepEqual(told, [0, 1, 2, 3]);
      // Being served (requests queued), then quiet but recently active: no change.
      connection.busy = true;
      mock.timers.tick(STALLED_MS * 2);
      assert.deepEqual(told, [0, 1, 2, 3]);
      connection.busy = false;
      connection.lastActive = Date.now();
      mock.timers.tick(STALLED_MS / 2);
      assert.deepEqual(told, [0, 1, 2, 3]);
      // Not interested in its window for STALLED_MS: every piece it lacks, once.
      mock.timers.tick(STALLED_MS);
      assert.deepEqual(told, [0, 1, 2, 3, ...Array.from({ length: 19 }, (_, index) => index)]);
      mock.timers.tick(STALLED_MS * 4);
      assert.equal(told.length, 4 + 19);
      hooks.onClose(connection);
    } finally {
      mock.timers.reset();
    }
  });
});
