// Tells one recipient's connection the pieces the reveal plan gives it, as it fetches them.
import type { Reveal, RevealPlan } from './reveal.ts';
import type { PeerConnection, WireHooks } from './connection/wire.ts';

/** How often a window is topped up without a `have`, and a stalled recipient looked for (see below). */
const TOP_UP_MS = 250;
/**
 * A recipient that asks for nothing this long (not interested, or interested and requesting
 * nothing) while it lacks pieces is told everything: its window holds pieces it does not want.
 * libtorrent with only some files of a folder wanted, or reading the end of a file first, stays
 * not interested in a window that starts at piece 0, and was never sent a byte.
 */
export const STALLED_MS = 1000;

/**
 * The connection's hooks, with the reveal plan told of it: its start, its pieces and its end. A piece
 * leaves the recipient's window when it announces it, or as soon as its last block has gone out to
 * it, whichever is first. Transmission 3.00 announces a piece 0.9-1.0 s after its last block went
 * out (measured between two namespaces), so a window refilled on `have` alone kept it idle most of
 * every second: 100 MiB took 27 s instead of 6.
 */
export function tellPieces(plan: RevealPlan, hooks: WireHooks, pieces: { pieceCount: number; lengthOfPiece(index: number): number; refuses?(index: number): boolean }): WireHooks {
  const { pieceCount } = pieces;
  // A piece that changed on disk is told to no one: asked for, it could only be refused.
  const tellHave = (connection: PeerConnection, index: number): void => {
    if (!pieces.refuses?.(index)) connection.tellHave(index);
  };
  let topUp: NodeJS.Timeout | undefined;
  /** Bytes sent of each piece in the window; pieces outside it are not counted. */
  const sent = new Map<number, number>();
  const holds = (connection: PeerConnection) => (index: number): boolean => connection.pieces.has(index);
  const tell = (connection: PeerConnection, reveal: Reveal): void => {
    if (reveal === 'all') {
      for (let index = 0; index < pieceCount; index++) if (!connection.pieces.has(index)) tellHave(connection, index);
    } else {
      for (const index of reveal) tellHave(connection, index);
    }
  };
  return {
    ...hooks,
    // Called once the wire has sent `have none` (or nothing, without the fast extension).
    onReady: (connection) => {
      hooks.onReady(connection);
      connection.pieces.onAdded = (index) => {
        if (connection.pieces.complete) plan.leave(connection);
        else tell(connection, plan.got(connection, index, holds(connection)));
      };
      tell(connection, plan.join(connection, holds(connection)));
      // The window of a recipient that announces nothing (it fetches from its fellows) still needs
      // topping up once the last pieces are told, without a `have` to trigger it.
      topUp = setInterval(() => {
        if (stalled(connection, Date.now())) tell(connection, plan.tellAll(connection));
        else tell(connection, plan.topUp(connection, holds(connection)));
      }, TOP_UP_MS);
      topUp.unref();
    },
    onBlockSent: (connection, index, length) => {
      hooks.onBlockSent(connection, index, length);
      if (!plan.inWindow(connection, index)) return void sent.delete(index);
      const total = (sent.get(index) ?? 0) + length;
      if (total < pieces.lengthOfPiece(index)) return void sent.set(index, total);
      sent.delete(index);
      tell(connection, plan.got(connection, index, holds(connection)));
    },
    onClose: (connection) => {
      clearInterval(topUp);
      plan.leave(connection);
      hooks.onClose(connection);
    },
  };
}

/** Nothing asked of us for STALLED_MS: no request queued, no block unsent, no interest or request since. */
function stalled(connection: PeerConnection, now: number): boolean {
  return !connection.busy && !connection.pieces.complete && now - connection.lastActive >= STALLED_MS;
}
