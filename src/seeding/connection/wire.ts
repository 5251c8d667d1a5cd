// One recipient's connection: the handshake (plain or MSE-obfuscated), then the blocks it asks for,
// read through the ContentReader as the hand-out policy allows and as fast as its socket drains.
//
// The seeder used bittorrent-protocol's Wire until it met hostile input: its parser buffered
// whatever a length prefix announced (and read prefixes of 2 GiB and up as negative numbers), its
// extended handshakes went through a bencode decoder that loops forever on a negative string
// length, it answered each request as soon as it came (2000 queued requests meant 2000 blocks in
// memory) and found requests by linear search. A seeder speaks a small part of the protocol; it is
// written out here, every length, index and offset checked before use.
import type { Socket } from 'node:net';
import { ByteQueue, nextMessage } from './frames.ts';
import { openHandshake, type Handshaking, type HandshakeOutcome, type Opening } from './handshake.ts';
import * as message from './messages.ts';
import { MessageId } from './messages.ts';
import { ourExtendedHandshake, readExtendedMessage } from './metadata.ts';
import { Outbox } from './outbox.ts';
import { HANDSHAKE_TIMEOUT_MS, KEEP_ALIVE_MS, maxOwnBacklog, MAX_PEER_MESSAGE, RECEIVE_TIMEOUT_MS, REQUEST_QUEUE_LENGTH } from './limits.ts';
import type { Rc4 } from './encryption/rc4.ts';
import { BlockServer } from './block-server.ts';
import type { ConnectionHooks, WireContext } from './wire-context.ts';
import { PeerPieces } from './peer-pieces.ts';

export type { WireContext } from './wire-context.ts';

export type WireHooks = ConnectionHooks<PeerConnection>;

export class PeerConnection {
  readonly socket: Socket;
  readonly #context: WireContext;
  readonly #hooks: WireHooks;
  readonly #outbox: Outbox;
  readonly #server: BlockServer;
  readonly #received = new ByteQueue();
  #handshake: Handshaking | undefined;
  #decrypt: Rc4 | undefined;
  #fast = false;
  #peerMetadataId = 0;
  readonly pieces: PeerPieces;
  #ready = false;
  #closed = false;
  #toldComplete = false;
  #maxMessage: number;
  readonly startedAt = Date.now();
  /** Last sign the peer wants data (handshake, interest, a request, a block written). */
  lastActive = Date.now();
  #lastReceived = Date.now();
  #lastSent = Date.now();
  peerId = '';
  encryption: HandshakeOutcome['encryption'] = 'none';
  interested = false;

