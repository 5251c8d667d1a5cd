// A neighbour on the router lab's LAN (10.220.1.9, on the router's bridge like any other host) that
// runs the rogue IGD of rogue-igd.ts: what a compromised device or a hostile guest on a home
// network can do to a UPnP client that trusts the first answer.
import { execFile, spawn, type ChildProcessByStdio } from 'node:child_process';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import type { RouterLab } from './router.ts';

const run = promisify(execFile);
const ROGUE_SCRIPT = path.join(import.meta.dirname, 'rogue-igd.ts');

export interface RogueNeighbour {
  ip: string;
  /** The external address the rogue claims: not the real router's. */
  claimedExternalIp: string;
  /** What the rogue was sent so far, one entry per search or HTTP request. */
  asked(): Array<Record<string, unknown>>;
  teardown(): Promise<void>;
}

export async function addRogueNeighbour(lab: RouterLab): Promise<RogueNeighbour> {
  const namespace = `${lab.router.replace('-r-', '-n-')}`;
  const ip = '10.220.1.9';
  const claimedExternalIp = '100.64.220.66';
  const asked: Array<Record<string, unknown>> = [];
  await run('ip', ['netns', 'add', namespace]);
  let child: ChildProcessByStdio<null, Readable, Readable> | undefined;
  const teardown = async (): Promise<void> => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await run('ip', ['netns', 'del', namespace]).catch(() => {});
  };
  try {
    for (const step of [
      ['link', 'add', 'sfnn', 'netns', namespace, 'type', 'veth', 'peer', 'name', 'lan3', 'netns', lab.router],
      ['-n', lab.router, 'link', 'set', 'lan3', 'master', 'br0'],
      ['-n', lab.router, 'link', 'set', 'lan3', 'up'],
      ['-n', namespace, 'link', 'set', 'lo', 'up'],
      ['-n', namespace, 'addr', 'add', `${ip}/24`, 'dev', 'sfnn'],
      ['-n', namespace, 'link', 'set', 'sfnn', 'up'],
      ['-n', namespace, 'route', 'add', 'default', 'via', '10.220.1.1'],
    ]) {
      await run('ip', step);
    }
    // Started once its address exists: it joins the SSDP group on that address.
    child = spawn('ip', ['netns', 'exec', namespace, process.execPath, ROGUE_SCRIPT, ip, claimedExternalIp], { stdio: ['ignore', 'pipe', 'pipe'] });
    const started = child;
    let pending = '';
    let stderr = '';
    started.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the rogue IGD did not start within 15 s: ${stderr}`)), 15_000);
      started.once('exit', (code) => reject(new Error(`the rogue IGD exited with ${code}: ${stderr}`)));
      started.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop()!;
        for (const line of lines) {
          const entry = JSON.parse(line) as Record<string, unknown>;
          if (entry.event === 'listening') {
            clearTimeout(timer);
            resolve();
          } else {
            asked.push(entry);
          }
        }
      });
    });
  } catch (error) {
    await teardown();
    throw error;
  }
  return { ip, claimedExternalIp, asked: () => [...asked], teardown };
}
