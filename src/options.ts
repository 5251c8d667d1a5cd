// Pure parsing and validation of what the user typed: ports, host names, addresses, modes, paths.
import { isIP } from 'node:net';
import path from 'node:path';
import { usageError } from './errors.ts';

export const FIREWALL_MODES = ['auto', 'iptables', 'none'] as const;
export type FirewallMode = (typeof FIREWALL_MODES)[number];

/** Everything run() needs, validated; defaults that depend on the machine are filled in by run(). */
export interface ShareOptions {
  file: string;
  trackerPort: number | undefined;
  peerPort: number | undefined;
  hostname: string | undefined;
  ip: string | undefined;
  torrentPath: string | undefined;
  firewall: FirewallMode;
  json: boolean;
}

/** What commander hands over: positionals and flags, all still strings. */
export interface RawOptions {
  file: string;
  positionalPort?: string | undefined;
  positionalHostname?: string | undefined;
  positionalIp?: string | undefined;
  port?: string | undefined;
  peerPort?: string | undefined;
  hostname?: string | undefined;
  ip?: string | undefined;
  torrent?: string | undefined;
  firewall?: string | undefined;
  json?: boolean | undefined;
}

export function parsePort(value: string, what: string): number {
  const trimmed = value.trim();
  const port = /^\d{1,5}$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw usageError('BAD_PORT', `${what} \`${value}\` is not a port number`, 'use a whole number from 1 to 65535');
  }
  return port;
}

/** An address the tracker can hand to peers: a unicast IPv4 or IPv6 literal. */
export function parseAddress(value: string): string {
  const address = value.trim();
  // A zone index (`fe80::1%eth0`) means nothing on the recipient's machine.
  const family = address.includes('%') ? 0 : isIP(address);
  if (family === 0) {
    throw usageError('BAD_ADDRESS', `\`${value}\` is not an IP address`, 'give an IPv4 address like 192.0.2.10 or an IPv6 address like 2001:db8::10');
  }
  if (isUnspecifiedOrMulticast(address, family)) {
    throw usageError('BAD_ADDRESS', `\`${value}\` cannot be reached by a peer`, 'give the address of this machine that the recipient can reach');
  }
  return address;
}

function isUnspecifiedOrMulticast(address: string, family: number): boolean {
  if (family === 4) {
    const first = Number(address.split('.')[0]);
    return address === '0.0.0.0' || address === '255.255.255.255' || (first >= 224 && first <= 239);
  }
  const lower = address.toLowerCase();
  return lower === '::' || lower.startsWith('ff');
}

const HOST_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;

/** A host name (RFC 1123) or an IP literal, as it will appear in the announce URL. */
export function parseHostname(value: string): string {
  const name = value.trim();
  if (isIP(name) !== 0) return name;
  const withoutDot = name.endsWith('.') ? name.slice(0, -1) : name;
  const valid = withoutDot.length > 0 && withoutDot.length <= 253 && withoutDot.split('.').every((label) => HOST_LABEL.test(label));
  if (!valid) {
    throw usageError('BAD_HOSTNAME', `\`${value}\` is not a valid host name`, 'use letters, digits, hyphens and dots (like files.example.org), or an IP address');
  }
  return withoutDot;
}

export function parseFirewallMode(value: string): FirewallMode {
  const mode = FIREWALL_MODES.find((candidate) => candidate === value.trim().toLowerCase());
  if (!mode) {
    throw usageError('BAD_FIREWALL_MODE', `unknown firewall mode \`${value}\``, `use one of ${FIREWALL_MODES.join(', ')}`);
  }
  return mode;
}

/** The positional form (`file [port] [hostname] [ip]`) and the flags mean the same; both at once must agree. */
function pick(flag: string | undefined, positional: string | undefined, name: string): string | undefined {
  if (flag !== undefined && positional !== undefined && flag !== positional) {
    throw usageError('BAD_ARGUMENT', `${name} given twice, as \`${positional}\` and as \`${flag}\``, `give ${name} once`);
  }
  return flag ?? positional;
}

export function parseOptions(raw: RawOptions, cwd: string): ShareOptions {
  if (raw.file.trim() === '') {
    throw usageError('BAD_ARGUMENT', 'the file name is empty', 'name the file to share');
  }
  const port = pick(raw.port, raw.positionalPort, 'the tracker port');
  const hostname = pick(raw.hostname, raw.positionalHostname, 'the host name');
  const ip = pick(raw.ip, raw.positionalIp, 'the address');

  const trackerPort = port === undefined ? undefined : parsePort(port, 'tracker port');
  const peerPort = raw.peerPort === undefined ? undefined : parsePort(raw.peerPort, 'peer port');
  if (trackerPort !== undefined && peerPort !== undefined && trackerPort === peerPort) {
    throw usageError('BAD_PORT', `the tracker port and the peer port are both \`${trackerPort}\``, 'give them different ports');
  }
  if (trackerPort === 65535 && peerPort === undefined) {
    throw usageError('BAD_PORT', 'tracker port `65535` leaves no room for the peer port (tracker port + 1)', 'choose a lower port or set --peer-port');
  }

  return {
    file: path.resolve(cwd, raw.file),
    trackerPort,
    peerPort,
    hostname: hostname === undefined ? undefined : parseHostname(hostname),
    ip: ip === undefined ? undefined : parseAddress(ip),
    torrentPath: raw.torrent === undefined ? undefined : path.resolve(cwd, raw.torrent),
    firewall: raw.firewall === undefined ? 'auto' : parseFirewallMode(raw.firewall),
    json: raw.json ?? false,
  };
}
