// The firewall's part in a share: look early (before hashing when the answer decides whether
// share-file may go on, while hashing otherwise), then open the ports once they listen.
import type { CleanupStack } from '../cleanup.ts';
import type { FirewallMode } from '../options.ts';
import type { FirewallEvent } from '../output/events.ts';
import type { Cidr } from './cidr.ts';
import type * as Firewall from './firewall.ts';

export interface FirewallOutcome {
  /** Warnings: leftovers removed, or the commands to run by hand. */
  notices: string[];
  /** What share-file did to the firewall; undefined with --firewall none. */
  event: FirewallEvent | undefined;
}

export class FirewallStep {
  readonly #mode: FirewallMode;
  readonly #cacheDir: string;
  readonly #load: () => Promise<typeof Firewall>;
  #probe: Promise<Firewall.FirewallProbe> | undefined;

  constructor(mode: FirewallMode, cacheDir: string, load: () => Promise<typeof Firewall>) {
    this.#mode = mode;
    this.#cacheDir = cacheDir;
    this.#load = load;
  }

  /** With an explicit mode a "no" is fatal: ask now, before the long work, and fail at once. */
  async requireEarly(): Promise<void> {
    if (this.#mode === 'auto' || this.#mode === 'none') return;
    const probe = await this.ask();
    const firewall = await this.#load();
    if (probe && !probe.ok) throw firewall.unavailableError(probe.reason, firewall.toolOf(this.#mode));
    // firewalld not running, no ufw: what the mode needs is missing whatever the ports.
    const plan = probe && (await firewall.planOpenings(this.#mode, probe.host, probe.executor, { ports: [], pid: process.pid, allow: [] }));
    if (plan && 'missing' in plan) throw firewall.unavailableError(plan.missing, firewall.toolOf(this.#mode));
  }

  /** Starts looking (once); with `--firewall none`, never. */
  ask(): Promise<Firewall.FirewallProbe | undefined> {
    if (this.#mode === 'none') return Promise.resolve(undefined);
    this.#probe ??= this.#load().then((firewall) => firewall.probeFirewall());
    this.#probe.catch(() => {});
    return this.#probe;
  }

  /** Opens both ports where the host filters, each opening undone by the cleanup stack. */
  async open(ports: number[], allow: Cidr[], cleanup: CleanupStack): Promise<FirewallOutcome> {
    const probe = await this.ask();
    if (!probe) return { notices: [], event: undefined };
    const firewall = await this.#load();
    if (!probe.ok) return { notices: [firewall.manualOpenAdvice(ports, probe.reason, probe.firewalld)], event: firewallEvent(undefined, ports) };
    const plan = await firewall.planOpenings(this.#mode, probe.host, probe.executor, { ports, pid: process.pid, allow });
    const result = await firewall.openPorts(probe, plan, { mode: this.#mode, cacheDir: this.#cacheDir, cleanup, ports });
    return { notices: result.notices, event: firewallEvent(result.applied, ports) };
  }
}

function firewallEvent(applied: Firewall.Opening[] | undefined, ports: number[]): FirewallEvent {
  const unique = <T>(values: T[]): T[] => [...new Set(values)];
  const status = applied === undefined ? 'left-alone' : applied.length === 0 ? 'nothing-to-open' : 'opened';
  return { event: 'firewall', status, backends: unique((applied ?? []).map((opening) => opening.backend)), places: unique((applied ?? []).map((opening) => opening.place)), ports };
}
