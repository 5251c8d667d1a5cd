// Unit tests: UPnP and NAT-PMP messages as bytes and text, and router replies read as untrusted input.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mappingDescription, parseMappingDescription } from '../../src/host/port-mapping/mapper.ts';
import * as natpmp from '../../src/host/port-mapping/natpmp-messages.ts';
import * as upnp from '../../src/host/port-mapping/upnp-messages.ts';

const SERVICE = 'urn:schemas-upnp-org:service:WANIPConnection:1';

describe('UPnP messages', () => {
  it('builds an AddPortMapping body with a finite lease and the pid tag, escaped', () => {
    const request = upnp.addPortMapping(SERVICE, { externalPort: 50000, internalPort: 50000, internalClient: '10.220.1.2', description: 'share-file pid=12 port=50000 <&>', leaseSeconds: 3600 });
    assert.equal(request.action, 'AddPortMapping');
    assert.match(request.body, /<u:AddPortMapping xmlns:u="urn:schemas-upnp-org:service:WANIPConnection:1">/);
    assert.match(request.body, /<NewExternalPort>50000<\/NewExternalPort><NewProtocol>TCP<\/NewProtocol><NewInternalPort>50000<\/NewInternalPort>/);
    assert.match(request.body, /<NewInternalClient>10\.220\.1\.2<\/NewInternalClient>/);
    assert.match(request.body, /<NewPortMappingDescription>share-file pid=12 port=50000 &lt;&amp;&gt;<\/NewPortMappingDescription>/);
    assert.match(request.body, /<NewLeaseDuration>3600<\/NewLeaseDuration>/);
  });

  it('takes an SSDP answer only when its description URL is on the host that answered', () => {
    const reply = (location: string): Buffer => Buffer.from(`HTTP/1.1 200 OK\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\nLOCATION: ${location}\r\n\r\n`);
    assert.equal(upnp.parseSsdpReply(reply('http://10.220.1.1:5000/rootDesc.xml'), '10.220.1.1')?.href, 'http://10.220.1.1:5000/rootDesc.xml');
    assert.equal(upnp.parseSsdpReply(reply('http://192.0.2.9:5000/rootDesc.xml'), '10.220.1.1'), undefined);
    assert.equal(upnp.parseSsdpReply(reply('file:///etc/passwd'), '10.220.1.1'), undefined);
    assert.equal(upnp.parseSsdpReply(reply('http://router.lan:5000/rootDesc.xml'), 'router.lan'), undefined, 'a name, not an address');
    assert.equal(upnp.parseSsdpReply(Buffer.from('NOTIFY * HTTP/1.1\r\n\r\n'), '10.220.1.1'), undefined);
    assert.equal(upnp.parseSsdpReply(Buffer.alloc(4096, 65), '10.220.1.1'), undefined);
  });

  it('finds the best port-mapping service in a description, on the describing host only', () => {
    const service = (type: string, control: string): string => `<service><serviceType>${type}</serviceType><controlURL>${control}</controlURL></service>`;
    const base = new URL('http://10.220.1.1:5000/rootDesc.xml');
    const xml = `<root>${service('urn:schemas-upnp-org:service:Layer3Forwarding:1', '/L3F')}${service(SERVICE, '/ctl/v1')}${service('urn:schemas-upnp-org:service:WANIPConnection:2', '/ctl/v2')}</root>`;
    assert.deepEqual(upnp.parseDescription(xml, base), { serviceType: 'urn:schemas-upnp-org:service:WANIPConnection:2', controlUrl: new URL('http://10.220.1.1:5000/ctl/v2') });
    assert.equal(upnp.parseDescription(`<root>${service(SERVICE, 'http://192.0.2.9/ctl')}</root>`, base), undefined);
    assert.equal(upnp.parseDescription('x'.repeat(upnp.MAX_DESCRIPTION_BYTES + 1), base), undefined);
  });

  it('reads output arguments and fault codes', () => {
    const ok = upnp.parseSoapReply(200, '<s:Envelope><s:Body><u:GetExternalIPAddressResponse><NewExternalIPAddress>100.64.220.1</NewExternalIPAddress></u:GetExternalIPAddressResponse></s:Body></s:Envelope>');
    assert.ok(ok.ok);
    assert.equal(ok.fields.get('NewExternalIPAddress'), '100.64.220.1');
    const fault = upnp.parseSoapReply(500, '<s:Fault><detail><UPnPError><errorCode>718</errorCode><errorDescription>ConflictInMappingEntry</errorDescription></UPnPError></detail></s:Fault>');
    assert.deepEqual(fault, { ok: false, code: 718, description: 'ConflictInMappingEntry' });
    assert.equal(upnp.parseSoapReply(200, 'x'.repeat(upnp.MAX_SOAP_BYTES + 1)).ok, false);
  });

  it('reads a mapping entry and our pid tag, and nothing malformed', () => {
    const fields = new Map([['NewExternalPort', '50000'], ['NewInternalPort', '50000'], ['NewInternalClient', '10.220.1.2'], ['NewProtocol', 'TCP'], ['NewPortMappingDescription', mappingDescription(4321, 50000)]]);
    const entry = upnp.mappingEntry(fields);
    assert.equal(entry?.externalPort, 50000);
    assert.deepEqual(parseMappingDescription(entry!.description), { pid: 4321, port: 50000 });
    assert.equal(parseMappingDescription('NAT-PMP 50001 tcp'), undefined);
    assert.equal(upnp.mappingEntry(new Map([['NewExternalPort', '70000'], ['NewInternalPort', '1']])), undefined);
  });
});

describe('NAT-PMP messages', () => {
  it('builds the RFC 6886 packets', () => {
    assert.deepEqual([...natpmp.externalAddressRequest()], [0, 0]);
    assert.deepEqual([...natpmp.mapRequest(50000, 50000, 3600)], [0, 2, 0, 0, 0xc3, 0x50, 0xc3, 0x50, 0, 0, 0x0e, 0x10]);
    assert.deepEqual([...natpmp.mapRequest(50000, 0, 0)].slice(6), [0, 0, 0, 0, 0, 0], 'a deletion');
  });

  it('parses replies, checking version, opcode, length and result', () => {
    const address = Buffer.from([0, 128, 0, 0, 0, 0, 0, 9, 100, 64, 220, 1]);
    assert.deepEqual(natpmp.parseExternalAddressReply(address), { ok: true, value: '100.64.220.1' });
    assert.equal(natpmp.parseExternalAddressReply(address.subarray(0, 10)), undefined, 'short');
    assert.equal(natpmp.parseExternalAddressReply(Buffer.from([1, 128, 0, 0])), undefined, 'another version');
    assert.deepEqual(natpmp.parseExternalAddressReply(Buffer.from([0, 128, 0, 2, 0, 0, 0, 9, 0, 0, 0, 0])), { ok: false, reason: 'not authorized or refused' });
    const mapped = Buffer.from([0, 130, 0, 0, 0, 0, 0, 9, 0xc3, 0x50, 0xc3, 0x55, 0, 0, 0x0e, 0x10]);
    assert.deepEqual(natpmp.parseMapReply(mapped, 50000), { ok: true, value: { internalPort: 50000, externalPort: 50005, lifetimeSeconds: 3600 } });
    assert.equal(natpmp.parseMapReply(mapped, 50001), undefined, 'a reply about another port');
  });
});
