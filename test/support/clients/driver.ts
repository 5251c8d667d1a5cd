// What every BitTorrent client driver offers: start in a namespace with a written config, add a torrent, report progress, stop.
import { mkdir, mkdtemp } from 'node:fs/promises';
import path from 'node:path';

/** `default`: the client's own setting. `required`: the client refuses peers that will not encrypt (MSE/PE, RC4). */
export type Encryption = 'default' | 'required';

export interface ClientSetup {
  namespace: string;
  /** The recipient's address in its namespace. */
  ip: string;
  /** A folder the driver owns: config, state, logs. */
  workDir: string;
  /** Where the content lands. */
  downloadDir: string;
  encryption: Encryption;
  /** Turn uTP off where the client has it on by default: against a seeder that speaks TCP only (the benchmark's libtorrent). */
  tcpOnly?: boolean;
}

export interface TorrentSource {
  /** The .torrent on disk (namespaces share the file system). */
  torrentFile: string;
  torrentUrl: string;
  magnet: string;
  infoHash: string;
  /** Total bytes of content. */
  length: number;
}

export interface Progress {
  /** Bytes of content the client has, as it reports them. */
  bytes: number;
  complete: boolean;
}

export interface RunningClient {
  add(torrent: TorrentSource): Promise<void>;
  progress(torrent: TorrentSource): Promise<Progress>;
  /** The client's own output, to explain a failure. */
  output(): string;
  /** Resolves if the client process ends on its own (a crash, or a one-shot client giving up). */
  exited: Promise<unknown>;
  stop(): Promise<void>;
}

export interface ClientDriver {
  name: string;
  /** The settings this client has: every client has `default`; `required` where it can refuse plaintext. */
  encryptions: Encryption[];
  start(setup: ClientSetup): Promise<RunningClient>;
}

export interface DownloadTiming {
  /** From starting the client to its first reported content byte: with a plaintext seeder, the fallback delay. */
  firstByteMs: number;
  /** From adding the torrent to its first content byte. */
  addToFirstByteMs: number;
  totalMs: number;
}

/** A fresh work folder and download folder for one client run under `parent`. */
export async function clientSetup(parent: string, namespace: string, ip: string, name: string, encryption: Encryption): Promise<ClientSetup> {
  const workDir = await mkdtemp(path.join(parent, `${name}-${encryption}-`));
  const downloadDir = path.join(workDir, 'download');
  await mkdir(downloadDir);
  return { namespace, ip, workDir, downloadDir, encryption };
}

const POLL_MS = 250;

/** Runs one client until it has the whole torrent, or fails after `timeoutMs`, or `stallMs` without a new byte; always stops it. */
export async function downloadWith(driver: ClientDriver, setup: ClientSetup, torrent: TorrentSource, timeoutMs: number, stallMs = 60_000): Promise<DownloadTiming> {
  const started = performance.now();
  const client = await driver.start(setup);
  let exitedEarly = false;
  void client.exited.then(() => (exitedEarly = true));
  let last: Progress = { bytes: 0, complete: false };
  let lastError = '';
  try {
    await client.add(torrent);
    const added = performance.now();
    let firstByte: number | undefined;
    let lastChange = added;
    let lastBytes = 0;
    for (;;) {
      try {
        last = await client.progress(torrent);
        lastError = '';
      } catch (error) {
        lastError = String(error);
      }
      const now = performance.now();
      if (firstByte === undefined && last.bytes > 0) firstByte = now;
      if (last.bytes !== lastBytes) [lastBytes, lastChange] = [last.bytes, now];
      if (last.complete && last.bytes === torrent.length) {
        return { firstByteMs: firstByte! - started, addToFirstByteMs: firstByte! - added, totalMs: now - started };
      }
      if (exitedEarly) throw new Error('the client exited before completing');
      if (now - started > timeoutMs) throw new Error(`not complete after ${timeoutMs} ms`);
      if (now - lastChange > stallMs) throw new Error(`no new byte for ${stallMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  } catch (error) {
    const state = `${driver.name} (${setup.encryption}): ${last.bytes} of ${torrent.length} bytes, complete=${last.complete}${lastError ? `; last poll: ${lastError}` : ''}`;
    throw new Error(`${(error as Error).message}: ${state}\n--- client output (tail) ---\n${client.output().slice(-3000)}`, { cause: error });
  } finally {
    await client.stop();
  }
}
