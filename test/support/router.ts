// A home network in namespaces: a router running miniupnpd (UPnP IGD and/or NAT-PMP) with nftables
// masquerading, a LAN bridge with the sharer and a LAN recipient, and a "WAN" with an internet
// recipient and the STUN responder miniupnpd needs to learn its external address. Addresses:
// 10.220.1.0/24 and fd00:220:1::/64 on the LAN, 100.64.220.0/24 and fd00:220:2::/64 on the WAN
// (IPv6 is routed, not translated). No hairpin NAT: the port forwards match only on the WAN side.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { aria2cArgs, BIN, startShare, tempDir, type RunningShare } from './helpers.ts';

const run = promisify(execFile);
const STUN_SCRIPT = path.join(import.meta.dirname, 'stun.ts');

export interface RouterLabOptions {
  upnp: boolean;
  natPmp: boolean;
  /** false: the internet recipient has IPv6 only (and no STUN runs, so no miniupnpd either). */
  wanIpv4?: boolean;
}

export interface RouterLab {
  router: string;
  sharer: string;
  lanPeer: string;
  wan: string;
  sharerIp: string;
  sharerIp6: string;
  externalIp: string;
  /** The sharer's host name: its own /etc/hosts maps it to 127.0.1.1, as Debian does; no one else knows it. */
  sharerName: string;
  exec(namespace: string, command: string, args: string[], timeoutMs?: number): Promise<{ code: number; output: string }>;
  /** miniupnpd's port forwards (nft DNAT rules) and its lease file, one line each. */
  routerState(): Promise<{ forwards: string[]; leases: string[] }>;
  teardown(): Promise<void>;
}

let counter = 0;

