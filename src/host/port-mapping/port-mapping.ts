// Router port mapping for --port-map: find the router (UPnP IGD, NAT-PMP), map the tracker and peer
// ports, renew the leases at half-life while sharing, and delete them on every way out.
//
// A client of our own over dgram and http (this folder, ~700 lines; 10.7 kB of the esbuild bundle,
// minified) rather than a library, measured bundled the same way: @achingbrain/nat-port-mapper 4.0.5
// adds 149 kB (9 runtime dependencies: xml2js, @libp2p/logger, netmask, ...) and @silentbot1/nat-api
// 0.4.9 adds 258 kB (xml2js, chrome-dgram, debug, default-gateway, ...), to a package that ships no
// runtime dependency; neither tags a mapping with its owner's pid, which the stale sweep needs.
import type { CleanupStack } from '../../cleanup.ts';
import { ShareFileError } from '../../errors.ts';
import type { PortMapMode } from '../../options.ts';
import { DISCOVERY_TIMEOUT_MS, mappingDescription, type Mapping, type MappingProtocol, type PortMapper } from './mapper.ts';
import { discoverNatPmp } from './natpmp.ts';
import { discoverUpnp } from './upnp.ts';


export interface MappedPorts {
  protocol: MappingProtocol;
  router: string;
  /** The router's external address: what recipients outside the LAN are told. */
  externalAddress: string;
  /** Our address as the router sees it. */
  localAddress: string;
  trackerPort: number;
  peerPort: number;
  /** Seconds the router granted; 0 for a permanent mapping (deleted at exit all the same). */
  lifetimeSeconds: number;
}

const PROTOCOL_NAMES: Record<MappingProtocol, string> = { upnp: 'UPnP', 'nat-pmp': 'NAT-PMP' };
const SECONDS = DISCOVERY_TIMEOUT_MS / 1000;

/**
 * The router to ask, by mode. auto: both protocols at once, UPnP preferred (its mappings can be
 * listed, so a crashed run's are found again); nobody answering is not an error there.
 */
export async function findRouter(mode: Exclude<PortMapMode, 'none'>): Promise<{ mapper: PortMapper | undefined; notices: string[] }> {
  const upnp = mode === 'nat-pmp' ? Promise.resolve(undefined) : discoverUpnp();
  const natPmp = mode === 'upnp' ? Promise.resolve(undefined) : discoverNatPmp();
  const [upnpResult, natPmpResult] = await Promise.allSettled([upnp, natPmp]);
  const found = [upnpResult, natPmpResult].find((result) => result.status === 'fulfilled' && result.value !== undefined);
  if (found?.status === 'fulfilled') return { mapper: found.value, notices: [] };

  const failures = new Set([upnpResult, natPmpResult].flatMap((result) => (result.status === 'rejected' ? [(result.reason as Error).message] : [])));
  const tried =
    mode === 'upnp'
      ? `no UPnP router answered at the default gateway within ${SECONDS} s`
      : mode === 'nat-pmp'
        ? `no NAT-PMP router answered at the default gateway within ${SECONDS} s`
        : `no router answered UPnP or NAT-PMP at the default gateway within ${SECONDS} s`;
  const message = failures.size > 0 ? `${tried} (${[...failures].join('; ')})` : tried;
  if (mode !== 'auto') throw failed(message, `check that the router has ${mode === 'upnp' ? 'UPnP' : 'NAT-PMP'} turned on, or use --port-map auto or none`);
  return { mapper: undefined, notices: [`${message}; recipients outside this network need a port forward on the router, or use --port-map none to skip asking`] };
}

/**
 * Sweeps what crashed runs left, maps both ports (each deletion registered on `cleanup` the moment
 * the mapping exists) and keeps renewing them. `required`: a refusal is fatal rather than a notice.
 */
export async function mapPorts(
  mapper: PortMapper,
  ports: { trackerPort: number; peerPort: number },
  options: { pid: number; required: boolean; cleanup: CleanupStack; isRunning: (pid: number) => Promise<boolean>; onNotice: (message: string) => void },
): Promise<MappedPorts | undefined> {
  const name = PROTOCOL_NAMES[mapper.protocol];
  const mappings: Mapping[] = [];
  try {
    for (const removed of await mapper.sweepStale(options.isRunning)) options.onNotice(`removed a stale router mapping: ${removed}`);
    for (const port of [ports.trackerPort, ports.peerPort]) {
      const mapping = await mapper.map(port, port, mappingDescription(options.pid, port));
      mappings.push(mapping);
      options.cleanup.defer(`the ${name} mapping of port ${mapping.externalPort} on ${mapper.router}`, () => mapper.unmap(mapping));
    }
  } catch (error) {
    const message = `the ${name} router at ${mapper.router} did not map the ports: ${(error as Error).message}`;
    if (options.required) throw failed(message, 'free the ports on the router, or use --port-map none', error);
    options.onNotice(`${message}; sharing goes on without a mapping`);
    return undefined;
  }
  const [tracker, peer] = mappings as [Mapping, Mapping];
  if (tracker.lifetimeSeconds === 0) {
    options.onNotice(`the ${name} router at ${mapper.router} takes only permanent mappings; share-file deletes them when it stops, but a crash would leave them until removed on the router`);
  }
  keepRenewing(mapper, mappings, options);
  return {
    protocol: mapper.protocol,
    router: mapper.router,
    externalAddress: mapper.externalAddress,
    localAddress: mapper.localAddress,
    trackerPort: tracker.externalPort,
    peerPort: peer.externalPort,
    lifetimeSeconds: tracker.lifetimeSeconds,
  };
}

/** Renews every mapping at half its lease; a failed renewal is a notice, the next one tries again. */
function keepRenewing(mapper: PortMapper, mappings: Mapping[], options: { pid: number; cleanup: CleanupStack; onNotice: (message: string) => void }): void {
  const lifetime = Math.min(...mappings.map((mapping) => mapping.lifetimeSeconds));
  if (lifetime === 0) return;
  const timer = setInterval(() => {
    for (const mapping of mappings) {
      mapper.map(mapping.internalPort, mapping.externalPort, mappingDescription(options.pid, mapping.internalPort)).then(
        (renewed) => {
          if (renewed.externalPort !== mapping.externalPort) options.onNotice(`the router moved port ${mapping.internalPort} from external port ${mapping.externalPort} to ${renewed.externalPort}; recipients told the old port cannot reach it`);
        },
        (error: unknown) => options.onNotice(`renewing the mapping of port ${mapping.externalPort} failed: ${(error as Error).message}`),
      );
    }
  }, Math.max(30, lifetime / 2) * 1000);
  // The servers keep the process alive while sharing; the renewal must not keep it alive after.
  timer.unref();
  options.cleanup.defer('the router mapping renewal', () => clearInterval(timer));
}

function failed(message: string, hint: string, cause?: unknown): ShareFileError {
  return new ShareFileError('PORT_MAPPING_FAILED', message, { hint, cause });
}
