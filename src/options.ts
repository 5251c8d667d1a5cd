// Pure parsing and validation of what the user typed: ports, host names, addresses, modes, paths.
import { isIP } from 'node:net';
import path from 'node:path';
import ms from 'ms';
import { usageError } from './errors.ts';
import type { Cidr } from './host/cidr.ts';
import { parseCidr } from './host/cidr.ts';

export const FIREWALL_MODES = ['auto', 'firewalld', 'nftables', 'ufw', 'iptables', 'none'] as const;
export type FirewallMode = (typeof FIREWALL_MODES)[number];
export const PORT_MAP_MODES = ['auto', 'upnp', 'nat-pmp', 'none'] as const;
export type PortMapMode = (typeof PORT_MAP_MODES)[number];

/** Everything run() needs, validated; defaults that depend on the machine are filled in by run(). */
export interface ShareOptions {
  file: string;
  /** The torrent's name, what recipients save it as; undefined: the base name of `file`. */
  name: string | undefined;
  trackerPort: number | undefined;
  peerPort: number | undefined;
  hostname: string | undefined;
  ip: string | undefined;
  /** The IPv6 address handed to IPv6 peers; undefined: --ip's if it is IPv6, else the default route's. */
  ip6: string | undefined;
  torrentPath: string | undefined;
  firewall: FirewallMode;
  /** Ask the router to forward the ports (UPnP IGD, NAT-PMP). */
  portMap: PortMapMode;
  /** Sources allowed in (firewall, tracker, seeder); empty for everyone. */
  allow: Cidr[];
  /** Other trackers to share through instead of our own; empty for our own. */
  announce: string[];
  /** List our HTTP server in the .torrent as a web seed (BEP 19). */
  webSeed: boolean;
  /** Accept only RC4-encrypted peer connections (MSE), no plain BitTorrent handshakes. */
  requireEncryption: boolean;
  json: boolean;
  /** Stop cleanly once this many peers have the whole file. */
  exitAfter: number | undefined;
  /** Stop cleanly after this many milliseconds of seeding. */
  timeoutMs: number | undefined;
  quiet: boolean;
  qr: boolean;
}

/** What commander hands over: positionals and flags, all still strings. */
export interface RawOptions {
  file: string;
  name?: string | undefined;
  positionalPort?: string | undefined;
  positionalHostname?: string | undefined;
  positionalIp?: string | undefined;
  port?: string | undefined;
  peerPort?: string | undefined;
  hostname?: string | undefined;
  ip?: string | undefined;
  ip6?: string | undefined;
  torrent?: string | undefined;
  firewall?: string | undefined;
  portMap?: string | undefined;
  allow?: string[] | undefined;
  announce?: string[] | undefined;
  webSeed?: boolean | undefined;
  requireEncryption?: boolean | undefined;
  json?: boolean | undefined;
  exitAfter?: string | undefined;
  timeout?: string | undefined;
  quiet?: boolean | undefined;
  qr?: boolean | undefined;
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

export function parseCount(value: string, what: string): number {
  const count = /^\s*\d{1,9}\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!(count >= 1)) throw usageError('BAD_ARGUMENT', `${what} \`${value}\` is not a whole number of at least 1`, 'give a count such as 1 or 3');
  return count;
}

/** `90s`, `15m`, `2h`, `1.5h`, `1d`, parsed by `ms`; a unit is required, so `10` is not 10 ms by surprise. */
export function parseDuration(value: string, what: string): number {
  const trimmed = value.trim();
  const milliseconds = /[a-z]\s*$/i.test(trimmed) ? ms(trimmed as ms.StringValue) : undefined;
  if (milliseconds === undefined || !Number.isFinite(milliseconds) || milliseconds <= 0) {
    throw usageError('BAD_ARGUMENT', `${what} \`${value}\` is not a duration`, 'give a positive number with a unit, such as 90s, 15m or 2h');
  }
  return milliseconds;
}

/**
 * `--name`: one file or folder name, as recipients' clients will create it (a block device's own
 * name, such as `dm-3` or `loop0`, says nothing to them).
 */
export function parseName(value: string): string {
  const name = value.trim();
  if (name === '' || name === '.' || name === '..' || /[/\0]/.test(name) || Buffer.byteLength(name) > 255) {
    throw usageError('BAD_ARGUMENT', `--name \`${value}\` is not a file name`, 'give a name without slashes, such as vm-disk.img');
  }
  return name;
}

const TRACKER_PROTOCOLS = ['http:', 'https:', 'udp:'];

/** A tracker's announce URL: HTTP(S) or UDP (BEP 15). WebSocket trackers need WebRTC, which share-file leaves out. */
export function parseAnnounceUrl(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value.trim());
  } catch {
    url = undefined;
  }
  if (!url || !TRACKER_PROTOCOLS.includes(url.protocol) || url.hostname === '' || (url.protocol === 'udp:' && url.port === '')) {
    throw usageError('BAD_URL', `\`${value}\` is not a tracker announce URL`, 'give an http://, https:// or udp:// URL with a host, such as http://tracker.example:6969/announce');
  }
  return url.href;
}

export function parseFirewallMode(value: string): FirewallMode {
  const mode = FIREWALL_MODES.find((candidate) => candidate === value.trim().toLowerCase());
  if (!mode) {
    throw usageError('BAD_FIREWALL_MODE', `unknown firewall mode \`${value}\``, `use one of ${FIREWALL_MODES.join(', ')}`);
  }
  return mode;
}

export function parsePortMapMode(value: string): PortMapMode {
  const mode = PORT_MAP_MODES.find((candidate) => candidate === value.trim().toLowerCase());
  if (!mode) {
    throw usageError('BAD_PORT_MAP_MODE', `unknown port-map mode \`${value}\``, `use one of ${PORT_MAP_MODES.join(', ')}`);
  }
  return mode;
}

/** `--ip6`: an IPv6 address peers can reach. */
export function parseIpv6Address(value: string): string {
  const address = parseAddress(value);
  if (isIP(address) !== 6) throw usageError('BAD_ADDRESS', `\`${value}\` is not an IPv6 address`, 'give an IPv6 address like 2001:db8::10 with --ip6, and an IPv4 one with --ip');
  return address;
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
    name: raw.name === undefined ? undefined : parseName(raw.name),
    trackerPort,
    peerPort,
    hostname: hostname === undefined ? undefined : parseHostname(hostname),
    ip: ip === undefined ? undefined : parseAddress(ip),
    ip6: raw.ip6 === undefined ? undefined : parseIpv6Address(raw.ip6),
    torrentPath: raw.torrent === undefined ? undefined : path.resolve(cwd, raw.torrent),
    firewall: raw.firewall === undefined ? 'auto' : parseFirewallMode(raw.firewall),
    portMap: raw.portMap === undefined ? 'auto' : parsePortMapMode(raw.portMap),
    allow: (raw.allow ?? []).map(parseCidr),
    announce: [...new Set((raw.announce ?? []).map(parseAnnounceUrl))],
    webSeed: raw.webSeed ?? false,
    requireEncryption: raw.requireEncryption ?? false,
    json: raw.json ?? false,
    exitAfter: raw.exitAfter === undefined ? undefined : parseCount(raw.exitAfter, '--exit-after'),
    timeoutMs: raw.timeout === undefined ? undefined : parseDuration(raw.timeout, '--timeout'),
    quiet: raw.quiet ?? false,
    qr: raw.qr ?? false,
  };
}
