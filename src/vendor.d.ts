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

declare module 'webtorrent' {
  import { EventEmitter } from 'node:events';

  export interface Wire extends EventEmitter {
    peerId: string;
    remoteAddress: string;
    remotePort: number;
    uploaded: number;
    downloaded: number;
    peerPieces: { get(index: number): boolean };
    uploadSpeed(): number;
    destroy(): void;
  }

  export interface Torrent extends EventEmitter {
    infoHash: string;
    numPeers: number;
    uploaded: number;
    uploadSpeed: number;
    wires: Wire[];
    pieces: unknown[];
    ready: boolean;
    destroy(options?: { destroyStore?: boolean }, callback?: (error?: Error | null) => void): void;
  }

  export interface ClientOptions {
    peerId?: string;
    torrentPort?: number;
    dht?: boolean;
    lsd?: boolean;
    utPex?: boolean;
    natUpnp?: boolean;
    natPmp?: boolean;
    utp?: boolean;
    webSeeds?: boolean;
    tracker?: Record<string, unknown> | false;
    maxConns?: number;
    secure?: number;
  }

  export interface AddOptions {
    path?: string;
    skipVerify?: boolean;
    store?: unknown;
    storeCacheSlots?: number;
    storeOpts?: object;
    private?: boolean;
    announce?: string[];
    strategy?: string;
    uploads?: number;
  }

  export default class WebTorrent extends EventEmitter {
    constructor(options?: ClientOptions);
    peerId: string;
    torrentPort: number;
    add(torrent: unknown, options?: AddOptions, onTorrent?: (torrent: Torrent) => void): Torrent;
    address(): { address: string; family: string; port: number } | null;
    destroy(callback?: (error?: Error | null) => void): void;
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
    handshake(infoHash: string, peerId: string, extensions?: Record<string, boolean>): void;
    interested(): void;
    setTimeout(ms: number, unref?: boolean): void;
    request(index: number, offset: number, length: number, callback: (error: Error | null, block: Buffer) => void): void;
    destroy(): this;
  }
}
