// A sharer behind a capped uplink and several recipients, each in its own network namespace, all
// on one bridge in a "switch" namespace: the recipients reach each other at full speed, and
// whatever the sharer sends leaves through one rate-limited interface.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface UplinkHost {
  namespace: string;
  ip: string;
}

export interface UplinkHosts {
  sharer: UplinkHost;
  recipients: UplinkHost[];
  /** The sharer's interface, the one with the capped egress. */
  sharerDevice: string;
  rateMbit: number;
  /** argv that runs a command inside a namespace. */
  inside(namespace: string, command: string[]): string[];
  /**
   * Bytes that left the sharer's interface so far: read through a process living in its namespace
   * when given one (cheap enough to sample often), else from `ip -s link`.
   */
  sharerTxBytes(pidInSharer?: number): Promise<number>;
  teardown(): Promise<void>;
}

/** The subnets this helper may use: 10.230.0.0/16 to 10.239.0.0/16, one /24 per topology. */
const FIRST_SECOND_OCTET = 230;
let counter = 0;

/** A bucket sized to 10 ms of the rate: small enough to hold the rate, large enough for a GSO packet. */
export function tbfArgs(device: string, rateMbit: number): string[] {
  const burstBytes = Math.max(64 * 1024, Math.round((rateMbit * 1e6) / 8 / 100));
  return ['qdisc', 'add', 'dev', device, 'root', 'tbf', 'rate', `${rateMbit}mbit`, 'burst', String(burstBytes), 'latency', '50ms'];
}

export async function createUplinkHosts(options: { recipients: number; rateMbit: number }): Promise<UplinkHosts> {
  counter += 1;
  const id = `${process.pid % 10000}${counter}`;
  const octet2 = FIRST_SECOND_OCTET + (process.pid % 10);
  const octet3 = (Math.floor(process.pid / 10) + counter) % 250;
  const subnet = `10.${octet2}.${octet3}`;
  const switchNs = `sfu-sw-${id}`;
  const sharer = { namespace: `sfu-s-${id}`, ip: `${subnet}.1` };
  const recipients = Array.from({ length: options.recipients }, (_, index) => ({ namespace: `sfu-r${index}-${id}`, ip: `${subnet}.${11 + index}` }));
  const sharerDevice = 'up0';
  const namespaces = [switchNs, sharer.namespace, ...recipients.map((host) => host.namespace)];

  const teardown = async (): Promise<void> => {
    for (const namespace of namespaces) await run('ip', ['netns', 'del', namespace]).catch(() => {});
  };
  try {
    for (const namespace of namespaces) await run('ip', ['netns', 'add', namespace]);
    await run('ip', ['-n', switchNs, 'link', 'add', 'br0', 'type', 'bridge']);
    await run('ip', ['-n', switchNs, 'link', 'set', 'br0', 'up']);
    const hosts = [sharer, ...recipients];
    for (const [index, host] of hosts.entries()) {
      const device = index === 0 ? sharerDevice : 'eth0';
      const port = `port${index}`;
      await run('ip', ['link', 'add', device, 'netns', host.namespace, 'type', 'veth', 'peer', 'name', port, 'netns', switchNs]);
      await run('ip', ['-n', switchNs, 'link', 'set', port, 'master', 'br0', 'up']);
      await run('ip', ['-n', host.namespace, 'addr', 'add', `${host.ip}/24`, 'dev', device]);
      await run('ip', ['-n', host.namespace, 'link', 'set', 'lo', 'up']);
      await run('ip', ['-n', host.namespace, 'link', 'set', device, 'up']);
    }
    await run('ip', ['netns', 'exec', sharer.namespace, 'tc', ...tbfArgs(sharerDevice, options.rateMbit)]);
  } catch (error) {
    await teardown();
    throw error;
  }

  return {
    sharer,
    recipients,
    sharerDevice,
    rateMbit: options.rateMbit,
    inside: (namespace, command) => ['ip', 'netns', 'exec', namespace, ...command],
    sharerTxBytes: async (pid) => {
      if (pid !== undefined) return txBytes(await readFile(`/proc/${pid}/net/dev`, 'utf8'), sharerDevice);
      const { stdout } = await run('ip', ['-n', sharer.namespace, '-j', '-s', 'link', 'show', 'dev', sharerDevice]);
      return Number((JSON.parse(stdout) as Array<{ stats64: { tx: { bytes: number } } }>)[0]!.stats64.tx.bytes);
    },
    teardown,
  };
}

/** The transmitted-bytes column of one interface in /proc/net/dev. */
export function txBytes(netDev: string, device: string): number {
  const line = netDev.split('\n').find((candidate) => candidate.trim().startsWith(`${device}:`));
  if (!line) throw new Error(`no interface ${device} in /proc/net/dev`);
  // `name: rx_bytes rx_packets rx_errs rx_drop rx_fifo rx_frame rx_compressed rx_multicast tx_bytes ...`
  return Number(line.split(':')[1]!.trim().split(/\s+/)[8]);
}
