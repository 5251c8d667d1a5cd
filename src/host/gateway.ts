// The default gateways, as the kernel's routing tables list them: the routers port mapping may talk
// to. Anything else on the LAN that claims to be a router is a neighbour, not ours to trust.
import { readFile } from 'node:fs/promises';
import { isIPv4, isIPv6 } from 'node:net';
import { canonicalIp, unmapIPv4 } from './ip.ts';

export interface Gateway {
  family: 4 | 6;
  /** IPv4 dotted quad, or IPv6 as `new URL` prints it (a link-local one needs `interface` too). */
  address: string;
  interface: string;
  metric: number;
}

/** Route flags of <linux/route.h>: a default route is up and goes via a gateway; a reject route goes nowhere. */
const RTF_UP = 0x0001;
const RTF_GATEWAY = 0x0002;
const RTF_REJECT = 0x0200;

function isDefaultVia(flags: number): boolean {
  return (flags & RTF_UP) !== 0 && (flags & RTF_GATEWAY) !== 0 && (flags & RTF_REJECT) === 0;
}

const byMetric = (a: Gateway, b: Gateway): number => a.metric - b.metric;

/**
 * The IPv4 default gateways of /proc/net/route, lowest metric first. Columns: Iface, Destination,
 * Gateway, Flags, RefCnt, Use, Metric, Mask; addresses in little-endian hex, flags in hex, metric in decimal.
 */
export function parseIpv4Routes(table: string): Gateway[] {
  const gateways: Gateway[] = [];
  for (const line of table.split('\n').slice(1)) {
    const [name, destination, via, flags, , , metric, mask] = line.trim().split(/\s+/);
    if (destination !== '00000000' || mask !== '00000000' || !name || !via || !/^[0-9A-F]{8}$/i.test(via) || !/^[0-9A-F]{1,8}$/i.test(flags ?? '')) continue;
    if (!isDefaultVia(Number.parseInt(flags!, 16)) || !/^\d{1,10}$/.test(metric ?? '')) continue;
    const value = Number.parseInt(via, 16);
    if (value === 0) continue;
    const address = [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24].join('.');
    gateways.push({ family: 4, address, interface: name, metric: Number(metric) });
  }
  return gateways.sort(byMetric);
}

/**
 * The IPv6 default gateways of /proc/net/ipv6_route, lowest metric first. Columns: destination,
 * its prefix length, source, its prefix length, next hop, metric, refcount, use, flags, device; all hex.
 */
export function parseIpv6Routes(table: string): Gateway[] {
  const gateways: Gateway[] = [];
  for (const line of table.split('\n')) {
    const [destination, length, , , nextHop, metric, , , flags, name] = line.trim().split(/\s+/);
    if (destination !== '0'.repeat(32) || length !== '00' || !name || !/^[0-9a-f]{32}$/i.test(nextHop ?? '') || /^0{32}$/.test(nextHop!)) continue;
    if (!/^[0-9a-f]{8}$/i.test(flags ?? '') || !/^[0-9a-f]{8}$/i.test(metric ?? '') || !isDefaultVia(Number.parseInt(flags!, 16))) continue;
    const address = canonicalIp(nextHop!.match(/.{4}/g)!.join(':'))!;
    gateways.push({ family: 6, address, interface: name, metric: Number.parseInt(metric!, 16) });
  }
  return gateways.sort(byMetric);
}

/** Both families' default gateways; none where the tables cannot be read (not Linux). */
export async function defaultGateways(): Promise<Gateway[]> {
  const read = (file: string): Promise<string> => readFile(file, 'utf8').catch(() => '');
  const [ipv4, ipv6] = await Promise.all([read('/proc/net/route'), read('/proc/net/ipv6_route')]);
  return [...parseIpv4Routes(ipv4), ...parseIpv6Routes(ipv6)];
}

/**
 * Whether `address` (as a socket or a URL gives it: IPv4-mapped, bracketed or not) is one of the
 * gateways. Strict: a string that is not an IP address literal never is.
 */
export function isGatewayAddress(gateways: Gateway[], address: string): boolean {
  const bare = unmapIPv4(address.replace(/^\[(.*)\]$/, '$1'));
  // A scoped address (fe80::1%eth0) names a host only together with its interface: never taken.
  if (!isIPv4(bare) && !(isIPv6(bare) && !bare.includes('%'))) return false;
  const wanted = canonicalIp(bare);
  return gateways.some((gateway) => gateway.address === wanted);
}
