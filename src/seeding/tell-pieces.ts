// Tells one recipient's connection the pieces the reveal plan gives it, as it fetches them.
import type { Reveal, RevealPlan } from './reveal.ts';
import type { SeedingWire } from './wire.ts';

const TOP_UP_MS = 250;

/** Called once the wire has sent `have none` (or nothing, without the fast extension). */
export function tellPieces(plan: RevealPlan, wire: SeedingWire, pieceCount: number): void {
  const holds = (index: number): boolean => Boolean(wire.peerPieces.get(index));
  const tell = (reveal: Reveal): void => {
    if (wire.destroyed) return;
    if (reveal === 'all') {
      for (let index = 0; index < pieceCount; index++) if (!holds(index)) wire.have(index);
    } else {
      for (const index of reveal) wire.have(index);
    }
  };
  tell(plan.join(wire, holds));
  wire.on('have', (index: number) => tell(plan.got(wire, index, holds)));
  wire.on('bitfield', () => tell(plan.got(wire, undefined, holds)));
  wire.on('have-all', () => plan.leave(wire));
  // The window of a recipient that announces nothing (it fetches from its fellows) still needs
  // topping up once the last pieces are told, without a `have` to trigger it.
  const topUp = setInterval(() => tell(plan.topUp(wire, holds)), TOP_UP_MS);
  topUp.unref();
  wire.once('close', () => {
    clearInterval(topUp);
    plan.leave(wire);
  });
}
