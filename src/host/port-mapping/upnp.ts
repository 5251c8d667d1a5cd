// A UPnP IGD client: finds the router with SSDP, then maps, renews and deletes TCP ports over SOAP.
import { isIPv4 } from 'node:net';
import { defaultGateways, isGatewayAddress } from '../gateway.ts';
import { unmapIPv4 } from '../ip.ts';
import { DISCOVERY_TIMEOUT_MS, LEASE_SECONDS, REQUEST_TIMEOUT_MS, parseMappingDescription, type Mapping, type PortMapper } from './mapper.ts';
import { httpExchange, udpExchange } from './transport.ts';
import * as messages from './upnp-messages.ts';

/** UPnP errors (IGD WANIPConnection spec) that change what we do. */
const NO_SUCH_ENTRY = 714;
const ARRAY_INDEX_INVALID = 713;
const CONFLICT_IN_MAPPING_ENTRY = 718;
const ONLY_PERMANENT_LEASES = 725;
/** Another host holds the port: try this many other external ports before giving up. */
const CONFLICT_RETRIES = 4;
/** A router listing thousands of mappings is not worth walking through at every start. */
const MAX_ENTRIES_LISTED = 256;

export class UpnpError extends Error {
  readonly code: number;

  constructor(action: string, code: number, description: string) {
    super(`${action} failed with UPnP error ${code || '(none)'} (${description})`);
    this.code = code;
  }
}

/**
 * Finds the IGD of the default gateway within the time given; undefined when it does not answer.
 * Any host on the LAN can answer a multicast search, and the first to answer would get our
 * mappings and decide the address recipients are told: only the gateway is asked, at the address
 * it answered from, its description and its control URL on that same address. (A neighbour can
 * forge a UDP source address, not the TCP connections that fetch the description and post the
 * requests: those reach the gateway.)
 */
export async function discoverUpnp(timeoutMs = DISCOVERY_TIMEOUT_MS): Promise<UpnpMapper | undefined> {
  const started = performance.now();
  const gateways = await defaultGateways();
  // SSDP goes out over IPv4 (the mappings are IPv4's), so only an IPv4 gateway can answer it.
  const ipv4 = gateways.filter((gateway) => gateway.family === 4).map((gateway) => gateway.address);
  if (ipv4.length === 0) throw new Error('this host has no IPv4 default gateway');
  const strangers = new Set<string>();
  const location = await udpExchange({
    address: messages.SSDP_ADDRESS,
    port: messages.SSDP_PORT,
    packets: messages.ssdpSearches(),
    resendAfter: [400, 1000],
    timeoutMs,
    accept: (reply, from) => {
      const url = messages.parseSsdpReply(reply, from);
      if (!url || isGatewayAddress(gateways, url.hostname)) return url;
      strangers.add(from);
      return undefined;
    },
  });
  if (!location) {
    if (strangers.size === 0) return undefined;
    // Named in the message, a few at most: answers are untrusted, and so is their number.
    const named = [...strangers].slice(0, 3).join(', ') + (strangers.size > 3 ? ` and ${strangers.size - 3} more` : '');
    throw new Error(`${named} answered as a UPnP router, but only the default gateway (${ipv4.join(', ')}) is asked`);
  }
  const remaining = Math.max(500, timeoutMs - (performance.now() - started));
  const description = await httpExchange(location, { maxBytes: messages.MAX_DESCRIPTION_BYTES, timeoutMs: remaining });
  const control = description.status === 200 ? messages.parseDescription(description.body, location) : undefined;
  if (!control || !isGatewayAddress(gateways, control.controlUrl.hostname)) throw new Error(`the UPnP device at ${location.host} offers no port-mapping service`);
  const mapper = new UpnpMapper(control, unmapIPv4(description.localAddress));
  await mapper.learnExternalAddress();
  return mapper;
}

export class UpnpMapper implements PortMapper {
  readonly protocol = 'upnp';
  readonly router: string;
  externalAddress = '';
  /** Set when the router took only a permanent lease: the caller warns, and deletes it at exit as always. */
  permanentLease = false;

