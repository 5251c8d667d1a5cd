// A recipient's window is refilled when it announces a piece, or as soon as the piece's last block
// has gone out to it, whichever comes first (some clients announce a second later).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PeerPieces } from '../../src/seeding/connection/peer-pieces.ts';
import type { PeerConnection, WireHooks } from '../../src/seeding/connection/wire.ts';
import { RevealPlan } from '../../src/seeding/reveal.ts';
import { tellPieces } from '../../src/seeding/tell-pieces.ts';

const MiB = 1024 * 1024;
const PIECES = 20;

function recipient(): { connection: PeerConnection; told: number[]; hooks: WireHooks } {
  const told: number[] = [];
  const connection = { pieces: new PeerPieces(PIECES), tellHave: (index: number) => told.push(index) } as unknown as PeerConnection;
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
});
