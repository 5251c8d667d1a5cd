// Firewall rules as data (pure argv builders), and the one executor that runs them through execa.
import { readFile } from 'node:fs/promises';
import type { CleanupStack } from '../cleanup.ts';
import { ShareFileError } from '../errors.ts';
import type { Cidr } from './cidr.ts';
import { shellQuote } from '../output/format.ts';

export type IpFamily = 4 | 6;

export interface FirewallRule {
  family: IpFamily;
  port: number;
  /** Only this source may connect; undefined for any. */
  source: string | undefined;
  /** Tags the rule as ours: `share-file pid=<pid> port=<port>`. */
  comment: string;
}

const TAG = 'share-file';
const TAG_PATTERN = /^share-file pid=(\d+) port=(\d+)$/;

export function ruleComment(pid: number, port: number): string {
  return `${TAG} pid=${pid} port=${port}`;
}

/** One ACCEPT rule per port, family and allowed source; with --allow, only the listed sources. */
export function rulesFor(ports: number[], pid: number, families: IpFamily[], allow: Cidr[]): FirewallRule[] {
  const rules: FirewallRule[] = [];
  for (const port of ports) {
    for (const family of families) {
      const sources = allow.length === 0 ? [undefined] : allow.filter((cidr) => cidr.family === family).map((cidr) => cidr.text);
      for (const source of sources) rules.push({ family, port, source, comment: ruleComment(pid, port) });
    }
  }
  return rules;
}

export function binaryFor(family: IpFamily): 'iptables' | 'ip6tables' {
  return family === 4 ? 'iptables' : 'ip6tables';
}

/**
 * Inserted at the top of INPUT, not appended: on hosts whose INPUT chain ends in REJECT or DROP an
 * appended rule never matches. Deleting by the same specification removes exactly this rule.
 */
export function ruleArgs(action: 'insert' | 'delete', rule: FirewallRule): string[] {
  const position = action === 'insert' ? ['-I', 'INPUT', '1'] : ['-D', 'INPUT'];
  const source = rule.source === undefined ? [] : ['-s', rule.source];
  return [...position, '-p', 'tcp', ...source, '--dport', String(rule.port), '-m', 'comment', '--comment', rule.comment, '-j', 'ACCEPT'];
}

/** The command a person would type, for warnings and for rules that could not be removed. */
export function commandLine(binary: string, args: string[], sudo: boolean): string {
  return [...(sudo ? ['sudo'] : []), binary, ...args].map(shellQuote).join(' ');
}

export interface TaggedRule {
  pid: number;
  port: number;
  /** Arguments that delete this very rule (its `-S` line with `-A` turned into `-D`). */
  deleteArgs: string[];
}

/** Our rules in an `iptables -S INPUT` listing. */
export function parseTaggedRules(listing: string): TaggedRule[] {
  const rules: TaggedRule[] = [];
  for (const line of listing.split('\n')) {
    const words = splitShellWords(line.trim());
    if (words[0] !== '-A' || words[1] !== 'INPUT') continue;
    const commentAt = words.indexOf('--comment');
    const match = commentAt >= 0 ? TAG_PATTERN.exec(words[commentAt + 1] ?? '') : null;
    if (!match) continue;
    rules.push({ pid: Number(match[1]), port: Number(match[2]), deleteArgs: ['-D', ...words.slice(1)] });
  }
  return rules;
}

/** iptables -S quotes a comment with spaces in double quotes, escaping `"` and `\`. */
export function splitShellWords(line: string): string[] {
  const words: string[] = [];
  const pattern = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (const match of line.matchAll(pattern)) {
    words.push(match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : match[2]!);
  }
  return words;
}

/** Runs iptables and ip6tables, directly as root or through `sudo -n`. */
export interface FirewallExecutor {
  families: IpFamily[];
  sudo: boolean;
  run(family: IpFamily, args: string[]): Promise<string>;
}

export type FirewallProbe = { ok: true; executor: FirewallExecutor } | { ok: false; reason: string };

const COMMAND_TIMEOUT_MS = 10_000;

export async function probeFirewall(): Promise<FirewallProbe> {
  const asRoot = process.getuid?.() === 0;
  const attempts = asRoot ? [false] : [false, true];
  let reason = 'iptables is not installed';
  for (const sudo of attempts) {
    const executor = makeExecutor(sudo, [4]);
    try {
      await executor.run(4, ['-S', 'INPUT']);
    } catch (error) {
      reason = describeFailure(error, sudo);
      continue;
    }
    if (await hostHasIpv6()) {
      const v6 = makeExecutor(sudo, [6]);
      const usable = await v6.run(6, ['-S', 'INPUT']).then(() => true, () => false);
      if (usable) executor.families.push(6);
    }
    return { ok: true, executor };
  }
  return { ok: false, reason };
}

