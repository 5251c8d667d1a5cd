// The shared content over plain HTTP: for people with only curl or a browser, and as the torrent's
// web seed (BEP 19), with HEAD, single Range requests and resumable downloads.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ContentChangedError, Lease, type ContentReader } from '../content/reader.ts';
import { formatBytes } from '../output/format.ts';
import { changedWithin } from './changed-content.ts';
import type { WebSeedPolicy } from '../seeding/hand-out.ts';

export interface WebFile {
  /** Path inside the torrent; empty for a single-file share. */
  segments: string[];
  offset: number;
  length: number;
  mtimeNs: bigint;
}

export interface WebContent {
  name: string;
  kind: 'file' | 'folder';
  files: WebFile[];
  reader: ContentReader;
  /** Names this version of the content (the info hash): the ETag, so a resume never mixes versions. */
  version: string;
  /** The seeder's hand-out policy, once it runs: web-seed requests follow it as peers do. */
  handOut: { policy: WebSeedPolicy | undefined };
}

export interface WebServed {
  /** The client's address. */
  ip: string;
  bytes: number;
  /** Where the bytes start in the content (the files end to end): which pieces left. */
  offset: number;
}

export interface WebSeedHooks {
  /** Bytes as they are sent. */
  onBytes: (served: WebServed) => void;
  /** A whole single file went out in one response: somebody has all of it. */
  onWholeFile: (ip: string) => void;
  /**
   * The request came to the web-seed URL, from a BitTorrent client: a range of pieces that the
   * hand-out policy leaves to the other recipients gets 503, and the client takes it from them.
   * People (the plain URL) are always served.
   */
  webSeed: boolean;
}

/** Blocks read and written at a time: large enough to keep a fast link busy, small enough to pace. */
const CHUNK_BYTES = 256 * 1024;

/**
 * Answers a GET or HEAD for `/<token>/<name>[/<path in folder>]`; `within` is the decoded path after
 * the name. `base` is `/<token>/<name>` as sent, for the links of a folder's listing.
 */
export function serveContent(req: IncomingMessage, res: ServerResponse, within: string[], base: string, content: WebContent, hooks: WebSeedHooks): void {
  if (content.kind === 'folder' && within.filter((part) => part !== '').length === 0) {
    sendListing(req, res, base, content);
    return;
  }
  const index = content.kind === 'file' ? (within.length === 0 && content.files.length === 1 ? 0 : undefined) : fileIndexes(content).get(within.join('/'));
  if (index === undefined) {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
    return;
  }
  // Whatever fails (a file gone, a read error) costs this response only, never the process.
  sendFile(req, res, content, index, hooks).catch((error: unknown) => answerFailure(res, error));
}

/** A folder's files by their path in the torrent, built once: web-seed clients ask file after file. */
const indexes = new WeakMap<WebContent, Map<string, number>>();
function fileIndexes(content: WebContent): Map<string, number> {
  let byPath = indexes.get(content);
  if (!byPath) {
    byPath = new Map(content.files.map((file, index) => [file.segments.join('/'), index]));
    indexes.set(content, byPath);
  }
  return byPath;
}

