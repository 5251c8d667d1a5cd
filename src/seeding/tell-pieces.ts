// Tells one recipient's connection the pieces the reveal plan gives it, as it fetches them.
import type { Reveal, RevealPlan } from './reveal.ts';
import type { PeerConnection, WireHooks } from './connection/wire.ts';

/** How often a window is topped up without a `have` (see below). */
const TOP_UP_MS = 250;

/** The connection's hooks, with the reveal plan told of it: its start, its pieces and its end. */
export function tellPieces(plan: RevealPlan, hooks: WireHooks, pieceCount: number): WireHooks {
  let topUp: NodeJS.Timeout | undefined;
  const holds = (connection: PeerConnection) => (index: number): boolean => connection.pieces.has(index);
  const tell = (connection: PeerConnection, reveal: Reveal): void => {
    if (reveal === 'all') {
      for (let index = 0; index < pieceCount; index++) if (!connection.pieces.has(index)) connection.tellHave(index);
    } else {
      for (const index of reveal) connection.tellHave(index);
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
      topUp = setInterval(() => tell(connection, plan.topUp(connection, holds(connection))), TOP_UP_MS);
      topUp.unref();
    },
    onClose: (connection) => {
      clearInterval(topUp);
      plan.leave(connection);
      hooks.onClose(connection);
    },
  };
}
