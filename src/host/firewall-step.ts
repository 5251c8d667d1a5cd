// The firewall's part in a share: ask iptables early (before hashing when its answer decides
// whether share-file may go on, while hashing otherwise), then open the ports once they listen.
import type { CleanupStack } from '../cleanup.ts';
import type { FirewallMode } from '../options.ts';
import type { Cidr } from './cidr.ts';
import type * as Firewall from './firewall.ts';

export class FirewallStep {
  readonly #mode: FirewallMode;
  readonly #load: () => Promise<typeof Firewall>;
  #probe: Promise<Firewall.FirewallProbe> | undefined;

  constructor(mode: FirewallMode, load: () => Promise<typeof Firewall>) {
    this.#mode = mode;
    this.#load = load;
  }

  /** With `--firewall iptables` a "no" is fatal: ask now, before the long work, and fail at once. */
  async requireEarly(): Promise<void> {
    if (this.#mode !== 'iptables') return;
    const probe = await this.ask();
    if (probe && !probe.ok) throw (await this.#load()).unavailableError(probe.reason);
  }

  /** Starts asking (once); with `--firewall none`, never. */
  ask(): Promise<Firewall.FirewallProbe | undefined> {
    if (this.#mode === 'none') return Promise.resolve(undefined);
    this.#probe ??= this.#load().then((firewall) => firewall.probeFirewall());
    this.#probe.catch(() => {});
    return this.#probe;
  }

  /**
   * One tagged rule per port and address family, at the top of INPUT, each undone by the cleanup
   * stack. Returns what to tell the user: stale rules removed, or the commands to run by hand.
   */
  async open(ports: number[], allow: Cidr[], cleanup: CleanupStack): Promise<string[]> {
    const probe = await this.ask();
    if (!probe) return [];
    const firewall = await this.#load();
    const rules = firewall.rulesFor(ports, process.pid, probe.ok ? probe.executor.families : [4], allow);
    if (!probe.ok) return [firewall.manualOpenAdvice(rules, probe.reason)];
    return firewall.openPorts(probe.executor, rules, this.#mode === 'iptables', cleanup);
  }
}