async function sendFile(req: IncomingMessage, res: ServerResponse, content: WebContent, index: number, hooks: WebSeedHooks): Promise<void> {
  const file = content.files[index]!;
  const headers = fileHeaders(content, index);
  const range = chooseRange(req, file.length, String(headers.ETag));
  if (range === 'unsatisfiable') {
    res.writeHead(416, { ...headers, 'Content-Range': `bytes */${file.length}`, 'Content-Length': 0 }).end();
    return;
  }
  const [start, end] = range ?? [0, file.length];
  const status = range ? 206 : 200;
  if (range) headers['Content-Range'] = `bytes ${start}-${end - 1}/${file.length}`;
  headers['Content-Length'] = end - start;
  // Once the content changed, the pieces the range covers are checked before the status goes out,
  // so that a changed range gets 410 rather than a response cut short.
  const changed = end > start ? await changedWithin(content, file.offset + start, file.offset + end) : undefined;
  if (changed) {
    res.writeHead(410, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' }).end(changed);
    return;
  }
  if (req.method === 'HEAD') {
    res.writeHead(status, headers).end();
    return;
  }

  const policy = hooks.webSeed ? content.handOut.policy : undefined;
  policy?.opened();
  let closed = false;
  res.once('close', () => {
    closed = true;
    policy?.closed();
  });
  const pieceOf = (position: number): number => Math.floor(position / content.reader.pieceLength);
  // aria2c gives a web seed up for good on a 503 and carries on with its peers. (Holding the
  // request instead stalled aria2c: it never fetched those pieces from its peers.)
  if (policy && end > start && !policy.mayServe(pieceOf(file.offset + start))) {
    res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' }).end('these pieces are with the other recipients; ask them\n');
    return;
  }
  const ip = req.socket.remoteAddress ?? '';
  let position = file.offset + start;
  const stop = file.offset + end;
  try {
    // The first block is read before the headers go out, so a changed file gets a clear status.
    let block = position < stop ? await readBlock(content.reader, position, stop) : NO_BYTES;
    res.writeHead(status, headers);
    while (block.bytes.length > 0 && !closed) {
      // Clients ask a web seed for long runs of pieces (aria2c: up to the whole file in one
      // request), so the policy is asked again at every piece the response reaches; a refusal
      // cuts the response, and the client takes the rest from its peers.
      if (policy && position % content.reader.pieceLength === 0 && position > file.offset + start && !policy.mayServe(pieceOf(position))) {
        block.release();
        res.destroy();
        return;
      }
      const lease = block;
      policy?.sent(pieceOf(position), lease.bytes.length);
      position += lease.bytes.length;
      hooks.onBytes({ ip, bytes: lease.bytes.length, offset: position - lease.bytes.length });
      const next = position < stop ? readBlock(content.reader, position, stop) : Promise.resolve(NO_BYTES);
      next.catch(() => {});
      // The reader may reuse the buffer once the response has written it out.
      if (!res.write(lease.bytes, () => lease.release()) && !closed) await drainedOrClosed(res);
      block = await next;
    }
    block.release();
    if (closed) return;
    res.end(() => {
      if (status === 200 && content.kind === 'file') hooks.onWholeFile(ip);
    });
  } catch (error) {
    answerFailure(res, error);
  }
}

/** A response that failed: 410 for content changed since it was shared (gone for good), else 500. */
function answerFailure(res: ServerResponse, error: unknown): void {
  // Mid-body: cut short, so the client sees an incomplete transfer, not bad data (curl: "transfer
  // closed with N bytes remaining"; resumed, it gets the 410).
  if (res.headersSent) return void res.destroy();
  res.writeHead(error instanceof ContentChangedError ? 410 : 500, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`${(error as Error).message}\n`);
}

/** The headers of every answer about one file: its name, its version (ETag), no caching. */
function fileHeaders(content: WebContent, index: number): Record<string, string | number> {
  const file = content.files[index]!;
  return {
    'Content-Type': 'application/octet-stream',
    'Content-Disposition': contentDisposition(file.segments.at(-1) ?? content.name),
    'Accept-Ranges': 'bytes',
    ETag: `"${content.version.slice(0, 16)}-${index}"`,
    'Last-Modified': new Date(Number(file.mtimeNs / 1_000_000n)).toUTCString(),
    'Cache-Control': 'no-store',
  };
}

const NO_BYTES = new Lease(Buffer.alloc(0));

/**
 * Waits until the response takes more bytes, or is gone. Both listeners go as soon as either fires:
 * one left behind per wait added up past Node's limit of ten on a fast download.
 */
function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done).off('close', done);
      resolve();
    };
    res.on('drain', done).on('close', done);
  });
}

/** Up to CHUNK_BYTES at `position` (in the whole content), never across a piece boundary. */
function readBlock(reader: ContentReader, position: number, stop: number): Promise<Lease> {
  const piece = Math.floor(position / reader.pieceLength);
  const within = position - piece * reader.pieceLength;
  const length = Math.min(CHUNK_BYTES, stop - position, reader.pieceLength - within);
  return reader.borrow(piece, within, length);
}

/**
 * One `bytes=` range as [start, end), undefined for the whole file, or 'unsatisfiable'. Several
 * ranges at once, a malformed header, or an If-Range for another version all get the whole file,
 * which RFC 9110 allows.
 */
export function chooseRange(req: Pick<IncomingMessage, 'headers'>, length: number, etag: string): [number, number] | undefined | 'unsatisfiable' {
  const header = req.headers.range;
  if (typeof header !== 'string') return undefined;
  const ifRange = req.headers['if-range'];
  if (typeof ifRange === 'string' && ifRange !== etag) return undefined;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    // A suffix: the last n bytes.
    const suffix = Number(last);
    if (suffix === 0 || length === 0) return 'unsatisfiable';
    return [Math.max(0, length - suffix), length];
  }
  const start = Number(first);
  const end = last === '' ? length : Math.min(length, Number(last) + 1);
  if (last !== '' && Number(last) < start) return undefined;
  if (start >= length) return 'unsatisfiable';
  return [start, end];
}

/** `attachment` with an ASCII fallback name and the exact UTF-8 name (RFC 6266). */
export function contentDisposition(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const exact = encodeURIComponent(name).replace(/['()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${exact}`;
}

function sendListing(req: IncomingMessage, res: ServerResponse, base: string, content: WebContent): void {
  const rows = content.files.map((file) => {
    const href = `${base}/${file.segments.map(encodeURIComponent).join('/')}`;
    return `<li><a href="${escapeHtml(href)}">${escapeHtml(file.segments.join('/'))}</a> (${formatBytes(file.length)})</li>`;
  });
  const page = Buffer.from(
    `<!doctype html>\n<meta charset="utf-8">\n<title>${escapeHtml(content.name)}</title>\n<h1>${escapeHtml(content.name)}</h1>\n<ul>\n${rows.join('\n')}\n</ul>\n`,
  );
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': page.length, 'Cache-Control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : page);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
