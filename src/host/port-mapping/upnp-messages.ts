// UPnP IGD messages as data: the SSDP search, the SOAP requests (pure builders) and parsers that read
// a router's replies as untrusted input (bounded sizes, no XML library: only the few tags we need).
import { isIP } from 'node:net';

export const SSDP_ADDRESS = '239.255.255.250';
export const SSDP_PORT = 1900;
/** Device descriptions are a few KiB; anything far larger is not a router talking sense. */
export const MAX_DESCRIPTION_BYTES = 64 * 1024;
/** SOAP replies are a few hundred bytes. */
export const MAX_SOAP_BYTES = 16 * 1024;

const SEARCH_TARGETS = ['urn:schemas-upnp-org:device:InternetGatewayDevice:1', 'urn:schemas-upnp-org:device:InternetGatewayDevice:2'];
/** The services that map ports, best first (IGD v2 answers v1 requests too). */
const CONNECTION_SERVICES = [
  'urn:schemas-upnp-org:service:WANIPConnection:2',
  'urn:schemas-upnp-org:service:WANIPConnection:1',
  'urn:schemas-upnp-org:service:WANPPPConnection:1',
];

/** One M-SEARCH per search target; MX 1 asks devices to answer within a second. */
export function ssdpSearches(): Buffer[] {
  return SEARCH_TARGETS.map((target) =>
    Buffer.from(['M-SEARCH * HTTP/1.1', `HOST: ${SSDP_ADDRESS}:${SSDP_PORT}`, 'MAN: "ssdp:discover"', 'MX: 1', `ST: ${target}`, '', ''].join('\r\n')),
  );
}

/**
 * The description URL of an SSDP answer, if it is an HTTP URL on the host that answered: a reply
 * pointing elsewhere could make us fetch (and later post to) a host that is not the router.
 */
export function parseSsdpReply(reply: Buffer, from: string): URL | undefined {
  if (reply.length > 2048) return undefined;
  const text = reply.toString('latin1');
  if (!/^HTTP\/1\.[01] 200/i.test(text)) return undefined;
  const location = /^location:\s*(\S+)\s*$/im.exec(text)?.[1];
  if (!location) return undefined;
  try {
    const url = new URL(location);
    // An address literal, not a name: a name could resolve anywhere.
    return url.protocol === 'http:' && isIP(url.hostname) !== 0 && url.hostname === from ? url : undefined;
  } catch {
    return undefined;
  }
}

export interface ControlPoint {
  serviceType: string;
  controlUrl: URL;
}

/** The port-mapping service of a device description, its control URL resolved against where it came from. */
export function parseDescription(xml: string, base: URL): ControlPoint | undefined {
  if (xml.length > MAX_DESCRIPTION_BYTES) return undefined;
  const services = [...xml.matchAll(/<service>([\s\S]*?)<\/service>/gi)].map((match) => match[1]!);
  for (const wanted of CONNECTION_SERVICES) {
    for (const service of services) {
      if (tagText(service, 'serviceType') !== wanted) continue;
      const control = tagText(service, 'controlURL');
      if (!control) continue;
      try {
        const controlUrl = new URL(control, base);
        // The control URL must stay on the router that described itself.
        if (controlUrl.protocol !== 'http:' || controlUrl.hostname !== base.hostname) continue;
        return { serviceType: wanted, controlUrl };
      } catch {
        continue;
      }
    }
  }
  return undefined;
}

export interface SoapRequest {
  action: string;
  serviceType: string;
  body: string;
}

export interface MappingRequest {
  externalPort: number;
  internalPort: number;
  internalClient: string;
  description: string;
  /** Seconds; 0 only where the router accepts nothing else (error 725). */
  leaseSeconds: number;
}

function soap(serviceType: string, action: string, args: Array<[string, string | number]>): SoapRequest {
  const fields = args.map(([name, value]) => `<${name}>${escapeXml(String(value))}</${name}>`).join('');
  const body =
    '<?xml version="1.0"?>\r\n<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">' +
    `<s:Body><u:${action} xmlns:u="${serviceType}">${fields}</u:${action}></s:Body></s:Envelope>\r\n`;
  return { action, serviceType, body };
}

export function addPortMapping(serviceType: string, request: MappingRequest): SoapRequest {
  return soap(serviceType, 'AddPortMapping', [
    ['NewRemoteHost', ''],
    ['NewExternalPort', request.externalPort],
    ['NewProtocol', 'TCP'],
    ['NewInternalPort', request.internalPort],
    ['NewInternalClient', request.internalClient],
    ['NewEnabled', 1],
    ['NewPortMappingDescription', request.description],
    ['NewLeaseDuration', request.leaseSeconds],
  ]);
}

export function deletePortMapping(serviceType: string, externalPort: number): SoapRequest {
  return soap(serviceType, 'DeletePortMapping', [
    ['NewRemoteHost', ''],
    ['NewExternalPort', externalPort],
    ['NewProtocol', 'TCP'],
  ]);
}

export function getExternalIpAddress(serviceType: string): SoapRequest {
  return soap(serviceType, 'GetExternalIPAddress', []);
}

export function getGenericPortMappingEntry(serviceType: string, index: number): SoapRequest {
  return soap(serviceType, 'GetGenericPortMappingEntry', [['NewPortMappingIndex', index]]);
}

export type SoapResult = { ok: true; fields: Map<string, string> } | { ok: false; code: number; description: string };

/** A SOAP answer: its output arguments, or the UPnP error code of a fault (0 when it names none). */
export function parseSoapReply(status: number, xml: string): SoapResult {
  if (xml.length > MAX_SOAP_BYTES) return { ok: false, code: 0, description: 'oversized reply' };
  if (status !== 200) {
    const code = Number(tagText(xml, 'errorCode') ?? '0');
    return { ok: false, code: Number.isInteger(code) ? code : 0, description: tagText(xml, 'errorDescription') ?? `HTTP ${status}` };
  }
  const fields = new Map<string, string>();
  for (const match of xml.matchAll(/<(New[A-Za-z]{1,40})>([^<]{0,256})<\/\1>/g)) fields.set(match[1]!, unescapeXml(match[2]!.trim()));
  return { ok: true, fields };
}

export interface MappingEntry {
  externalPort: number;
  internalPort: number;
  internalClient: string;
  protocol: string;
  description: string;
}

export function mappingEntry(fields: Map<string, string>): MappingEntry | undefined {
  const externalPort = Number(fields.get('NewExternalPort'));
  const internalPort = Number(fields.get('NewInternalPort'));
  if (!isPort(externalPort) || !isPort(internalPort)) return undefined;
  return {
    externalPort,
    internalPort,
    internalClient: fields.get('NewInternalClient') ?? '',
    protocol: (fields.get('NewProtocol') ?? '').toUpperCase(),
    description: fields.get('NewPortMappingDescription') ?? '',
  };
}

function isPort(value: number): boolean {
  return Number.isInteger(value) && value >= 1 && value <= 65535;
}

function tagText(xml: string, tag: string): string | undefined {
  const match = new RegExp(`<(?:[A-Za-z0-9]+:)?${tag}>([^<]{0,512})</(?:[A-Za-z0-9]+:)?${tag}>`, 'i').exec(xml);
  return match ? unescapeXml(match[1]!.trim()) : undefined;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function unescapeXml(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}
