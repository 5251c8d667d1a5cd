// The firewall, loaded with the network half: find what filters on this host, plan the openings for
// each backend as data (firewall/*.ts), run them through the one executor, sweep a crash's leftovers.
import path from 'node:path';
import type { CleanupStack } from '../cleanup.ts';
import { ShareFileError } from '../errors.ts';
import type { FirewallMode } from '../options.ts';
import type { Cidr } from './cidr.ts';
import { detectFirewalls, firewalldRunning, hostHasIpv6, type HostFirewalls } from './firewall/detect.ts';
import { firewalldOpenings } from './firewall/firewalld.ts';
import { binaryFor, iptablesOpenings, rulesFor, ruleArgs, type IptablesTarget } from './firewall/iptables.ts';
import { Journal } from './firewall/journal.ts';
import { nftOpenings } from './firewall/nftables.ts';
import { applyOpenings, type Opening } from './firewall/opening.ts';
import { removeStaleEntries } from './firewall/sweep.ts';
import { commandLine, failureText, makeExecutor, ToolMissingError, type FirewallExecutor, type Tool } from './firewall/tools.ts';

export type { FirewallBackend, Opening } from './firewall/opening.ts';
/** Also tells the router's sweep which mappings' owners still run. */
export { isShareFileRunning } from './firewall/tag.ts';

export type FirewallProbe = { ok: true; executor: FirewallExecutor; host: HostFirewalls } | { ok: false; reason: string; firewalld: boolean };

/** Looks as ourselves, then (not root) through `sudo -n`; the reason names the command that failed. */
export async function probeFirewall(): Promise<FirewallProbe> {
  const asRoot = isRoot();
  let reason = 'iptables is not installed';
  for (const sudo of asRoot ? [false] : [false, true]) {
    const executor = makeExecutor(sudo);
    try {
      return { ok: true, executor, host: await detectFirewalls(executor) };
    } catch (error) {
      reason = describeFailure(error, sudo);
      if (error instanceof ToolMissingError) break;
    }
  }
  return { ok: false, reason, firewalld: await firewalldRunning(makeExecutor(false)).catch(() => false) };
}

function describeFailure(error: unknown, sudo: boolean): string {
  const failure = error as { code?: string; command?: string };
  if (failure.code === 'ENOENT') return 'sudo is not installed';
  if (error instanceof ToolMissingError) return error.message;
  const tool = /\/([\w-]+)(?: |$)/.exec(failure.command ?? '')?.[1] ?? 'the firewall tool';
  return `${sudo ? 'sudo -n ' : ''}${tool} failed (${failureText(error)})`;
}

/** The iptables INPUT chains in use: iptables-nft's tables, the kernel's legacy ones, or iptables alone without nft. */
export async function iptablesTargets(host: HostFirewalls, executor: FirewallExecutor): Promise<IptablesTarget[]> {
  const nftFlavour = (await executor.has('iptables-nft')) ? 'nft' : 'plain';
  return [
    ...(host.nft?.iptablesNft ?? []).map((family) => ({ flavour: nftFlavour, family: family === 'ip' ? 4 : 6, ufw: host.nft!.ufw }) as IptablesTarget),
    ...host.legacy.families.map((family) => ({ flavour: 'legacy', family, ufw: host.legacy.ufw }) as IptablesTarget),
    ...host.iptablesOnly.map((family) => ({ flavour: 'plain', family, ufw: false }) as IptablesTarget),
  ];
}

export type Plan = { openings: Opening[] } | { missing: string };

/**
 * `auto` opens every firewall that filters, several at once if need be; an explicit mode only its
 * own, and says what is missing when it is not there.
 */
