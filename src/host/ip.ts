// Addresses as sockets give them and as URLs and people need them: one place for IPv4-mapped IPv6
// and for the brackets around IPv6.
import { isIPv4 } from 'node:net';

/** `::ffff:192.0.2.1` (an IPv4 peer on a dual-stack socket) as plain `192.0.2.1`; anything else as is. */
export function unmapIPv4(ip: string): string {
  return /^::ffff:/i.test(ip) && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
}

/** An IPv6 address as `new URL` prints it (lower case, longest zero run shortened), for comparisons. */
export function canonicalIp(ip: string | undefined): string | undefined {
  if (ip === undefined || !ip.includes(':')) return ip;
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
}

export function isLoopback(ip: string): boolean {
  const address = unmapIPv4(ip);
  return address.startsWith('127.') || address === '::1';
}

/** A host as it stands in a URL or before `:port`: IPv6 in brackets. */
export function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** `ip:port`, with IPv6 in brackets and IPv4-mapped IPv6 shown as plain IPv4. */
export function formatAddress(ip: string, port: number): string {
  return `${urlHost(unmapIPv4(ip))}:${port}`;
}
