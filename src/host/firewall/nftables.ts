// Native nftables as data: which base chains on the input hook drop what nobody accepted (read from
// `nft -j list ruleset`), one tagged accept inserted at the top of each, deleted by its handle.
import type { Cidr } from '../cidr.ts';
import type { Opening } from './opening.ts';
import { parseComment, ruleComment } from './tag.ts';
import type { ToolCommand } from './tools.ts';

export type NftFamily = 'ip' | 'ip6' | 'inet';

export interface NftChain {
  family: NftFamily;
  table: string;
  chain: string;
}

export interface NftTaggedRule extends NftChain {
  handle: number;
  pid: number;
  port: number;
}

/** What `nft -j list ruleset` tells share-file. */
export interface NftPicture {
  /** Base chains on the input hook that drop by policy or by a last catch-all rule. */
  dropping: NftChain[];
  /** Families (`ip`, `ip6`) whose `filter` table iptables-nft manages (it has an `INPUT` base chain). */
  iptablesNft: ('ip' | 'ip6')[];
  /** Whether ufw's chains hang in iptables-nft's tables. */
  ufw: boolean;
  /** Our rules in native tables, by pid and handle, for the sweep after a crash. */
  tagged: NftTaggedRule[];
}

interface JsonChain { family?: string; table?: string; name?: string; type?: string; hook?: string; policy?: string }
interface JsonRule { family?: string; table?: string; chain?: string; handle?: number; comment?: string; expr?: Record<string, unknown>[] }

const FAMILIES = new Set(['ip', 'ip6', 'inet']);
/** firewalld's own tables: it is asked through firewall-cmd, never edited behind its back. */
const FIREWALLD_TABLE = 'firewalld';
/** Names nft accepts unquoted on the command line; another name is left alone rather than mis-quoted. */
const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
/** Expressions that do not narrow a rule: one made only of these and a drop or reject catches all. */
const NEUTRAL = new Set(['counter', 'log']);

export function parseRuleset(json: string): NftPicture {
  const items = ((JSON.parse(json) as { nftables?: Record<string, unknown>[] }).nftables ?? []);
  const chains = items.map((item) => item.chain as JsonChain | undefined).filter((chain) => chain !== undefined);
  const rules = items.map((item) => item.rule as JsonRule | undefined).filter((rule) => rule !== undefined);
  const key = (family?: string, table?: string, chain?: string): string => `${family} ${table} ${chain}`;
  const lastRule = new Map<string, JsonRule>();
  for (const rule of rules) lastRule.set(key(rule.family, rule.table, rule.chain), rule);

  const iptablesNft = new Set<'ip' | 'ip6'>();
  for (const chain of chains) {
    if ((chain.family === 'ip' || chain.family === 'ip6') && chain.table === 'filter' && chain.name === 'INPUT' && chain.hook === 'input') iptablesNft.add(chain.family);
  }
  const isIptablesTable = (family?: string, table?: string): boolean => table === 'filter' && iptablesNft.has(family as 'ip');
  const isNative = (family?: string, table?: string): boolean => FAMILIES.has(family ?? '') && table !== FIREWALLD_TABLE && !isIptablesTable(family, table);

  const dropping: NftChain[] = [];
  for (const chain of chains) {
    if (chain.type !== 'filter' || chain.hook !== 'input' || !isNative(chain.family, chain.table)) continue;
    if (!PLAIN_NAME.test(chain.table ?? '') || !PLAIN_NAME.test(chain.name ?? '')) continue;
    const last = lastRule.get(key(chain.family, chain.table, chain.name));
    if (chain.policy === 'drop' || (last && dropsEverything(last))) dropping.push({ family: chain.family as NftFamily, table: chain.table!, chain: chain.name! });
  }
  const ufw = chains.some((chain) => isIptablesTable(chain.family, chain.table) && chain.name?.startsWith('ufw'));
  const tagged: NftTaggedRule[] = [];
  for (const rule of rules) {
    const tag = parseComment(rule.comment ?? '');
    if (!tag || !isNative(rule.family, rule.table) || typeof rule.handle !== 'number') continue;
    tagged.push({ family: rule.family as NftFamily, table: rule.table!, chain: rule.chain!, handle: rule.handle, ...tag });
  }
  return { dropping, iptablesNft: [...iptablesNft], ufw, tagged };
}

function dropsEverything(rule: JsonRule): boolean {
  const expr = rule.expr ?? [];
  const verdict = expr.at(-1);
  if (!verdict || !('drop' in verdict || 'reject' in verdict)) return false;
  return expr.slice(0, -1).every((item) => Object.keys(item).every((name) => NEUTRAL.has(name)));
}

/** The accepts for one chain: any source, or per family the --allow sources that family can match. */
export function nftMatches(family: NftFamily, port: number, allow: Cidr[]): string[][] {
  const dport = ['tcp', 'dport', String(port)];
  if (allow.length === 0) return [dport];
  const matches: string[][] = [];
  for (const [ipFamily, keyword, nft] of [[4, 'ip', 'ip'], [6, 'ip6', 'ip6']] as const) {
    if (family !== 'inet' && family !== nft) continue;
    const sources = allow.filter((cidr) => cidr.family === ipFamily).map((cidr) => cidr.text);
    if (sources.length > 0) matches.push([keyword, 'saddr', `{ ${sources.join(', ')} }`, ...dport]);
  }
  return matches;
}

export function nftOpenings(chains: NftChain[], ports: number[], pid: number, allow: Cidr[]): Opening[] {
  const openings: Opening[] = [];
  for (const target of chains) {
    const where = [target.family, target.table, target.chain];
    for (const port of ports) {
      for (const match of nftMatches(target.family, port, allow)) {
        // --echo --handle: nft prints the rule with `# handle N`, the one way to delete exactly it.
        const open: ToolCommand = { tool: 'nft', args: ['--echo', '--handle', 'insert', 'rule', ...where, ...match, 'accept', 'comment', `"${ruleComment(pid, port)}"`] };
        openings.push({ backend: 'nftables', place: `nftables ${where.join(' ')}`, port, open, close: (printed) => deleteByHandle(target, parseHandle(printed)) });
      }
    }
  }
  return openings;
}

export function deleteByHandle(chain: NftChain, handle: number): ToolCommand {
  return { tool: 'nft', args: ['delete', 'rule', chain.family, chain.table, chain.chain, 'handle', String(handle)] };
}

/** The handle in what `nft --echo --handle insert rule ...` printed. */
export function parseHandle(printed: string): number {
  const match = /# handle (\d+)/.exec(printed);
  if (!match) throw new Error(`nft did not say the new rule's handle: ${printed.trim().split('\n')[0]}`);
  return Number(match[1]);
}
