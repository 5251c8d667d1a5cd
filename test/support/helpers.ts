// Shared test helpers: temporary files, the built CLI as a child process, aria2c, port checks.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { chmod, copyFile, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const BIN = path.join(ROOT, 'bin', 'share-file.js');

/** Flags that keep a share on loopback and leave the firewall and the router alone. */
export const LOOPBACK = ['--ip', '127.0.0.1', '-H', '127.0.0.1', '--firewall', 'none', '--port-map', 'none'];

export async function tempDir(prefix = 'share-file-test-'): Promise<string> {
  return mkdtemp(path.join(tmpdir(), prefix));
}

export async function randomFile(dir: string, name: string, size: number): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, randomBytes(size));
  return file;
}

export interface ShareEventRecord {
  event: string;
  [field: string]: unknown;
}

export interface RunningShare {
  child: ChildProcess;
  events: ShareEventRecord[];
  stdoutLines: string[];
  stderr(): string;
  waitForEvent(name: string, timeoutMs?: number): Promise<ShareEventRecord>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Tests keep the hash cache of the user running them out of it: one fresh cache per test file. */
const testCacheHome = mkdtempSync(path.join(tmpdir(), 'share-file-cache-'));
process.on('exit', () => rmSync(testCacheHome, { recursive: true, force: true }));

// A failing test must not leave share-file processes behind to hold ports or namespaces.
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** Runs the built CLI with --json (unless told otherwise) and parses its stdout as events. */
export function startShare(args: string[], options: { cwd?: string; json?: boolean; env?: NodeJS.ProcessEnv; command?: string[] } = {}): RunningShare {
  const argv = options.json === false ? args : ['--json', ...args];
  const command = options.command ?? [process.execPath, BIN];
  const child = spawn(command[0]!, [...command.slice(1), ...argv], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, XDG_CACHE_HOME: testCacheHome, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  const events: ShareEventRecord[] = [];
  const stdoutLines: string[] = [];
  let stderrText = '';
  const waiters: Array<() => void> = [];
  let buffered = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    let newline;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      stdoutLines.push(line);
      if (options.json !== false) events.push(JSON.parse(line) as ShareEventRecord);
      for (const wake of waiters.splice(0)) wake();
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderrText += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      for (const wake of waiters.splice(0)) wake();
      resolve({ code, signal });
    });
  });
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });

  const waitForEvent = (name: string, timeoutMs = 60_000): Promise<ShareEventRecord> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no \`${name}\` event within ${timeoutMs} ms; stderr:\n${stderrText}`)), timeoutMs);
      const check = (): void => {
        const found = events.find((event) => event.event === name);
        if (found) {
          clearTimeout(timer);
          resolve(found);
        } else if (hasExited || child.exitCode !== null) {
          clearTimeout(timer);
          reject(new Error(`exited before a \`${name}\` event; stderr:\n${stderrText}`));
        } else {
          waiters.push(check);
        }
      };
      check();
    });

  return { child, events, stdoutLines, stderr: () => stderrText, waitForEvent, exited };
}

/** A random file in a fresh temp folder, shared on loopback (with `extraArgs`) until `ready`. */
export async function shareRandomFile(name: string, size: number, extraArgs: string[] = []): Promise<{ dir: string; file: string; share: RunningShare; ready: ShareEventRecord }> {
  const dir = await tempDir();
  const file = await randomFile(dir, name, size);
  const share = startShare([file, ...LOOPBACK, ...extraArgs], { cwd: dir });
  return { dir, file, share, ready: await share.waitForEvent('ready') };
}

/** Runs the CLI to completion (for bad input): exit code and both outputs. */
export async function runShare(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const running = startShare(args, { ...options, json: false });
  const { code } = await running.exited;
  return { code, stdout: running.stdoutLines.join('\n'), stderr: running.stderr() };
}

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCommand(command: string, args: string[], options: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** aria2c as a recipient would run it, minus everything that talks to the outside world. */
export function aria2cArgs(dir: string, source: string): string[] {
  return [
    '--dir', dir,
    '--seed-time=0',
    '--enable-dht=false',
    '--enable-dht6=false',
    '--bt-enable-lpd=false',
    '--enable-peer-exchange=false',
    '--bt-stop-timeout=60',
    '--console-log-level=warn',
    '--summary-interval=0',
    '--allow-overwrite=true',
    '--auto-file-renaming=false',
    source,
  ];
}

export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port }, () => server.close(() => resolve(true)));
  });
}

export async function stopShare(running: RunningShare, signal: NodeJS.Signals = 'SIGINT'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (running.child.exitCode === null) running.child.kill(signal);
  return running.exited;
}

/**
 * The CLI as user `nobody`, for what root cannot see (unreadable files, no iptables rights): a copy
 * of this node in `dir`, wherever this node is installed, and `dir` opened to everyone.
 */
export async function asNobody(dir: string): Promise<string[]> {
  const node = path.join(dir, 'node');
  await copyFile(process.execPath, node);
  await chmod(node, 0o755);
  await chmod(dir, 0o777);
  return ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', node, BIN];
}
