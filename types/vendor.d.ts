// The parts of untyped dependencies that share-file uses, typed as share-file uses them.

declare module 'bencode' {
  const bencode: {
    encode(value: unknown): Uint8Array;
    decode(data: Uint8Array, encoding?: string): unknown;
  };
  export default bencode;
}

declare module 'bittorrent-tracker' {
  import type { IncomingMessage, ServerResponse } from 'node:http';
  import { EventEmitter } from 'node:events';

  export interface AnnounceParams {
    info_hash: string;
    peer_id: string;
    ip: string;
    port: number;
    addr: string;
    left: number;
    numwant: number;
    event?: string;
    type: string;
  }

  export interface ServerOptions {
    http: false;
    udp: false;
    ws: false;
    stats: false;
    interval?: number;
    trustProxy?: boolean;
    peersCacheLength?: number;
    peersCacheTtl?: number;
    filter?: (infoHash: string, params: AnnounceParams, callback: (error?: Error | null) => void) => void;
  }

  export class Server extends EventEmitter {
    constructor(options: ServerOptions);
    onHttpRequest(req: IncomingMessage, res: ServerResponse, options?: { action?: 'announce' | 'scrape'; trustProxy?: boolean }): void;
    close(callback?: () => void): void;
  }
}

declare module 'create-torrent' {
  function createTorrent(input: string, options: Record<string, unknown>, callback: (error: Error | null, torrent: Buffer) => void): void;
  export default createTorrent;
}

declare module 'parse-torrent' {
  interface ParsedTorrent {
    infoHash: string;
    name?: string;
    private?: boolean;
    announce: string[];
    peerAddresses?: string[];
  }
  function parseTorrent(input: string | Uint8Array): Promise<ParsedTorrent>;
  export default parseTorrent;
}

declare module 'bittorrent-protocol' {
  import { Duplex } from 'node:stream';
  export default class Protocol extends Duplex {
    /** `peEnabled`: 0 no MSE, 1 MSE offering plaintext and RC4, 2 MSE with RC4 only. */
    constructor(type?: string, peEnabled?: 0 | 1 | 2);
    /** As the initiator, sends MSE step 1 for this torrent (hex info hash). */
    startEncryption(infoHash: string): void;
    peerId: string;
    hasFast: boolean;
    uploaded: number;
    peerPieces: { get(index: number): boolean };
    /** Requests received and not yet answered. */
    peerRequests: Array<{ piece: number; offset: number; length: number }>;
    extendedHandshake: Record<string, unknown>;
    uploadSpeed(): number;
    use(extension: unknown): void;
    handshake(infoHash: string, peerId: string, extensions?: Record<string, boolean>): void;
    bitfield(bits: Uint8Array): void;
    haveAll(): void;
    unchoke(): void;
    interested(): void;
    setKeepAlive(enable: boolean): void;
    setTimeout(ms: number, unref?: boolean): void;
    request(index: number, offset: number, length: number, callback: (error: Error | null, block: Buffer) => void): void;
    destroy(): this;
  }
}

declare module 'bittorrent-tracker/client' {
  import { EventEmitter } from 'node:events';
  export interface ClientOptions {
    infoHash: string;
    peerId: string;
    port: number;
    announce: string[];
    userAgent?: string;
    getAnnounceOpts?: () => Record<string, number>;
  }
  export default class Client extends EventEmitter {
    constructor(options: ClientOptions);
    start(): void;
    stop(): void;
    destroy(callback?: (error?: Error | null) => void): void;
  }
}
