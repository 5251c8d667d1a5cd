// Every recipient client the tests and the client benchmark run, in the order they report.
import { aria2 } from './aria2.ts';
import { deluge } from './deluge.ts';
import type { ClientDriver } from './driver.ts';
import { libtorrent } from './libtorrent.ts';
import { qbittorrent } from './qbittorrent.ts';
import { rtorrent } from './rtorrent.ts';
import { transmission } from './transmission.ts';
import { webtorrent } from './webtorrent.ts';

export const CLIENTS: ClientDriver[] = [aria2, libtorrent, qbittorrent, transmission, rtorrent, deluge, webtorrent];
