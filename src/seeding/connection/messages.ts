// The BitTorrent messages the seeder sends and the numbers of those it reads (BEP 3, 6, 10).
import { MAX_BLOCK_LENGTH } from './limits.ts';

export const PROTOCOL = Buffer.from('\u0013BitTorrent protocol', 'latin1');
export const HANDSHAKE_LENGTH = 68;

export const MessageId = {
  choke: 0,
  unchoke: 1,
  interested: 2,
  notInterested: 3,
  have: 4,
  bitfield: 5,
  request: 6,
  piece: 7,
  cancel: 8,
  port: 9,
  suggest: 0x0d,
  haveAll: 0x0e,
  haveNone: 0x0f,
  reject: 0x10,
  allowedFast: 0x11,
  extended: 20,
} as const;

/** Reserved bits we set: extension protocol (BEP 10) and fast extension (BEP 6); no DHT. */
export function handshake(infoHash: Buffer, peerId: Buffer): Buffer {
  const reserved = Buffer.alloc(8);
  reserved[5] = 0x10;
  reserved[7] = 0x04;
  return Buffer.concat([PROTOCOL, reserved, infoHash, peerId]);
}

/** The parts of a peer's 68-byte handshake that matter here. */
export interface PeerHandshake {
  infoHash: Buffer;
  peerId: Buffer;
  fast: boolean;
  extended: boolean;
}

export function parseHandshake(bytes: Buffer): PeerHandshake | undefined {
  if (bytes.length !== HANDSHAKE_LENGTH || !bytes.subarray(0, 20).equals(PROTOCOL)) return undefined;
  return {
    infoHash: bytes.subarray(28, 48),
    peerId: bytes.subarray(48, 68),
    fast: (bytes[27]! & 0x04) !== 0,
    extended: (bytes[25]! & 0x10) !== 0,
  };
}

function message(id: number, payloadLength: number): Buffer {
  const bytes = Buffer.allocUnsafe(5 + payloadLength);
  bytes.writeUInt32BE(1 + payloadLength, 0);
  bytes[4] = id;
  return bytes;
}

export function simple(id: number): Buffer {
  return message(id, 0);
}

export const keepAlive = (): Buffer => Buffer.alloc(4);

export function have(index: number): Buffer {
  const buffer = Buffer.alloc(9);
  buffer.writeUInt32BE(5, 0);
  buffer[4] = MessageId.have;
  buffer.writeUInt32BE(index, 5);
  return buffer;
}

export function bitfield(bits: Uint8Array): Buffer {
  const bytes = message(MessageId.bitfield, bits.length);
  bytes.set(bits, 5);
  return bytes;
}

export function reject(index: number, offset: number, length: number): Buffer {
  const bytes = message(MessageId.reject, 12);
  bytes.writeUInt32BE(index, 5);
  bytes.writeUInt32BE(offset, 9);
  bytes.writeUInt32BE(length, 13);
  return bytes;
}

/** The 13 bytes before a block: the block itself follows as its own buffer (no copy). */
export function pieceHeader(index: number, offset: number, length: number): Buffer {
  const bytes = Buffer.allocUnsafe(13);
  bytes.writeUInt32BE(9 + length, 0);
  bytes[4] = MessageId.piece;
  bytes.writeUInt32BE(index, 5);
  bytes.writeUInt32BE(offset, 9);
  return bytes;
}

export function extended(extensionId: number, payload: Buffer): Buffer {
  const bytes = message(MessageId.extended, 1 + payload.length);
  bytes[5] = extensionId;
  payload.copy(bytes, 6);
  return bytes;
}

/** The 6 bytes before an extended message's payload, which follows as its own buffer (no copy). */
export function extendedHeader(extensionId: number, payloadLength: number): Buffer {
  const bytes = message(MessageId.extended, 1);
  bytes.writeUInt32BE(2 + payloadLength, 0);
  bytes[5] = extensionId;
  return bytes;
}

/** A request, cancel or reject's three numbers; undefined if the payload is not 12 bytes. */
export function blockOf(payload: Buffer): { index: number; offset: number; length: number } | undefined {
  if (payload.length !== 12) return undefined;
  return { index: payload.readUInt32BE(0), offset: payload.readUInt32BE(4), length: payload.readUInt32BE(8) };
}

/**
 * A request's block if it lies inside a piece and is no longer than MAX_BLOCK_LENGTH; undefined
 * for anything else, which only a broken or hostile peer sends.
 */
export function requestedBlock(payload: Buffer, pieces: { pieceCount: number; lengthOfPiece(index: number): number }): { index: number; offset: number; length: number } | undefined {
  const block = blockOf(payload);
  if (!block || block.index >= pieces.pieceCount || block.length === 0 || block.length > MAX_BLOCK_LENGTH) return undefined;
  return block.offset + block.length <= pieces.lengthOfPiece(block.index) ? block : undefined;
}
