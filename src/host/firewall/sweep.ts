// After kill -9 or a crash: remove what share-file processes that no longer run left in any
// firewall, found by the pid in their tag (iptables, nftables) or in their journal (firewalld).
import { rm } from 'node:fs/promises';
import type { HostFirewalls } from './detect.ts';
import { binaryFor, parseTaggedRules, type IptablesTarget } from './iptables.ts';
import { readJournals } from './journal.ts';
import { deleteByHandle } from './nftables.ts';
import { isShareFileRunning } from './tag.ts';
import type { FirewallExecutor } from './tools.ts';

/** Returns one line per entry removed: where, which port, whose. */
export async function removeStaleEntries(executor: FirewallExecutor, host: HostFirewalls, iptables: IptablesTarget[], journals: string): Promise<string[]> {
  const removed: string[] = [];
  const left = (where: string, port: number, pid: number): string => `${where} rule for port ${port} left by share-file process ${pid}`;
  for (const target of iptables) {
    const tool = binaryFor(target.flavour, target.family);
    for (const rule of parseTaggedRules(await executor.run({ tool, args: ['-w', '5', '-S', 'INPUT'] }))) {
      if (await isShareFileRunning(rule.pid)) continue;
      if (await gone(executor.run({ tool, args: rule.deleteArgs }))) continue;
      removed.push(left(tool, rule.port, rule.pid));
    }
  }
  for (const rule of host.nft?.tagged ?? []) {
    if (await isShareFileRunning(rule.pid)) continue;
    if (await gone(executor.run(deleteByHandle(rule, rule.handle)))) continue;
    removed.push(left(`nftables ${rule.family} ${rule.table} ${rule.chain}`, rule.port, rule.pid));
  }
  // firewalld forgets its runtime entries when it restarts: ask before removing, never guess.
  if (!host.firewalldZones) return removed;
  for (const journal of await readJournals(journals)) {
    if (await isShareFileRunning(journal.pid)) continue;
    for (const entry of journal.entries) {
      if (!(await executor.ask(entry.query))) continue;
      await executor.run(entry.close);
      removed.push(left(entry.place, entry.port, journal.pid));
    }
    await rm(journal.file, { force: true });
  }
  return removed;
}

/**
 * Another share-file starting at the same time may sweep the same leftover first: a delete that
 * fails is taken for that (the opening that follows says so if the firewall itself is broken).
 */
async function gone(deleting: Promise<string>): Promise<boolean> {
  return deleting.then(() => false, () => true);
}
