// Processes inside a network namespace for the client drivers: spawn with a log, run to the end, HTTP via curl, stop.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';

/** The recipient's clients run in their own namespace, so every command goes through `ip netns exec`. */
export function inNamespace(namespace: string, command: string, args: string[]): [string, string[]] {
  return ['ip', ['netns', 'exec', namespace, command, ...args]];
}

// A failing test must not leave clients behind to hold ports, files or namespaces.
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

export interface ClientProcess {
  child: ChildProcess;
  /** Everything the process wrote, also kept in the log file for a failing test. */
  output(): string;
  exited: Promise<number | null>;
}

/** Starts a long-running client; `ip netns exec` execs in place, so the pid is the client's own. */
export function spawnIn(namespace: string, command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; log: string }): ClientProcess {
  const [file, argv] = inNamespace(namespace, command, args);
  const child = spawn(file, argv, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const log = createWriteStream(options.log);
  let text = '';
  const keep = (chunk: Buffer): void => {
    log.write(chunk);
    // The tail is enough to explain a failure; a chatty client must not grow memory without bound.
    text = (text + chunk.toString('utf8')).slice(-64 * 1024);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => {
    child.on('error', (error) => {
      text += `\n${String(error)}`;
      resolve(null);
    });
    child.on('exit', (code) => {
      running.delete(child);
      log.end();
      resolve(code);
    });
  });
  return { child, output: () => text, exited };
}

/** Runs a short command in the namespace to its end; rejects on a non-zero exit, naming its output. */
export function runIn(namespace: string, command: string, args: string[], timeoutMs = 30_000): Promise<string> {
  const [file, argv] = inNamespace(namespace, command, args);
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${command} ${args.join(' ')} ended with ${code ?? signal}: ${stdout}${stderr}`.slice(0, 4000)));
    });
  });
}

/** One HTTP request from inside the namespace (the root namespace has no route to it); returns the body. */
export function httpIn(namespace: string, url: string, curlArgs: string[] = []): Promise<string> {
  return runIn(namespace, 'curl', ['--silent', '--show-error', '--fail-with-body', '--max-time', '10', ...curlArgs, url]);
}

/** Asks the process to stop, and kills it if it has not within `graceMs`. */
export async function stopProcess(client: ClientProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
  const { child } = client;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await client.exited;
  clearTimeout(timer);
}

/** Polls `probe` until it returns a value, or fails after `timeoutMs` with what `describe` says. */
export async function pollUntil<T>(probe: () => Promise<T | undefined>, timeoutMs: number, describe: () => string, intervalMs = 200): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`gave up after ${timeoutMs} ms: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Waits for a daemon to be ready; if it never is, stops it before passing the failure on. */
export async function readyOrStopped<T>(daemon: ClientProcess, ready: Promise<T>): Promise<T> {
  try {
    return await ready;
  } catch (error) {
    await stopProcess(daemon, 'SIGKILL', 1000);
    throw error;
  }
}