export async function planOpenings(mode: FirewallMode, host: HostFirewalls, executor: FirewallExecutor, request: { ports: number[]; pid: number; allow: Cidr[] }): Promise<Plan> {
  const { ports, pid, allow } = request;
  const firewalld = host.firewalldZones ? firewalldOpenings(host.firewalldZones, ports, allow) : [];
  const nft = host.nft ? nftOpenings(host.nft.dropping, ports, pid, allow) : [];
  const iptables = await iptablesTargets(host, executor);
  switch (mode) {
    case 'firewalld':
      return host.firewalldZones ? { openings: firewalld } : { missing: 'firewalld is not running' };
    case 'nftables':
      return host.nft ? { openings: nft } : { missing: 'nft is not installed' };
    case 'ufw': {
      const ufw = iptables.filter((target) => target.ufw);
      return ufw.length > 0 ? { openings: iptablesOpenings(ufw, ports, pid, allow) } : { missing: 'ufw is not active (its chains are not in iptables)' };
    }
    case 'iptables': {
      if (iptables.length > 0) return { openings: iptablesOpenings(iptables, ports, pid, allow) };
      if (!(await executor.has('iptables'))) return { missing: 'iptables is not installed' };
      const families = (await hostHasIpv6()) ? [4, 6] as const : [4] as const;
      return { openings: iptablesOpenings(families.map((family) => ({ flavour: 'plain', family, ufw: false })), ports, pid, allow) };
    }
    default:
      return { openings: [...firewalld, ...nft, ...iptablesOpenings(iptables, ports, pid, allow)] };
  }
}

export interface OpenResult {
  notices: string[];
  /** What changed, for the `firewall` event; undefined when share-file could not open the ports. */
  applied: Opening[] | undefined;
}

/**
 * Removes what dead share-file processes left, then opens the ports, each opening registered for
 * undoing the moment it exists. Throws only with an explicit --firewall mode.
 */
export async function openPorts(probe: Extract<FirewallProbe, { ok: true }>, plan: Plan, context: { mode: FirewallMode; cacheDir: string; cleanup: CleanupStack; ports: number[] }): Promise<OpenResult> {
  const { executor, host } = probe;
  const required = context.mode !== 'auto';
  if ('missing' in plan) {
    if (required) throw unavailableError(plan.missing, toolOf(context.mode));
    return { notices: [manualOpenAdvice(context.ports, plan.missing, false)], applied: undefined };
  }
  const notices: string[] = [];
  const journals = path.join(context.cacheDir, 'firewall');
  const applied: Opening[] = [];
  try {
    for (const removed of await removeStaleEntries(executor, host, await iptablesTargets(host, executor), journals)) notices.push(`removed a stale firewall rule: ${removed}`);
    await applyOpenings(executor, plan.openings, new Journal(journals, process.pid), context.cleanup, applied);
    return { notices, applied };
  } catch (error) {
    const said = failureText(error);
    if (required) throw new ShareFileError('FIREWALL_FAILED', `changing the firewall failed: ${said}`, { cause: error, hint: 'check the firewall by hand, or use --firewall auto or none' });
    // What was opened stays open until exit; the rest is for the person to run.
    const rest = plan.openings.filter((opening) => !applied.includes(opening)).map((opening) => commandLine(opening.open, !isRoot()));
    notices.push(`the firewall could not be opened (${said}); share-file goes on without it; if it blocks inbound connections, run: ${rest.join(' && ')}`);
    return { notices, applied: applied.length > 0 ? applied : undefined };
  }
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** When share-file cannot open the ports itself: one warning with the commands to run by hand. */
export function manualOpenAdvice(ports: number[], reason: string, firewalld: boolean): string {
  const commands = firewalld
    ? ports.map((port) => commandLine({ tool: 'firewall-cmd', args: [`--add-port=${port}/tcp`] }, true))
    : rulesFor(ports, process.pid, [4], []).map((rule) => commandLine({ tool: binaryFor('plain', rule.family), args: ruleArgs('insert', rule).slice(2) }, true));
  return `the firewall was left alone (${reason}); if it blocks inbound connections, run: ${commands.join(' && ')}`;
}

export function unavailableError(reason: string, tool: Tool | 'the firewall tool'): ShareFileError {
  return new ShareFileError('FIREWALL_UNAVAILABLE', `cannot change the firewall: ${reason}`, {
    hint: `run share-file as root (or with password-less sudo for ${tool}), or use --firewall auto or none`,
  });
}

/** The tool an explicit mode needs, for the hint of its error. */
export function toolOf(mode: FirewallMode): Tool | 'the firewall tool' {
  return mode === 'firewalld' ? 'firewall-cmd' : mode === 'nftables' ? 'nft' : mode === 'iptables' || mode === 'ufw' ? 'iptables' : 'the firewall tool';
}
