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

async function resolveAll(hostname: string): Promise<string[]> {
  try {
    return (await lookup(hostname, { all: true })).map((entry) => entry.address);
  } catch {
    return [];
  }
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
