// The extension protocol (BEP 10) as the seeder speaks it: its extended handshake, and the info
// dictionary in 16 KiB pieces for recipients that came with a magnet link (ut_metadata, BEP 9).
import bencode from 'bencode';
import { bdecode, integerField, isDict, type Bvalue } from './bdecode.ts';

/** The id our side gives ut_metadata in its extended handshake. */
export const OUR_METADATA_ID = 1;
const METADATA_PIECE = 16 * 1024;

export interface ExtendedHandshakeFields {
  clientName: string;
  metadataSize: number;
  /** How many requests a peer may keep queued with us (BEP 10 `reqq`). */
  requestQueueLength: number;
}

export function ourExtendedHandshake(fields: ExtendedHandshakeFields): Buffer {
  return Buffer.from(
    bencode.encode({
      m: { ut_metadata: OUR_METADATA_ID },
      metadata_size: fields.metadataSize,
      reqq: fields.requestQueueLength,
      v: fields.clientName,
    }),
  );
}

/** What the seeder uses of a peer's extended handshake. */
export interface PeerExtendedHandshake {
  /** The peer's id for ut_metadata (0 when it has none). */
  metadataId: number;
  /** Where the peer accepts connections (`p`), when it says. */
  listenPort: number | undefined;
}

/** Reads a peer's extended handshake. Throws BdecodeError. */
export function readExtendedHandshake(payload: Buffer): PeerExtendedHandshake {
  const { value } = bdecode(payload);
  const m: Bvalue | undefined = isDict(value) ? value['m'] : undefined;
  const id = integerField(m, 'ut_metadata');
  const port = integerField(value, 'p');
  return {
    metadataId: id !== undefined && Number.isInteger(id) && id > 0 && id < 256 ? id : 0,
    listenPort: port !== undefined && Number.isInteger(port) && port > 0 && port <= 65535 ? port : undefined,
  };
}

/**
 * The answer to a ut_metadata message: the piece asked for, a reject for a piece out of range, or
 * nothing for messages a seeder ignores (data, reject). Throws BdecodeError.
 */
export function answerMetadata(payload: Buffer, info: Buffer): Buffer | undefined {
  const { value } = bdecode(payload);
  const type = integerField(value, 'msg_type');
  const piece = integerField(value, 'piece');
  if (type !== 0 || piece === undefined) return undefined;
  const pieces = Math.ceil(info.length / METADATA_PIECE);
  if (!Number.isInteger(piece) || piece < 0 || piece >= pieces) return Buffer.from(bencode.encode({ msg_type: 2, piece: Number.isSafeInteger(piece) ? piece : 0 }));
  const header = Buffer.from(bencode.encode({ msg_type: 1, piece, total_size: info.length }));
  return Buffer.concat([header, info.subarray(piece * METADATA_PIECE, (piece + 1) * METADATA_PIECE)]);
}
