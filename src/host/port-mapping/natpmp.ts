// A NAT-PMP client (RFC 6886): asks the default gateway for its external address and TCP mappings.
import { createSocket } from 'node:dgram';
import { defaultGateways } from '../gateway.ts';
import { DISCOVERY_TIMEOUT_MS, LEASE_SECONDS, REQUEST_TIMEOUT_MS, type Mapping, type PortMapper } from './mapper.ts';
import * as messages from './natpmp-messages.ts';
import { udpExchange } from './transport.ts';

/** RFC 6886 starts at 250 ms and doubles; within the discovery budget that is three more sends. */
const RESENDS_MS = [250, 750, 1750];

/** The gateway's NAT-PMP answer within the time given; undefined when there is no gateway or it is silent. */
export async function discoverNatPmp(timeoutMs = DISCOVERY_TIMEOUT_MS): Promise<NatPmpMapper | undefined> {
  const gateway = await defaultGateway();
  if (!gateway) throw new Error('this host has no IPv4 default gateway');
  const reply = await udpExchange({
    address: gateway,
    port: messages.NATPMP_PORT,
    packets: [messages.externalAddressRequest()],
    resendAfter: RESENDS_MS.filter((delay) => delay < timeoutMs),
    timeoutMs,
    // Only the gateway's answer counts: anyone else on the LAN can send a packet to our socket.
    accept: (packet, from) => (from === gateway ? messages.parseExternalAddressReply(packet) : undefined),
  });
  if (!reply) return undefined;
  if (!reply.ok) throw new Error(`the NAT-PMP router at ${gateway} gives no external address (${reply.reason})`);
  return new NatPmpMapper(gateway, reply.value, await localAddressTowards(gateway));
}

export class NatPmpMapper implements PortMapper {
  readonly protocol = 'nat-pmp';
  readonly router: string;
  readonly externalAddress: string;
  readonly localAddress: string;

  constructor(router: string, externalAddress: string, localAddress: string) {
    this.router = router;
    this.externalAddress = externalAddress;
    this.localAddress = localAddress;
  }

  async map(internalPort: number, externalPort: number): Promise<Mapping> {
    // The router picks the external port; the one asked for is only a suggestion (RFC 6886 3.3).
    const mapping = await this.#request(internalPort, externalPort, LEASE_SECONDS);
    if (mapping.lifetimeSeconds === 0 || mapping.externalPort === 0) throw new Error(`the NAT-PMP router at ${this.router} granted no mapping for port ${internalPort}`);
    return mapping;
  }

  async unmap(mapping: Mapping): Promise<void> {
    await this.#request(mapping.internalPort, 0, 0);
  }

  /** NAT-PMP cannot list mappings; a crashed run's own expire within the hour they were granted for. */
  sweepStale(): Promise<string[]> {
    return Promise.resolve([]);
  }

  async #request(internalPort: number, externalPort: number, lifetimeSeconds: number): Promise<Mapping> {
    const reply = await udpExchange({
      address: this.router,
      port: messages.NATPMP_PORT,
      packets: [messages.mapRequest(internalPort, externalPort, lifetimeSeconds)],
      resendAfter: RESENDS_MS,
      timeoutMs: REQUEST_TIMEOUT_MS,
      accept: (packet, from) => (from === this.router ? messages.parseMapReply(packet, internalPort) : undefined),
    });
    if (!reply) throw new Error(`the NAT-PMP router at ${this.router} did not answer within ${REQUEST_TIMEOUT_MS} ms`);
    if (!reply.ok) throw new Error(`the NAT-PMP router at ${this.router} refused port ${internalPort}: ${reply.reason}`);
    return reply.value;
  }
}

/** NAT-PMP speaks IPv4 to the gateway our traffic leaves by: the IPv4 default route of lowest metric. */
async function defaultGateway(): Promise<string | undefined> {
  return (await defaultGateways()).find((gateway) => gateway.family === 4)?.address;
}

/** Our address on the way to `gateway`: a connected UDP socket learns it without sending anything. */
function localAddressTowards(gateway: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.on('error', () => {
      socket.close();
      resolve('');
    });
    socket.connect(messages.NATPMP_PORT, gateway, () => {
      const { address } = socket.address();
      socket.close();
      resolve(address);
    });
  });
}
