// Two test hosts on one machine: network namespaces joined by a veth pair, private addresses only.
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TwoHosts {
  sharer: string;
  recipient: string;
  sharerIp: string;
  recipientIp: string;
  /** The host name the sharer's own /etc/hosts maps to 127.0.1.1, as Debian does. */
  sharerName: string;
  exec(namespace: string, command: string, args: string[]): Promise<string>;
  /** `iptables -S`, `ip6tables -S` and nft's whole ruleset (no counters) of a namespace, to compare before and after. */
  firewallState(namespace: string): Promise<string>;
  teardown(): Promise<void>;
}

export interface TwoHostsOptions {
  /** Start of namespace and interface names, so concurrent test runs can tell theirs apart. */
  prefix?: string;
  /** First two octets of the /24s handed out, e.g. `10.212`. */
  network?: string;
  /** Whether the sharer's INPUT chain ends in REJECT (the default); off for tests that run with `--firewall none`. */
  rejectInbound?: boolean;
}

let counter = 0;

/**
 * The sharer's INPUT chain ends in REJECT, like a locked-down host: only loopback and replies get
 * in, so an appended ACCEPT rule would never match. Its host name resolves to loopback locally and
 * to its veth address on the recipient's side.
 */
export async function createTwoHosts(options: TwoHostsOptions = {}): Promise<TwoHosts> {
  counter += 1;
  const prefix = options.prefix ?? 'sf';
  const id = `${process.pid % 10000}${counter}`;
  const sharer = `${prefix}-s-${id}`;
  const recipient = `${prefix}-r-${id}`;
  const subnet = options.network === undefined ? `10.${100 + (process.pid % 100)}.${counter % 250}` : `${options.network}.${(process.pid * 7 + counter) % 250}`;
  const sharerIp = `${subnet}.1`;
  const recipientIp = `${subnet}.2`;
  const sharerName = `sharehost-${id}`;
  const vethS = `${prefix}s${id}`.slice(0, 15);
  const vethR = `${prefix}r${id}`.slice(0, 15);

  const exec = async (namespace: string, command: string, args: string[]): Promise<string> =>
    (await run('ip', ['netns', 'exec', namespace, command, ...args])).stdout;
  const teardown = async (): Promise<void> => {
    for (const namespace of [sharer, recipient]) {
      await run('ip', ['netns', 'del', namespace]).catch(() => {});
      await rm(`/etc/netns/${namespace}`, { recursive: true, force: true });
    }
  };

  try {
    await mkdir(`/etc/netns/${sharer}`, { recursive: true });
    await mkdir(`/etc/netns/${recipient}`, { recursive: true });
    await writeFile(`/etc/netns/${sharer}/hosts`, `127.0.0.1 localhost\n127.0.1.1 ${sharerName}\n::1 localhost\n`);
    await writeFile(`/etc/netns/${recipient}/hosts`, `127.0.0.1 localhost\n${sharerIp} ${sharerName}\n::1 localhost\n`);
    for (const [command, ...args] of [
      ['ip', 'netns', 'add', sharer],
      ['ip', 'netns', 'add', recipient],
      ['ip', 'link', 'add', vethS, 'netns', sharer, 'type', 'veth', 'peer', 'name', vethR, 'netns', recipient],
      ['ip', '-n', sharer, 'addr', 'add', `${sharerIp}/24`, 'dev', vethS],
      ['ip', '-n', recipient, 'addr', 'add', `${recipientIp}/24`, 'dev', vethR],
      ['ip', '-n', sharer, 'link', 'set', 'lo', 'up'],
      ['ip', '-n', recipient, 'link', 'set', 'lo', 'up'],
      ['ip', '-n', sharer, 'link', 'set', vethS, 'up'],
      ['ip', '-n', recipient, 'link', 'set', vethR, 'up'],
      ['ip', '-n', sharer, 'route', 'add', 'default', 'via', recipientIp],
    ] as string[][]) {
      await run(command!, args);
    }
    for (const binary of options.rejectInbound === false ? [] : ['iptables', 'ip6tables']) {
      await exec(sharer, binary, ['-A', 'INPUT', '-i', 'lo', '-j', 'ACCEPT']);
      await exec(sharer, binary, ['-A', 'INPUT', '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT']);
      await exec(sharer, binary, ['-A', 'INPUT', '-j', 'REJECT']);
    }
  } catch (error) {
    await teardown();
    throw error;
  }

  return {
    sharer,
    recipient,
    sharerIp,
    recipientIp,
    sharerName,
    exec,
    firewallState: async (namespace) => `${await exec(namespace, 'iptables', ['-S'])}${await exec(namespace, 'ip6tables', ['-S'])}${await exec(namespace, 'nft', ['-s', 'list', 'ruleset'])}`,
    teardown,
  };
}
