// What filters inbound connections on this host, found by asking the tools themselves: firewalld
// (running?), nft's ruleset (which base chains on the input hook drop), and the kernel's legacy
// iptables tables. Reads only: nothing here changes the ruleset.
import { readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { zoneOfInterfaceArgs, zonesOf } from './firewalld.ts';
import { parseRuleset, type NftPicture } from './nftables.ts';
import type { IpFamily } from './tag.ts';
import { ToolMissingError, type FirewallExecutor } from './tools.ts';

export interface HostFirewalls {
  /** The zones of the interfaces that carry traffic, when firewalld runs. */
  firewalldZones: string[] | undefined;
  /** nft's view of the ruleset; undefined where nft is not installed. */
  nft: NftPicture | undefined;
  /** Families with legacy iptables tables in the kernel, and whether ufw's chains are among them. */
  legacy: { families: IpFamily[]; ufw: boolean };
  /** Without nft, iptables' own view (as `iptables -S` answers): the families it can change. */
  iptablesOnly: IpFamily[];
}

export async function firewalldRunning(executor: FirewallExecutor): Promise<boolean> {
  if (!(await executor.has('firewall-cmd'))) return false;
  return executor.run({ tool: 'firewall-cmd', args: ['--state'] }).then((state) => state.trim() === 'running', () => false);
}

/** Throws when a tool that is there cannot be used (no rights): the caller then tries sudo. */
export async function detectFirewalls(executor: FirewallExecutor): Promise<HostFirewalls> {
  const hasNft = await executor.has('nft');
  const nft = hasNft ? parseRuleset(await executor.run({ tool: 'nft', args: ['-j', 'list', 'ruleset'] })) : undefined;
  const firewalldZones = (await firewalldRunning(executor)) ? await activeZones(executor) : undefined;
  const legacy = await legacyTables(executor);
  let iptablesOnly: IpFamily[] = [];
  if (!hasNft && (await executor.has('iptables'))) {
    await executor.run({ tool: 'iptables', args: ['-w', '5', '-S', 'INPUT'] });
    iptablesOnly = [4];
    const v6 = (await hostHasIpv6()) && (await executor.run({ tool: 'ip6tables', args: ['-w', '5', '-S', 'INPUT'] }).then(() => true, () => false));
    if (v6) iptablesOnly.push(6);
  }
  if (!hasNft && iptablesOnly.length === 0 && !firewalldZones && legacy.families.length === 0) throw new ToolMissingError('iptables');
  return { firewalldZones, nft, legacy, iptablesOnly };
}

/** firewalld applies to a packet the zone of the interface it came in on, or the default zone. */
async function activeZones(executor: FirewallExecutor): Promise<string[]> {
  const defaultZone = (await executor.run({ tool: 'firewall-cmd', args: ['--get-default-zone'] })).trim();
  const names = Object.entries(networkInterfaces())
    .filter(([, addresses]) => addresses?.some((address) => !address.internal))
    .map(([name]) => name);
  const zones = await Promise.all(names.map((name) => executor.run(zoneOfInterfaceArgs(name)).then((zone) => zone.trim() || undefined, () => undefined)));
  return zonesOf(zones, defaultZone);
}

/**
 * The kernel lists its legacy tables in /proc/net/ip{,6}_tables_names (per network namespace).
 * Read, not asked of iptables-legacy, whose first call would create the very tables it reports.
 */
async function legacyTables(executor: FirewallExecutor): Promise<HostFirewalls['legacy']> {
  const families: IpFamily[] = [];
  for (const [family, file] of [[4, '/proc/net/ip_tables_names'], [6, '/proc/net/ip6_tables_names']] as const) {
    const names = await readFile(file, 'utf8').catch(() => '');
    if (names.split('\n').includes('filter')) families.push(family);
  }
  if (families.length === 0 || !(await executor.has('iptables-legacy'))) return { families: [], ufw: false };
  const listing = await executor.run({ tool: 'iptables-legacy', args: ['-w', '5', '-S'] }).catch(() => '');
  return { families, ufw: listing.includes('-N ufw-') };
}

export async function hostHasIpv6(): Promise<boolean> {
  try {
    return (await readFile('/proc/net/if_inet6', 'utf8')).trim().length > 0;
  } catch {
    return false;
  }
}