  /** `opening`: who dialed whom; an outgoing connection's socket is connected already. */
  constructor(socket: Socket, context: WireContext, hooks: WireHooks, opening: Opening = { direction: 'incoming' }) {
    this.socket = socket;
    this.#context = context;
    this.#hooks = hooks;
    this.#outbox = new Outbox(socket, context.budget);
    this.#server = new BlockServer(
      { ...context, mayServe: (piece) => context.mayServe(piece, this) },
      this.#outbox,
      (index, length) => {
        this.#lastSent = Date.now();
        this.#hooks.onBlockSent(this, index, length);
      },
      (index, offset, length) => this.#refuseBlock(index, offset, length),
    );
    this.#outbox.onWritten = () => {
      this.lastActive = Date.now();
      this.#server.pump();
    };
    this.#outbox.giveWay = () => this.close();
    this.pieces = new PeerPieces(context.reader.pieceCount);
    this.#maxMessage = Math.max(1 + this.pieces.bitfieldLength, MAX_PEER_MESSAGE);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    for (const event of ['error', 'end', 'close']) socket.on(event, () => this.close());
    this.#handshake = openHandshake(opening, {
      infoHash: context.infoHash,
      requireEncryption: context.requireEncryption,
      send: (bytes) => socket.write(bytes),
      sendHandshake: (encrypt) => {
        if (encrypt) this.#outbox.encryptWith(encrypt);
        this.#send(message.handshake(context.infoHash, context.peerId));
      },
    });
  }

  /** After `have none` at the handshake, a `have` for each piece the reveal plan gives this peer. */
  tellHave = (index: number): void => void (this.#closed || this.#send(message.have(index)));

  get ready(): boolean {
    return this.#ready;
  }

  /** Requests queued or blocks unsent: the peer is being served. */
  get busy(): boolean {
    return this.#server.busy;
  }

  /** Busy, and it took next to nothing of what is queued to it for a while (see slots.ts). */
  get stalled(): boolean {
    return this.#outbox.stalled();
  }

  get uploaded(): number {
    return this.#server.uploaded;
  }

  uploadRate(): number {
    return this.#server.rate.perSecond();
  }

  /** Closes what is overdue: a slow handshake, a silent peer (a stalled reader: see send-budget.ts). */
  sweep(now: number): void {
    if (!this.#ready && now - this.startedAt > HANDSHAKE_TIMEOUT_MS) return this.close();
    if (now - this.#lastReceived > RECEIVE_TIMEOUT_MS) return this.close();
    if (this.#ready && now - this.#lastSent > KEEP_ALIVE_MS) this.#send(message.keepAlive());
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#server.close();
    this.#outbox.close();
    this.socket.destroy();
    this.#hooks.onClose(this);
  }

  #onData(chunk: Buffer): void {
    if (this.#closed) return;
    this.#lastReceived = Date.now();
    try {
      if (this.#handshake) return this.#onHandshakeData(chunk);
      if (this.#decrypt) this.#decrypt.process(chunk);
      this.#received.push(chunk);
      this.#readMessages();
    } catch {
      // A peer's bad bytes (HandshakeError, MseError, FrameError, BdecodeError) cost its connection.
      this.close();
    }
  }

  #onHandshakeData(chunk: Buffer): void {
    const outcome = this.#handshake!.receive(chunk);
    if (!outcome) return;
    this.#handshake = undefined;
    // Our own address can come back to us (a recipient's tracker list, a magnet's x.pe): no self-talk.
    if (outcome.peer.peerId.equals(this.#context.peerId)) return this.close();
    this.peerId = outcome.peer.peerId.toString('hex');
    this.encryption = outcome.encryption;
    this.#decrypt = outcome.decrypt;
    this.#fast = outcome.peer.fast;
    const handshake = { clientName: this.#context.clientName, metadataSize: this.#context.info.length, requestQueueLength: REQUEST_QUEUE_LENGTH };
    if (outcome.peer.extended) this.#send(message.extended(0, ourExtendedHandshake(handshake)));
    if (this.#fast) this.#send(message.simple(MessageId.haveNone));
    this.#ready = true;
    this.lastActive = Date.now();
    this.#hooks.onReady(this);
    this.#received.push(outcome.rest);
    this.#readMessages();
  }

  #readMessages(): void {
    for (let payload = nextMessage(this.#received, this.#maxMessage); payload && !this.#closed; payload = nextMessage(this.#received, this.#maxMessage)) {
      if (payload.length > 0) this.#onMessage(payload[0]!, payload.subarray(1));
      if (this.pieces.complete && !this.#toldComplete && !this.#closed) {
        this.#toldComplete = true;
        this.#hooks.onComplete(this);
      }
    }
  }

  #onMessage(id: number, payload: Buffer): void {
    switch (id) {
      case MessageId.interested:
        if (payload.length !== 0) return this.close();
        // Every interested recipient is unchoked: the hand-out policy, not choking, spreads the pieces.
        if (!this.interested) this.#send(message.simple(MessageId.unchoke));
        this.interested = true;
        this.lastActive = Date.now();
        return;
      case MessageId.notInterested:
        this.interested = false;
        return;
      case MessageId.have:
      case MessageId.bitfield:
      case MessageId.haveAll:
        return void (this.pieces.receive(id, payload) || this.close());
      case MessageId.request:
        return this.#onRequest(payload);
      case MessageId.cancel: {
        const block = message.blockOf(payload);
        if (!block) return this.close();
        return this.#server.requests.cancel(block.index, block.offset, block.length);
      }
      case MessageId.extended:
        return this.#onExtended(payload);
      default:
        // choke, unchoke, piece, port, suggest, have none, reject, allowed fast and ids we do not
        // know: nothing a seeder acts on. Their length is bounded by the frame limit.
        return;
    }
  }

  #onRequest(payload: Buffer): void {
    const block = message.requestedBlock(payload, this.#context.reader);
    if (!block) return this.close();
    const { index, offset, length } = block;
    this.lastActive = Date.now();
    // Asking while choked: refused (BEP 6). Past our queue or all connections' (see send-budget.ts):
    // refused, or dropped when the peer cannot be told (it would wait forever for the block).
    if (!this.interested) return this.#reject(index, offset, length);
    if (this.#server.requests.size >= REQUEST_QUEUE_LENGTH || !this.#context.budget.hasRoomForRequests) return this.#reject(index, offset, length, true);
    this.#server.requests.add(index, offset, length);
    this.#server.pump();
  }

  /**
   * A queued block that will not be served. A piece that changed on disk is withdrawn by closing: a
   * `have` cannot be taken back, and aria2c asked again at once (15,000 rejects a second, measured).
   */
  #refuseBlock(index: number, offset: number, length: number): void {
    this.#reject(index, offset, length);
    if (this.#context.reader.refuses?.(index)) this.close();
  }

  #reject(index: number, offset: number, length: number, orClose = false): void {
    if (this.#fast) this.#send(message.reject(index, offset, length));
    else if (orClose) this.close();
  }

  #onExtended(payload: Buffer): void {
    const got = readExtendedMessage(payload, this.#context.metadata);
    if (got === 'malformed') return this.close();
    if (got && 'handshake' in got) {
      this.#peerMetadataId = got.handshake.metadataId;
      return void (got.handshake.listenPort !== undefined && this.#hooks.onListenPort(this, got.handshake.listenPort));
    }
    // A piece goes out within the send budget, as blocks do; a reject is a few bytes of our own.
    if (!got?.ask || this.#peerMetadataId === 0) return;
    if ('piece' in got.ask) this.#server.askMetadata(got.ask.piece, this.#peerMetadataId);
    else this.#send(message.extended(this.#peerMetadataId, got.ask.reject));
  }

  #send(bytes: Buffer): void {
    if (this.#closed) return;
    this.#outbox.send(bytes);
    this.#lastSent = Date.now();
    if (this.#outbox.queuedOwnBytes > maxOwnBacklog(this.#context.reader.pieceCount)) this.close();
  }
}
