// The parts of webtorrent (untyped) that the webtorrent recipient uses, typed as it uses them.
declare module 'webtorrent' {
  import { EventEmitter } from 'node:events';

  interface Torrent extends EventEmitter {
    downloaded: number;
    done: boolean;
  }

  export default class WebTorrent extends EventEmitter {
    constructor(options: { utp?: boolean; dht?: boolean; lsd?: boolean; natUpnp?: boolean; natPmp?: boolean; secure?: number });
    add(torrentId: string, options: { path: string }): Torrent;
    destroy(callback?: (error?: Error) => void): void;
  }
}
