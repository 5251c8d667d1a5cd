// NAT-PMP (RFC 6886) packets as bytes: pure builders, and parsers that check every length and field.

export const NATPMP_PORT = 5351;
const VERSION = 0;
const OP_EXTERNAL_ADDRESS = 0;
const OP_MAP_TCP = 2;
const REPLY = 128;

/** Result codes of RFC 6886 section 3.5, for messages that say why a router refused. */
const RESULTS: Record<number, string> = {
  1: 'unsupported version',
  2: 'not authorized or refused',
  3: 'network failure',
  4: 'out of resources',
  5: 'unsupported opcode',
};

export function externalAddressRequest(): Buffer {
  return Buffer.from([VERSION, OP_EXTERNAL_ADDRESS]);
}

/** A TCP mapping request; lifetime 0 with external port 0 deletes the mapping (RFC 6886 3.4). */
export function mapRequest(internalPort: number, suggestedExternalPort: number, lifetimeSeconds: number): Buffer {
  const packet = Buffer.alloc(12);
  packet.writeUInt8(VERSION, 0);
  packet.writeUInt8(OP_MAP_TCP, 1);
  packet.writeUInt16BE(internalPort, 4);
  packet.writeUInt16BE(suggestedExternalPort, 6);
  packet.writeUInt32BE(lifetimeSeconds, 8);
  return packet;
}

export type NatPmpReply<T> = { ok: true; value: T } | { ok: false; reason: string };

export function parseExternalAddressReply(packet: Buffer): NatPmpReply<string> | undefined {
  const header = checkHeader(packet, OP_EXTERNAL_ADDRESS, 12);
  if (header !== 'ok') return header;
  const address = [...packet.subarray(8, 12)].join('.');
  if (address === '0.0.0.0') return { ok: false, reason: 'the router has no external address yet' };
  return { ok: true, value: address };
}

export interface NatPmpMapping {
  internalPort: number;
  externalPort: number;
  lifetimeSeconds: number;
}

/** A mapping reply; undefined when the packet is not a reply to `internalPort` (ignore it, keep waiting). */
export function parseMapReply(packet: Buffer, internalPort: number): NatPmpReply<NatPmpMapping> | undefined {
  const header = checkHeader(packet, OP_MAP_TCP, 16);
  if (header !== 'ok') return header;
  const mapping = { internalPort: packet.readUInt16BE(8), externalPort: packet.readUInt16BE(10), lifetimeSeconds: packet.readUInt32BE(12) };
  if (mapping.internalPort !== internalPort) return undefined;
  return { ok: true, value: mapping };
}

function checkHeader(packet: Buffer, op: number, length: number): NatPmpReply<never> | undefined | 'ok' {
  if (packet.length < 4 || packet.length > 1100 || packet[0] !== VERSION || packet[1] !== REPLY + op) return undefined;
  const result = packet.readUInt16BE(2);
  if (result !== 0) return { ok: false, reason: RESULTS[result] ?? `result code ${result}` };
  return packet.length >= length ? 'ok' : undefined;
}
