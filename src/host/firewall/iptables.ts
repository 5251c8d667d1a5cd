// iptables rules as data, for either flavour (nf_tables or legacy): one tagged ACCEPT per port,
// family and source at the top of INPUT, and reading our tagged rules back from `iptables -S`.
import type { Cidr } from '../cidr.ts';
import type { FirewallBackend, Opening } from './opening.ts';
import { parseComment, ruleComment, type IpFamily } from './tag.ts';
import type { Tool, ToolCommand } from './tools.ts';

/** Which binaries: `iptables-nft`, `iptables-legacy`, or plain `iptables` (whatever the host links it to). */
export type IptablesFlavour = 'nft' | 'legacy' | 'plain';

export interface IptablesTarget {
  flavour: IptablesFlavour;
  family: IpFamily;
  /** ufw's chains hang off this INPUT: our rule goes ahead of them, and ufw is named as the backend. */
  ufw: boolean;
}

export interface FirewallRule {
  family: IpFamily;
  port: number;
  /** Only this source may connect; undefined for any. */
  source: string | undefined;
  /** Tags the rule as ours: `share-file pid=<pid> port=<port>`. */
  comment: string;
}

export function binaryFor(flavour: IptablesFlavour, family: IpFamily): Tool {
  const base = family === 4 ? 'iptables' : 'ip6tables';
  return flavour === 'plain' ? base : `${base}-${flavour}`;
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

/**
 * Inserted at the top of INPUT, not appended: on hosts whose INPUT chain ends in REJECT or DROP an
 * appended rule never matches. Deleting by the same specification removes exactly this rule.
 * `-w`: wait for the xtables lock instead of failing when another tool holds it.
 */
export function ruleArgs(action: 'insert' | 'delete', rule: FirewallRule): string[] {
  const position = action === 'insert' ? ['-I', 'INPUT', '1'] : ['-D', 'INPUT'];
  const source = rule.source === undefined ? [] : ['-s', rule.source];
  return ['-w', '5', ...position, '-p', 'tcp', ...source, '--dport', String(rule.port), '-m', 'comment', '--comment', rule.comment, '-j', 'ACCEPT'];
}

export function iptablesOpenings(targets: IptablesTarget[], ports: number[], pid: number, allow: Cidr[]): Opening[] {
  const openings: Opening[] = [];
  for (const target of targets) {
    const tool = binaryFor(target.flavour, target.family);
    const backend: FirewallBackend = target.ufw ? 'ufw' : target.flavour === 'legacy' ? 'iptables-legacy' : 'iptables';
    const place = target.ufw ? `${tool} INPUT, ahead of ufw's chains` : `${tool} INPUT`;
    for (const rule of rulesFor(ports, pid, [target.family], allow)) {
      const close: ToolCommand = { tool, args: ruleArgs('delete', rule) };
      openings.push({ backend, place, port: rule.port, open: { tool, args: ruleArgs('insert', rule) }, close: () => close });
    }
  }
  return openings;
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
    const tag = commentAt >= 0 ? parseComment(words[commentAt + 1] ?? '') : undefined;
    if (!tag) continue;
    rules.push({ ...tag, deleteArgs: ['-w', '5', '-D', ...words.slice(1)] });
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