  readonly localAddress: string;
  readonly #control: messages.ControlPoint;

  constructor(control: messages.ControlPoint, localAddress: string) {
    this.#control = control;
    this.localAddress = localAddress;
    this.router = control.controlUrl.hostname;
  }

  async learnExternalAddress(): Promise<void> {
    const fields = await this.#call(messages.getExternalIpAddress(this.#control.serviceType));
    const address = fields.get('NewExternalIPAddress') ?? '';
    // Any IPv4 literal is taken as given: behind a carrier's NAT or in a lab it is private, and still what the router maps.
    if (!isIPv4(address) || address === '0.0.0.0') throw new Error(`the UPnP router at ${this.router} has no external address (it said \`${address}\`)`);
    this.externalAddress = address;
  }

  async map(internalPort: number, externalPort: number, description: string): Promise<Mapping> {
    let candidate = externalPort;
    let lease = this.permanentLease ? 0 : LEASE_SECONDS;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#call(messages.addPortMapping(this.#control.serviceType, { externalPort: candidate, internalPort, internalClient: this.localAddress, description, leaseSeconds: lease }));
        return { internalPort, externalPort: candidate, lifetimeSeconds: lease };
      } catch (error) {
        if (!(error instanceof UpnpError)) throw error;
        if (error.code === CONFLICT_IN_MAPPING_ENTRY && attempt < CONFLICT_RETRIES) {
          // Another host holds that external port: any free one will do, recipients are told which.
          candidate = 1024 + Math.floor(Math.random() * (65535 - 1024));
          continue;
        }
        if (error.code === ONLY_PERMANENT_LEASES && lease !== 0) {
          this.permanentLease = true;
          lease = 0;
          continue;
        }
        throw error;
      }
    }
  }

  async unmap(mapping: Mapping): Promise<void> {
    try {
      await this.#call(messages.deletePortMapping(this.#control.serviceType, mapping.externalPort));
    } catch (error) {
      // Already gone (expired, or removed on the router's page): nothing left to undo.
      if (!(error instanceof UpnpError && error.code === NO_SUCH_ENTRY)) throw error;
    }
  }

  async sweepStale(isRunning: (pid: number) => Promise<boolean>): Promise<string[]> {
    const stale: messages.MappingEntry[] = [];
    for (let index = 0; index < MAX_ENTRIES_LISTED; index++) {
      let fields: Map<string, string>;
      try {
        fields = await this.#call(messages.getGenericPortMappingEntry(this.#control.serviceType, index));
      } catch (error) {
        if (error instanceof UpnpError && (error.code === ARRAY_INDEX_INVALID || error.code === NO_SUCH_ENTRY || error.code === 402)) break;
        throw error;
      }
      const entry = messages.mappingEntry(fields);
      const tag = entry ? parseMappingDescription(entry.description) : undefined;
      if (!entry || !tag || entry.protocol !== 'TCP' || entry.internalClient !== this.localAddress) continue;
      if (!(await isRunning(tag.pid))) stale.push(entry);
    }
    // Deleted after the walk: deleting while listing shifts the indexes.
    for (const entry of stale) await this.unmap({ internalPort: entry.internalPort, externalPort: entry.externalPort, lifetimeSeconds: 0 });
    return stale.map((entry) => `UPnP mapping of external port ${entry.externalPort} left by ${entry.description}`);
  }

  async #call(request: messages.SoapRequest): Promise<Map<string, string>> {
    const reply = await httpExchange(this.#control.controlUrl, {
      body: request.body,
      soapAction: `${request.serviceType}#${request.action}`,
      maxBytes: messages.MAX_SOAP_BYTES,
      timeoutMs: REQUEST_TIMEOUT_MS,
    });
    const result = messages.parseSoapReply(reply.status, reply.body);
    if (!result.ok) throw new UpnpError(request.action, result.code, result.description);
    return result.fields;
  }
}
