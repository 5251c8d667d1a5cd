// firewalld as data: the ports (or, with --allow, rich rules) added to the runtime configuration
// of each zone that receives traffic, never --permanent, so even a reload or reboot undoes them.
import type { Cidr } from '../cidr.ts';
import type { Opening } from './opening.ts';
import type { ToolCommand } from './tools.ts';

/** The zone firewalld applies to each interface: its own, or the default zone when it has none. */
export function zonesOf(interfaceZones: (string | undefined)[], defaultZone: string): string[] {
  const zones = interfaceZones.map((zone) => zone ?? defaultZone);
  return [...new Set(zones.length === 0 ? [defaultZone] : zones)];
}

/** `firewall-cmd --get-zone-of-interface` prints the zone, or `no zone` with exit code 2. */
export function zoneOfInterfaceArgs(name: string): ToolCommand {
  return { tool: 'firewall-cmd', args: [`--get-zone-of-interface=${name}`] };
}

export function richRule(source: Cidr, port: number): string {
  return `rule family="ipv${source.family}" source address="${source.text}" port port="${port}" protocol="tcp" accept`;
}

/**
 * A port or rich rule cannot carry a comment, so nothing in firewalld says who added it: an entry
 * already there is not ours (skipped, and so never removed); the ones we add are written to a
 * journal first (see journal.ts) for the sweep after a crash.
 */
export function firewalldOpenings(zones: string[], ports: number[], allow: Cidr[]): Opening[] {
  const openings: Opening[] = [];
  for (const zone of zones) {
    for (const port of ports) {
      const entries = allow.length === 0 ? [`port=${port}/tcp`] : allow.map((cidr) => `rich-rule=${richRule(cidr, port)}`);
      for (const entry of entries) {
        const command = (verb: 'add' | 'remove' | 'query'): ToolCommand => ({ tool: 'firewall-cmd', args: [`--zone=${zone}`, `--${verb}-${entry}`] });
        const close = command('remove');
        openings.push({ backend: 'firewalld', place: `firewalld zone ${zone}`, port, open: command('add'), close: () => close, query: command('query'), journaled: true });
      }
    }
  }
  return openings;
}
