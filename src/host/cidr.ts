// Address ranges as `--allow` takes them: parsed into canonical form (as iptables prints them), and
// the check that the tracker and the seeder make of every source address.
import { BlockList, isIP } from 'node:net';
import type { NetworkInterfaceInfo } from 'node:os';
import { usageError } from '../errors.ts';
import { unmapIPv4 } from './ip.ts';

/** An address range, as `--allow` takes it. */
export interface Cidr {
  family: 4 | 6;
  address: string;
  prefix: number;
  /** Canonical `address/prefix`, as iptables prints it. */
  text: string;
}

/** `10.0.0.0/8`, `2001:db8::/32`, or a single address (a /32 or /128). */
export function parseCidr(value: string): Cidr {
  const [address = '', prefixText, extra] = value.trim().split('/');
  const family = address.includes('%') ? 0 : isIP(address);
  const maxPrefix = family === 6 ? 128 : 32;
  const prefix = prefixText === undefined ? maxPrefix : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
  if (family === 0 || extra !== undefined || !(prefix >= 0 && prefix <= maxPrefix)) {
    throw usageError('BAD_ADDRESS', `\`${value}\` is not an address range`, 'give an address or a range like 192.0.2.0/24 or 2001:db8::/32');
  }
  const network = networkAddress(address, family === 6 ? 6 : 4, prefix);
  return { family: family === 6 ? 6 : 4, address: network, prefix, text: `${network}/${prefix}` };
}

/** The range's first address, so that `10.1.2.3/8` reads `10.0.0.0/8` as iptables shows it. */
function networkAddress(address: string, family: 4 | 6, prefix: number): string {
  const bytes = family === 4 ? address.split('.').map(Number) : expandIpv6(address);
  for (let bit = prefix; bit < bytes.length * 8; bit++) bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  if (family === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let index = 0; index < 16; index += 2) groups.push(((bytes[index]! << 8) | bytes[index + 1]!).toString(16));
  return compressIpv6(groups);
}

/**
 * What counts as one source of connections: an IPv4 address, or an IPv6 /64 (a host picks its
 * addresses from its /64 at will, so counting single IPv6 addresses would limit nothing).
 */
export function sourceKey(ip: string): string {
  const address = unmapIPv4(ip.split('%')[0] ?? '');
  if (isIP(address) !== 6) return address;
  const bytes = expandIpv6(address);
  const groups = [0, 2, 4, 6].map((at) => ((bytes[at]! << 8) | bytes[at + 1]!).toString(16));
  return `${groups.join(':')}::/64`;
}

function expandIpv6(address: string): number[] {
  const [head = '', tail] = address.split('::');
  const parse = (part: string): string[] => (part === '' ? [] : part.split(':'));
  let groups = parse(head);
  if (tail !== undefined) {
    const after = parse(tail);
    groups = [...groups, ...Array<string>(8 - groups.length - after.length).fill('0'), ...after];
  }
  return groups.flatMap((group) => {
    const value = Number.parseInt(group, 16);
    return [value >> 8, value & 0xff];
  });
}

function compressIpv6(groups: string[]): string {
  let bestStart = -1;
  let bestLength = 0;
  for (let start = 0; start < groups.length; start++) {
    let length = 0;
    while (groups[start + length] === '0') length += 1;
    if (length > bestLength && length > 1) {
      bestStart = start;
      bestLength = length;
    }
  }
  if (bestStart < 0) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLength).join(':')}`;
}

/** Loopback always passes: our own seeder announces over it, and it never crosses the firewall. */
export function allowsAddress(allow: Cidr[]): (ip: string) => boolean {
  if (allow.length === 0) return () => true;
  const list = new BlockList();
  list.addSubnet('127.0.0.0', 8, 'ipv4');
  list.addAddress('::1', 'ipv6');
  for (const cidr of allow) list.addSubnet(cidr.address, cidr.prefix, cidr.family === 4 ? 'ipv4' : 'ipv6');
  return (ip) => {
    const address = unmapIPv4(ip);
    return list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
  };
}

const NOT_PUBLIC = new BlockList();
for (const [network, prefix] of [['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16], ['100.64.0.0', 10], ['169.254.0.0', 16], ['127.0.0.0', 8], ['192.0.2.0', 24], ['198.51.100.0', 24], ['203.0.113.0', 24], ['198.18.0.0', 15]] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [['fc00::', 7], ['fe80::', 10], ['::1', 128], ['2001:db8::', 32]] as const) NOT_PUBLIC.addSubnet(network, prefix, 'ipv6');

/** An address the internet routes to us: not private, shared (CGNAT), link-local, loopback or documentation. */
export function isPublic(ip: string): boolean {
  const address = unmapIPv4(ip);
  const family = isIP(address);
  if (family === 0) return false;
  return !NOT_PUBLIC.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/** Whether an address is on one of these interfaces' subnets (or loopback): a requester on our LAN. */
export function onLinkTest(interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>): (ip: string) => boolean {
  const list = new BlockList();
  list.addSubnet('127.0.0.0', 8, 'ipv4');
  list.addAddress('::1', 'ipv6');
  for (const entries of Object.values(interfaces)) {
    for (const entry of entries ?? []) {
      const [network, prefix] = (entry.cidr ?? '').split('/');
      if (!network || prefix === undefined) continue;
      const family = entry.family === 'IPv6' ? 6 : 4;
      list.addSubnet(networkAddress(network, family, Number(prefix)), Number(prefix), family === 6 ? 'ipv6' : 'ipv4');
    }
  }
  return (ip) => {
    const address = unmapIPv4(ip.split('%')[0] ?? '');
    const family = isIP(address);
    return family !== 0 && list.check(address, family === 6 ? 'ipv6' : 'ipv4');
  };
}
