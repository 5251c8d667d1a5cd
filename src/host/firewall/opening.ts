// An opening is one command pair as data (what opens a port somewhere, what closes it again);
// applyOpenings runs them through the one executor, each close registered the moment it exists.
import type { CleanupStack } from '../../cleanup.ts';
import type { Journal, JournalEntry } from './journal.ts';
import { commandLine, type FirewallExecutor, type ToolCommand } from './tools.ts';

export type FirewallBackend = 'firewalld' | 'nftables' | 'ufw' | 'iptables' | 'iptables-legacy';

export interface Opening {
  backend: FirewallBackend;
  /** Where, for people: `firewalld zone public`, `nftables inet filter input`, `iptables-nft INPUT`. */
  place: string;
  port: number;
  open: ToolCommand;
  /** The command that undoes it, given what `open` printed (nft's new rule handle). */
  close: (printed: string) => ToolCommand;
  /** Asked first where entries carry no tag: an entry already there is someone else's, left alone. */
  query?: ToolCommand;
  /** Written to the journal before it is opened (it cannot carry our tag). */
  journaled?: boolean;
}

/**
 * Runs each opening in turn and adds the ones that changed something to `applied`; throws at the
 * first failure, `applied` then saying how far it got.
 */
export async function applyOpenings(executor: FirewallExecutor, openings: Opening[], journal: Journal, cleanup: CleanupStack, applied: Opening[]): Promise<void> {
  for (const opening of openings) {
    if (opening.query && (await executor.ask(opening.query))) continue;
    let entry: JournalEntry | undefined;
    if (opening.journaled && opening.query) {
      entry = { query: opening.query, close: opening.close(''), port: opening.port, place: opening.place };
      await journal.add(entry);
    }
    let printed: string;
    try {
      printed = await executor.run(opening.open);
    } catch (error) {
      if (entry) await journal.remove(entry);
      throw error;
    }
    const close = opening.close(printed);
    const undo = async (): Promise<void> => {
      await executor.run(close);
      if (entry) await journal.remove(entry);
    };
    cleanup.defer(`the firewall rule for port ${opening.port} in ${opening.place}`, undo, { manualFix: commandLine(close, executor.sudo) });
    applied.push(opening);
  }
}
