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

/** What a ut_metadata message asks of a seeder: a piece, a reject to send, or nothing. */
export type MetadataAsk = { piece: number } | { reject: Buffer } | undefined;

/**
 * Reads a ut_metadata message: a request for a piece in range, a reject for one out of range, or
 * nothing for messages a seeder ignores (data, reject). Throws BdecodeError.
 */
export function readMetadataMessage(payload: Buffer, metadata: MetadataPieces): MetadataAsk {
  const { value } = bdecode(payload);
  const type = integerField(value, 'msg_type');
  const piece = integerField(value, 'piece');
  if (type !== 0 || piece === undefined) return undefined;
  if (!Number.isInteger(piece) || piece < 0 || piece >= metadata.count) return { reject: Buffer.from(bencode.encode({ msg_type: 2, piece: Number.isSafeInteger(piece) ? piece : 0 })) };
  return { piece };
}

/**
 * An extended message's payload (BEP 10: its id first): the peer's handshake (id 0), a ut_metadata
 * message sent to our id, `undefined` for extensions a seeder ignores, or `malformed` when empty.
 * Throws BdecodeError.
 */
export function readExtendedMessage(payload: Buffer, metadata: MetadataPieces): { handshake: PeerExtendedHandshake } | { ask: MetadataAsk } | 'malformed' | undefined {
  if (payload.length === 0) return 'malformed';
  if (payload[0] === 0) return { handshake: readExtendedHandshake(payload.subarray(1)) };
  return payload[0] === OUR_METADATA_ID ? { ask: readMetadataMessage(payload.subarray(1), metadata) } : undefined;
}

/**
 * The info dictionary's pieces as ut_metadata data messages (their payload after the extension
 * id), each built once and shared by every connection: a peer asking again and again costs a queue
 * entry, not a copy (see block-server.ts, which sends them within the send budget).
 */
export class MetadataPieces {
  readonly #info: Buffer;
  readonly #answers: Array<Buffer | undefined>;
  readonly count: number;

  constructor(info: Buffer) {
    this.#info = info;
    this.count = Math.ceil(info.length / METADATA_PIECE);
    this.#answers = Array.from({ length: this.count });
  }

  answer(piece: number): Buffer {
    let answer = this.#answers[piece];
    if (!answer) {
      const header = Buffer.from(bencode.encode({ msg_type: 1, piece, total_size: this.#info.length }));
      const data = this.#info.subarray(piece * METADATA_PIECE, (piece + 1) * METADATA_PIECE);
      // A buffer of its own, not a slice of Node's shared pool: the send budget counts what it keeps alive.
      answer = Buffer.allocUnsafeSlow(header.length + data.length);
      header.copy(answer);
      data.copy(answer, header.length);
      this.#answers[piece] = answer;
    }
    return answer;
  }
}
