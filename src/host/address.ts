// The visible address: what the tracker tells recipients our seeder is at.
import { lookup } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { isIP } from 'node:net';
import { ShareFileError } from '../errors.ts';
import { isLoopback } from './ip.ts';

export interface VisibleAddress {
  ip: string;
  /** Set when the address was not the obvious one, to say which was chosen and why. */
  notice: string | undefined;
}

/**
 * The host name's own address, unless it is loopback (Debian maps the host name to 127.0.1.1):
 * then the address of the interface that carries the default route, else the first external one.
 */
export async function chooseVisibleAddress(hostname: string): Promise<VisibleAddress> {
  const resolved = isIP(hostname) !== 0 ? [hostname] : await resolveAll(hostname);
  const usable = resolved.find((ip) => !isLoopback(ip) && isIP(ip) === 4) ?? resolved.find((ip) => !isLoopback(ip));
  if (usable) return { ip: usable, notice: undefined };

  const fallback = await interfaceAddress();
  if (!fallback) {
    throw new ShareFileError('BAD_ADDRESS', `\`${hostname}\` resolves to ${resolved.length ? resolved.join(', ') : 'nothing'} and this machine has no other address`, {
      hint: 'give the address the recipient can reach with --ip',
    });
  }
  const why = resolved.length ? `\`${hostname}\` resolves to loopback ${resolved.join(', ')}` : `\`${hostname}\` does not resolve here`;
  return {
    ip: fallback.ip,
    notice: `${why}; telling peers ${fallback.ip} (${fallback.source}); set --ip to use another address`,
  };
}

/**
 * The host the URLs carry. A name given with -H is the user's word. The machine's own name is used
 * only where recipients can resolve it: not a bare single-label name (no DNS serves it to others),
 * and not one that resolves only to loopback here (Debian's 127.0.1.1), else the visible address.
 */
export async function chooseUrlHost(givenName: string | undefined, machineName: string, visibleIp: string): Promise<{ host: string; notice: string | undefined }> {
  if (givenName !== undefined) return { host: givenName, notice: undefined };
  if (isIP(machineName) !== 0) return { host: machineName, notice: undefined };
  const resolved = await resolveAll(machineName);
  const why = !machineName.includes('.')
    ? `the host name \`${machineName}\` is a bare name other machines may not resolve`
    : resolved.length === 0
      ? `the host name \`${machineName}\` does not resolve here`
      : resolved.every(isLoopback)
        ? `the host name \`${machineName}\` resolves only to loopback here`
        : undefined;
  if (why === undefined) return { host: machineName, notice: undefined };
  return { host: visibleIp, notice: `${why}, so the URLs carry ${visibleIp}; give -H <name> to put a name recipients resolve in them` };
}

/**
 * The IPv6 address IPv6 peers get: a global (preferred) or unique-local address of the interface
 * that carries the IPv6 default route; undefined without one (link-local means nothing to a peer).
 */
export async function defaultIpv6Address(): Promise<string | undefined> {
  const name = await defaultIpv6RouteInterface();
  if (name === undefined) return undefined;
  const candidates = (networkInterfaces()[name] ?? []).filter((entry) => entry.family === 'IPv6' && !entry.internal && /^[23]|^f[cd]/i.test(entry.address));
  return (candidates.find((entry) => /^[23]/.test(entry.address)) ?? candidates[0])?.address;
}

/** /proc/net/ipv6_route: destination, prefix length, ..., interface; the default route is ::/0. */
async function defaultIpv6RouteInterface(): Promise<string | undefined> {
  try {
    const table = await readFile('/proc/net/ipv6_route', 'utf8');
    for (const line of table.split('\n')) {
      const fields = line.trim().split(/\s+/);
      if (fields.length >= 10 && /^0{32}$/.test(fields[0]!) && fields[1] === '00' && fields[9] !== 'lo') return fields[9];
    }
  } catch {
    // No IPv6, or not Linux.
  }
  return undefined;
}

/** Lookups already made: the visible address and the URL host both ask about the machine's name. */
const lookups = new Map<string, Promise<string[]>>();

/** Every address of a name, or none; each name is looked up once (a DNS timeout is paid once). */
function resolveAll(hostname: string): Promise<string[]> {
  let addresses = lookups.get(hostname);
  if (!addresses) {
    addresses = lookup(hostname, { all: true }).then((entries) => entries.map((entry) => entry.address), () => []);
    lookups.set(hostname, addresses);
  }
  return addresses;
}

async function interfaceAddress(): Promise<{ ip: string; source: string } | undefined> {
  const interfaces = networkInterfaces();
  const external = (name: string): NetworkInterfaceInfo | undefined =>
    interfaces[name]?.find((entry) => !entry.internal && entry.family === 'IPv4') ??
    interfaces[name]?.find((entry) => !entry.internal && !entry.address.toLowerCase().startsWith('fe80'));

  const routeInterface = await defaultRouteInterface();
  const viaRoute = routeInterface === undefined ? undefined : external(routeInterface);
  if (viaRoute && routeInterface) return { ip: viaRoute.address, source: `interface ${routeInterface}, which carries the default route` };

  for (const name of Object.keys(interfaces)) {
    const entry = external(name);
    if (entry) return { ip: entry.address, source: `interface ${name}` };
  }
  return undefined;
}

/** Linux lists routes in /proc/net/route; the default one has destination 00000000. */
async function defaultRouteInterface(): Promise<string | undefined> {
  try {
    const table = await readFile('/proc/net/route', 'utf8');
    for (const line of table.split('\n').slice(1)) {
      const [name, destination, , , , , , mask] = line.trim().split(/\s+/);
      if (name && destination === '00000000' && mask === '00000000') return name;
    }
  } catch {
    // Not Linux, or /proc is not mounted: fall back to the interface list.
  }
  return undefined;
}