function makeExecutor(sudo: boolean, families: IpFamily[]): FirewallExecutor {
  return {
    families,
    sudo,
    async run(family, args) {
      // -w: wait for the xtables lock instead of failing when another tool holds it.
      const command = [binaryFor(family), '-w', '5', ...args];
      // Loaded on first use: with --firewall none, execa (its evaluation costs 22-25 ms of CPU while
      // the hashing workers want both cores) is never loaded at all.
      const { execa } = await import('execa');
      const result = sudo
        ? await execa('sudo', ['-n', ...command], { timeout: COMMAND_TIMEOUT_MS })
        : await execa(command[0]!, command.slice(1), { timeout: COMMAND_TIMEOUT_MS });
      return result.stdout;
    },
  };
}

function describeFailure(error: unknown, sudo: boolean): string {
  const failure = error as { code?: string; stderr?: string; shortMessage?: string };
  if (failure.code === 'ENOENT') return sudo ? 'sudo is not installed' : 'iptables is not installed';
  const said = (failure.stderr ?? failure.shortMessage ?? String(error)).trim().split('\n')[0];
  if (sudo) return `sudo -n iptables failed (${said})`;
  return `iptables failed (${said})`;
}

async function hostHasIpv6(): Promise<boolean> {
  try {
    return (await readFile('/proc/net/if_inet6', 'utf8')).trim().length > 0;
  } catch {
    return false;
  }
}

/** Is the share-file that tagged a rule still running? A reused pid that is not share-file is not. */
export async function isShareFileRunning(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).includes(TAG);
  } catch {
    return true;
  }
}

export async function insertRule(executor: FirewallExecutor, rule: FirewallRule): Promise<void> {
  await executor.run(rule.family, ruleArgs('insert', rule));
}

export async function deleteRule(executor: FirewallExecutor, rule: FirewallRule): Promise<void> {
  await executor.run(rule.family, ruleArgs('delete', rule));
}

export function manualDelete(executor: FirewallExecutor, rule: FirewallRule): string {
  return commandLine(binaryFor(rule.family), ruleArgs('delete', rule), executor.sudo);
}

/** Removes the rules of share-file processes that died without cleaning up (kill -9, a crash). */
export async function removeStaleRules(executor: FirewallExecutor): Promise<string[]> {
  const removed: string[] = [];
  for (const family of executor.families) {
    const listing = await executor.run(family, ['-S', 'INPUT']);
    for (const rule of parseTaggedRules(listing)) {
      if (await isShareFileRunning(rule.pid)) continue;
      await executor.run(family, rule.deleteArgs);
      removed.push(`${binaryFor(family)} rule for port ${rule.port} left by share-file process ${rule.pid}`);
    }
  }
  return removed;
}

/**
 * Removes what dead share-file processes left, then inserts our rules, each registered for removal
 * the moment it exists. Returns what to tell the user; throws only when `required`.
 */
export async function openPorts(executor: FirewallExecutor, rules: FirewallRule[], required: boolean, cleanup: CleanupStack): Promise<string[]> {
  const notices: string[] = [];
  try {
    for (const removed of await removeStaleRules(executor)) notices.push(`removed a stale firewall rule: ${removed}`);
    for (const rule of rules) {
      await insertRule(executor, rule);
      cleanup.defer(`the firewall rule for port ${rule.port}`, () => deleteRule(executor, rule), { manualFix: manualDelete(executor, rule) });
    }
  } catch (error) {
    const said = ((error as { stderr?: string }).stderr || (error as Error).message).trim().split('\n')[0];
    if (required) throw new ShareFileError('FIREWALL_FAILED', `changing the firewall failed: ${said}`, { cause: error, hint: 'check iptables by hand, or use --firewall auto or none' });
    notices.push(`the firewall could not be opened (${said}); share-file goes on without it`);
  }
  return notices;
}

/** For --firewall auto without a usable iptables: what the user can run by hand instead. */
export function manualOpenAdvice(rules: FirewallRule[], reason: string): string {
  const commands = rules.map((rule) => commandLine(binaryFor(rule.family), ruleArgs('insert', rule), true));
  return `the firewall was left alone (${reason}); if it blocks inbound connections, run: ${commands.join(' && ')}`;
}

export function unavailableError(reason: string): ShareFileError {
  return new ShareFileError('FIREWALL_UNAVAILABLE', `cannot change the firewall: ${reason}`, {
    hint: 'run share-file as root (or with password-less sudo for iptables), or use --firewall auto or none',
  });
}
