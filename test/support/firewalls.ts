// The sharer's firewall, one of five real ones, set up inside its network namespace: firewalld
// (on a private D-Bus system bus), native nftables, ufw, iptables-legacy and iptables-nft. Each
// drops or rejects inbound connections by default, as the hosts that ship it do.
import { execFile, spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { pythonPath, unpackedDebs } from './debs.ts';
import type { TwoHosts } from './netns.ts';

const run = promisify(execFile);

export type FirewallKind = 'firewalld' | 'nftables' | 'ufw' | 'iptables-legacy' | 'iptables-nft';

export interface SharerFirewall {
  kind: FirewallKind;
  /** Runs a program where share-file runs: the sharer's namespace (for firewalld, also its mount namespace). */
  prefix: string[];
  /** What a process there needs in its environment (firewall-cmd on PATH, its Python modules). */
  env: Record<string, string>;
  /** Cron's PATH (no sbin folder), plus where firewall-cmd was unpacked: what share-file runs with. */
  cronPath: string;
  exec(command: string, args: string[]): Promise<string>;
  /** Every ruleset there: nft's (without counters), legacy iptables', firewalld's runtime zones. */
  state(): Promise<string>;
  stop(): Promise<void>;
}

/** The sharer's namespace of `hosts` must have been made with `rejectInbound: false`, except for iptables-nft. */
export async function setUpFirewall(hosts: TwoHosts, kind: FirewallKind): Promise<SharerFirewall> {
  const plain = (prefix: string[], env: Record<string, string> = {}): Pick<SharerFirewall, 'prefix' | 'env' | 'exec'> => ({
    prefix,
    env,
    exec: async (command, args) => (await run(prefix[0]!, [...prefix.slice(1), 'env', ...Object.entries(env).map(([key, value]) => `${key}=${value}`), command, ...args])).stdout,
  });
  const inNamespace = plain(['ip', 'netns', 'exec', hosts.sharer]);
  switch (kind) {
    case 'nftables':
      await run('ip', ['netns', 'exec', hosts.sharer, 'nft', '-f', path.join(import.meta.dirname, 'nftables-drop.conf')]);
      return withState(kind, inNamespace, async () => {});
    case 'iptables-legacy':
      for (const binary of ['iptables-legacy', 'ip6tables-legacy']) {
        for (const rule of [['-A', 'INPUT', '-i', 'lo', '-j', 'ACCEPT'], ['-A', 'INPUT', '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT'], ['-P', 'INPUT', 'DROP']]) {
          await inNamespace.exec(binary, rule);
        }
      }
      return withState(kind, inNamespace, async () => {});
    case 'iptables-nft':
      return withState(kind, inNamespace, async () => {});
    case 'ufw':
      return setUpUfw(hosts, inNamespace);
    case 'firewalld':
      return setUpFirewalld(hosts, plain);
  }
}

function withState(kind: FirewallKind, where: Pick<SharerFirewall, 'prefix' | 'env' | 'exec'>, stop: () => Promise<void>): SharerFirewall {
  const state = async (): Promise<string> => {
    // -s: no counters, which every packet changes. Legacy tables are listed only where they exist:
    // the first iptables-legacy call would create them.
    let text = await where.exec('nft', ['-s', 'list', 'ruleset']);
    const legacy = await where.exec('cat', ['/proc/net/ip_tables_names', '/proc/net/ip6_tables_names']);
    if (legacy.includes('filter')) text += await where.exec('iptables-legacy', ['-S']) + await where.exec('ip6tables-legacy', ['-S']);
    if (kind === 'firewalld') text += await where.exec('firewall-cmd', ['--list-all-zones']);
    return text;
  };
  const cronPath = ['/usr/bin', '/bin'];
  if (where.env.PATH) cronPath.unshift(where.env.PATH.split(':')[0]!);
  return { kind, ...where, cronPath: cronPath.join(':'), state, stop };
}

/** ufw as Debian ships it (deny incoming), its files in a temporary root, enabled and reloaded once. */
async function setUpUfw(hosts: TwoHosts, inNamespace: Pick<SharerFirewall, 'prefix' | 'env' | 'exec'>): Promise<SharerFirewall> {
  const debs = await unpackedDebs('ufw', ['ufw']);
  const root = await mkdtemp(path.join(tmpdir(), 'share-file-ufw-'));
  await mkdir(path.join(root, 'etc', 'ufw', 'applications.d'), { recursive: true });
  await mkdir(path.join(root, 'etc', 'default'), { recursive: true });
  // The packaged rules are links into /usr/share/ufw/iptables: copied as files, as its postinst does.
  await cp(path.join(debs, 'usr', 'share', 'ufw', 'iptables'), path.join(root, 'etc', 'ufw'), { recursive: true, dereference: true });
  await cp(path.join(debs, 'usr', 'share', 'ufw', 'ufw.conf'), path.join(root, 'etc', 'ufw', 'ufw.conf'));
  await cp(path.join(debs, 'lib', 'ufw'), path.join(root, 'lib', 'ufw'), { recursive: true });
  // No sysctl changes and no kernel modules: those would reach past the namespace.
  await writeFile(path.join(root, 'sysctl.conf'), '');
  const defaults = await readFile(path.join(debs, 'etc', 'default', 'ufw'), 'utf8');
  await writeFile(path.join(root, 'etc', 'default', 'ufw'), defaults.replace(/^IPT_SYSCTL=.*$/m, `IPT_SYSCTL=${root}/sysctl.conf`).replace(/^IPT_MODULES=.*$/m, 'IPT_MODULES=""'));
  const ufw = (args: string[]): Promise<string> =>
    inNamespace.exec('env', [`PYTHONPATH=${pythonPath(debs)}`, '/usr/bin/python3', path.join(debs, 'usr', 'sbin', 'ufw'), `--rootdir=${root}`, `--datadir=${root}`, ...args]);
  try {
    await ufw(['--force', 'enable']);
    // ufw's first load and every later one differ slightly: reload once before the baseline.
    await ufw(['reload']);
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
  return withState('ufw', inNamespace, () => rm(root, { recursive: true, force: true }));
}

const BUS_CONFIG = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=/run/dbus/system_bus_socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_type="method_return"/>
    <allow send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="signal"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
  </policy>
</busconfig>
`;

/**
 * firewalld 1.x (nftables backend, zone public) in the sharer's namespace and in a mount namespace
 * of its own, whose private /run holds a private D-Bus system bus at the usual path: firewall-cmd
 * there finds it as on any host. Processes run there through nsenter into the holder process.
 */
async function setUpFirewalld(hosts: TwoHosts, plain: (prefix: string[], env?: Record<string, string>) => Pick<SharerFirewall, 'prefix' | 'env' | 'exec'>): Promise<SharerFirewall> {
  const python = await run('/usr/bin/python3', ['-c', 'import dbus, gi, nftables']).catch(() => undefined);
  if (!python) throw new Error('firewalld needs python3-dbus, python3-gi and python3-nftables: apt-get install python3-dbus python3-gi python3-nftables gir1.2-glib-2.0');
  const debs = await unpackedDebs('firewalld', ['firewalld', 'python3-firewall']);
  const work = await mkdtemp(path.join(tmpdir(), 'share-file-firewalld-'));
  await cp(path.join(debs, 'etc', 'firewalld'), path.join(work, 'etc'), { recursive: true });
  await writeFile(path.join(work, 'bus.conf'), BUS_CONFIG);
  const script = [
    'set -e',
    'mount -t tmpfs tmpfs /run',
    'mkdir -p /run/dbus',
    `dbus-daemon --config-file ${work}/bus.conf --fork --nopidfile`,
    `PYTHONPATH=${pythonPath(debs)} /usr/bin/python3 ${debs}/usr/sbin/firewalld --nofork --nopid --system-config ${work}/etc --default-config ${debs}/usr/lib/firewalld --log-target file --log-file ${work}/firewalld.log &`,
    'exec sleep infinity',
  ].join('\n');
  const holder = spawn('ip', ['netns', 'exec', hosts.sharer, 'unshare', '--mount', '--propagation', 'private', 'sh', '-c', script], { stdio: 'ignore' });
  const stop = async (): Promise<void> => {
    // Everything in the namespace is ours: the holder, dbus-daemon, firewalld.
    const pids = (await run('ip', ['netns', 'pids', hosts.sharer]).catch(() => ({ stdout: '' }))).stdout.split('\n').filter(Boolean);
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone already
      }
    }
    holder.kill('SIGKILL');
    await rm(work, { recursive: true, force: true });
  };
  const where = plain(['nsenter', '-t', String(holder.pid), '-m', '-n', '--'], { PATH: `${debs}/usr/bin:${process.env.PATH}`, PYTHONPATH: pythonPath(debs) });
  for (let attempt = 0; ; attempt += 1) {
    // Only once the holder runs `sleep` is it in its own mount namespace with the bus started.
    const ready = (await readFile(`/proc/${holder.pid}/comm`, 'utf8').catch(() => '')).trim() === 'sleep';
    const state = ready ? await where.exec('firewall-cmd', ['--state']).catch(() => '') : '';
    if (state.trim() === 'running') break;
    if (attempt === 120) {
      const log = await readFile(path.join(work, 'firewalld.log'), 'utf8').catch(() => '');
      await stop();
      throw new Error(`firewalld did not start within 30 s:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return withState('firewalld', where, stop);
}