export async function createRouterLab(options: RouterLabOptions): Promise<RouterLab> {
  counter += 1;
  const id = `${process.pid % 100000}${counter}`;
  const [router, sharer, lanPeer, wan] = ['r', 'l', 'p', 'w'].map((role) => `sfn-${role}-${id}`) as [string, string, string, string];
  const dir = await mkdtemp(path.join(tmpdir(), 'sfn-router-'));
  const sharerName = `sharer-${id}.sfn.test`;
  const wanIpv4 = options.wanIpv4 ?? true;
  const daemons: ChildProcess[] = [];

  const exec = async (namespace: string, command: string, args: string[], timeoutMs = 120_000): Promise<{ code: number; output: string }> =>
    run('ip', ['netns', 'exec', namespace, command, ...args], { timeout: timeoutMs }).then(
      ({ stdout, stderr }) => ({ code: 0, output: `${stdout}${stderr}` }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: typeof error.code === 'number' ? error.code : 1, output: `${error.stdout ?? ''}${error.stderr ?? ''}` }),
    );
  const teardown = async (): Promise<void> => {
    for (const daemon of daemons) {
      if (daemon.exitCode !== null || daemon.signalCode !== null) continue;
      const exited = new Promise((resolve) => daemon.once('exit', resolve));
      daemon.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
      daemon.kill('SIGKILL');
    }
    for (const namespace of [router, sharer, lanPeer, wan]) {
      await run('ip', ['netns', 'del', namespace]).catch(() => {});
      await rm(`/etc/netns/${namespace}`, { recursive: true, force: true });
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    for (const namespace of [router, sharer, lanPeer, wan]) {
      await mkdir(`/etc/netns/${namespace}`, { recursive: true });
      const own = namespace === sharer ? `127.0.1.1 ${sharerName}\n` : '';
      await writeFile(`/etc/netns/${namespace}/hosts`, `127.0.0.1 localhost\n::1 localhost\n${own}`);
      // Name lookups stay inside the namespace: nothing asks the host's resolver.
      await writeFile(`/etc/netns/${namespace}/resolv.conf`, 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
      await run('ip', ['netns', 'add', namespace]);
      await run('ip', ['-n', namespace, 'link', 'set', 'lo', 'up']);
    }
    await wire(router, sharer, lanPeer, wan, wanIpv4);
    await firewallRouter(router);
    if (options.upnp || options.natPmp) {
      if (!wanIpv4) throw new Error('miniupnpd needs STUN over IPv4 on the WAN');
      daemons.push(await startDaemon(wan, [process.execPath, STUN_SCRIPT, '100.64.220.2'], /listening/));
      const config = path.join(dir, 'miniupnpd.conf');
      await writeFile(config, miniupnpdConfig(options, path.join(dir, 'leases')));
      const ready = options.upnp ? /HTTP listening on port/ : /Listening for NAT-PMP/;
      daemons.push(await startDaemon(router, ['/usr/sbin/miniupnpd', '-d', '-f', config, '-P', path.join(dir, 'pid')], ready));
    }
  } catch (error) {
    await teardown();
    throw error;
  }

  return {
    router,
    sharer,
    lanPeer,
    wan,
    sharerIp: '10.220.1.2',
    sharerIp6: 'fd00:220:1::2',
    externalIp: '100.64.220.1',
    sharerName,
    exec,
    routerState: async () => {
      const chain = await exec(router, 'nft', ['list', 'chain', 'inet', 'sfn', 'prerouting_miniupnpd']);
      const leases = await readFile(path.join(dir, 'leases'), 'utf8').catch(() => '');
      return { forwards: chain.output.split('\n').filter((line) => line.includes('dnat')).map((line) => line.trim()), leases: leases.split('\n').filter(Boolean) };
    },
    teardown,
  };
}

async function wire(router: string, sharer: string, lanPeer: string, wan: string, wanIpv4: boolean): Promise<void> {
  const steps: string[][] = [
    ['-n', router, 'link', 'add', 'br0', 'type', 'bridge'],
    ['link', 'add', 'sfnl', 'netns', sharer, 'type', 'veth', 'peer', 'name', 'lan1', 'netns', router],
    ['link', 'add', 'sfnp', 'netns', lanPeer, 'type', 'veth', 'peer', 'name', 'lan2', 'netns', router],
    ['link', 'add', 'sfnw', 'netns', wan, 'type', 'veth', 'peer', 'name', 'wan0', 'netns', router],
    ['-n', router, 'link', 'set', 'lan1', 'master', 'br0'],
    ['-n', router, 'link', 'set', 'lan2', 'master', 'br0'],
    ['-n', router, 'addr', 'add', '10.220.1.1/24', 'dev', 'br0'],
    ['-n', router, 'addr', 'add', 'fd00:220:1::1/64', 'dev', 'br0', 'nodad'],
    ['-n', router, 'addr', 'add', '100.64.220.1/24', 'dev', 'wan0'],
    ['-n', router, 'addr', 'add', 'fd00:220:2::1/64', 'dev', 'wan0', 'nodad'],
    ['-n', sharer, 'addr', 'add', '10.220.1.2/24', 'dev', 'sfnl'],
    ['-n', sharer, 'addr', 'add', 'fd00:220:1::2/64', 'dev', 'sfnl', 'nodad'],
    ['-n', lanPeer, 'addr', 'add', '10.220.1.3/24', 'dev', 'sfnp'],
    ['-n', lanPeer, 'addr', 'add', 'fd00:220:1::3/64', 'dev', 'sfnp', 'nodad'],
    ...(wanIpv4 ? [['-n', wan, 'addr', 'add', '100.64.220.2/24', 'dev', 'sfnw']] : []),
    ['-n', wan, 'addr', 'add', 'fd00:220:2::2/64', 'dev', 'sfnw', 'nodad'],
    ...[[router, 'br0'], [router, 'lan1'], [router, 'lan2'], [router, 'wan0'], [sharer, 'sfnl'], [lanPeer, 'sfnp'], [wan, 'sfnw']].map(([namespace, link]) => ['-n', namespace!, 'link', 'set', link!, 'up']),
    ['-n', sharer, 'route', 'add', 'default', 'via', '10.220.1.1'],
    ['-n', sharer, '-6', 'route', 'add', 'default', 'via', 'fd00:220:1::1'],
    ['-n', lanPeer, 'route', 'add', 'default', 'via', '10.220.1.1'],
    ['-n', lanPeer, '-6', 'route', 'add', 'default', 'via', 'fd00:220:1::1'],
    // The internet side knows no route to the LAN's private IPv4 range, only the router's address.
    ['-n', wan, '-6', 'route', 'add', 'default', 'via', 'fd00:220:2::1'],
  ];
  for (const step of steps) await run('ip', step);
  await run('ip', ['netns', 'exec', router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1']);
}

/** A home router's ruleset: LAN out (masqueraded), replies back in, and in from the WAN only what miniupnpd forwards. */
async function firewallRouter(router: string): Promise<void> {
  const ruleset = `table inet sfn {
  chain forward {
    type filter hook forward priority 0; policy drop;
    ct state established,related accept
    iifname "br0" accept
    meta nfproto ipv6 accept
    jump miniupnpd
  }
  chain miniupnpd {
  }
  chain prerouting {
    type nat hook prerouting priority -100; policy accept;
    jump prerouting_miniupnpd
  }
  chain postrouting {
    type nat hook postrouting priority 100; policy accept;
    jump postrouting_miniupnpd
    oifname "wan0" meta nfproto ipv4 masquerade
  }
  chain prerouting_miniupnpd {
  }
  chain postrouting_miniupnpd {
  }
}
`;
  const child = spawn('ip', ['netns', 'exec', router, 'nft', '-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.end(ruleset);
  const code = await new Promise((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`nft failed: ${stderr}`);
}

/** miniupnpd as measured to work here: the nftables build, our own chains, STUN for the external address. */
function miniupnpdConfig(options: RouterLabOptions, leaseFile: string): string {
  return [
    'ext_ifname=wan0',
    'listening_ip=br0',
    'http_port=0',
    `enable_upnp=${options.upnp ? 'yes' : 'no'}`,
    `enable_natpmp=${options.natPmp ? 'yes' : 'no'}`,
    'ipv6_disable=yes',
    'ext_perform_stun=yes',
    'ext_stun_host=100.64.220.2',
    'ext_stun_port=3478',
    'secure_mode=yes',
    'system_uptime=yes',
    `lease_file=${leaseFile}`,
    `uuid=${randomUUID()}`,
    'upnp_table_name=sfn',
    'upnp_nat_table_name=sfn',
    'allow 1024-65535 10.220.0.0/16 1024-65535',
    'deny 0-65535 0.0.0.0/0 0-65535',
    '',
  ].join('\n');
}

/** Starts a daemon in a namespace and resolves once its output says it is ready. */
async function startDaemon(namespace: string, command: string[], ready: RegExp): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', namespace, ...command], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command[0]} did not start within 15 s:\n${output}`)), 15_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (ready.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${command[0]} exited with ${code}:\n${output}`));
    });
  });
  // Keep draining, or a chatty daemon blocks on a full pipe.
  child.stdout!.resume();
  child.stderr!.resume();
  return child;
}

/**
 * share-file on the lab's sharer, under the sharer's own host name (a UTS namespace of its own), so
 * that the name resolves to 127.0.1.1 there and to nothing anywhere else, like a Debian laptop's.
 */
export function shareInLab(lab: RouterLab, args: string[], cwd: string): RunningShare {
  const withName = ['unshare', '--uts', 'sh', '-c', 'hostname "$0" && exec "$@"', lab.sharerName];
  return startShare(args, { cwd, command: ['ip', 'netns', 'exec', lab.sharer, ...withName, process.execPath, BIN] });
}

/** aria2c in a namespace of the lab; the folder it downloaded to, and how it went. */
export async function downloadInLab(lab: RouterLab, namespace: string, source: string): Promise<{ code: number; output: string; target: string }> {
  const target = await tempDir('sfn-download-');
  const result = await lab.exec(namespace, 'aria2c', ['--connect-timeout=5', '--max-tries=3', '--retry-wait=1', ...aria2cArgs(target, source)]);
  return { ...result, target };
}
