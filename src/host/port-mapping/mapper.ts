// What the UPnP and NAT-PMP clients have in common: a router that maps a TCP port for a while.

export type MappingProtocol = 'upnp' | 'nat-pmp';

export interface Mapping {
  internalPort: number;
  externalPort: number;
  /** What the router granted; 0 means until deleted (a router that takes no other lease). */
  lifetimeSeconds: number;
}

export interface PortMapper {
  protocol: MappingProtocol;
  /** The router's address on our side, for messages. */
  router: string;
  /** The router's external address, as it says: accepted as given, private or not. */
  externalAddress: string;
  /** Our own address as the router sees it: the LAN address recipients on the LAN reach. */
  localAddress: string;
  /** Maps `internalPort`, asking for `externalPort`; the router may grant another (the answer says which). */
  map(internalPort: number, externalPort: number, description: string): Promise<Mapping>;
  unmap(mapping: Mapping): Promise<void>;
  /** Removes mappings that dead share-file processes left pointing at this host; what it removed, for notices. */
  sweepStale(isRunning: (pid: number) => Promise<boolean>): Promise<string[]>;
}

/** Requested lease: an hour, renewed at half-life; routers (miniupnpd) turn a requested 0 into a week or forever. */
export const LEASE_SECONDS = 3600;
/** How long discovery may take before a router counts as absent. */
export const DISCOVERY_TIMEOUT_MS = 2000;
/** Each request to a router that did answer once. */
export const REQUEST_TIMEOUT_MS = 3000;

const TAG_PATTERN = /^share-file pid=(\d+) port=(\d+)$/;

/** Tags a mapping as ours, like the firewall rules: the next start can tell a crashed run's leftovers. */
export function mappingDescription(pid: number, port: number): string {
  return `share-file pid=${pid} port=${port}`;
}

export function parseMappingDescription(description: string): { pid: number; port: number } | undefined {
  const match = TAG_PATTERN.exec(description);
  return match ? { pid: Number(match[1]), port: Number(match[2]) } : undefined;
}
