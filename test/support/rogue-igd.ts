// A rogue UPnP IGD for the router lab: a LAN neighbour that answers every SSDP search at once (before
// the real router, which waits up to MX seconds) and accepts every SOAP request, claiming the
// external address given. Each thing it is asked is one JSON line on stdout, for the tests to check.
// Run: node rogue-igd.ts <own LAN address> <external address it claims>.
import { createSocket } from 'node:dgram';
import { createServer } from 'node:http';

const [own = '', claimed = ''] = process.argv.slice(2);
const HTTP_PORT = 5555;
const log = (entry: Record<string, unknown>): boolean => process.stdout.write(`${JSON.stringify(entry)}\n`);

const description = `<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0"><device>
<deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:1</deviceType><friendlyName>rogue</friendlyName>
<deviceList><device><deviceType>urn:schemas-upnp-org:device:WANDevice:1</deviceType>
<deviceList><device><deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:1</deviceType>
<serviceList><service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType>
<serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId><controlURL>/ctl/IPConn</controlURL>
<eventSubURL>/evt/IPConn</eventSubURL><SCPDURL>/WANIPCn.xml</SCPDURL></service></serviceList>
</device></deviceList></device></deviceList></device></root>
`;

function soapReply(action: string, fields: string): string {
  return `<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><u:${action}Response xmlns:u="urn:schemas-upnp-org:service:WANIPConnection:1">${fields}</u:${action}Response></s:Body></s:Envelope>`;
}

const http = createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8').on('data', (chunk: string) => (body = (body + chunk).slice(0, 65536)));
  req.on('end', () => {
    const action = /#(\w+)"?$/.exec(req.headers.soapaction?.toString() ?? '')?.[1];
    log({ event: 'http', from: req.socket.remoteAddress, method: req.method, url: req.url, action, body: action ? body : undefined });
    if (req.method === 'GET') {
      res.writeHead(200, { 'Content-Type': 'text/xml' }).end(description);
    } else if (action === 'GetGenericPortMappingEntry') {
      res.writeHead(500, { 'Content-Type': 'text/xml' }).end('<s:Fault><detail><UPnPError><errorCode>713</errorCode><errorDescription>SpecifiedArrayIndexInvalid</errorDescription></UPnPError></detail></s:Fault>');
    } else {
      res.writeHead(200, { 'Content-Type': 'text/xml' }).end(soapReply(action ?? 'Unknown', action === 'GetExternalIPAddress' ? `<NewExternalIPAddress>${claimed}</NewExternalIPAddress>` : ''));
    }
  });
});

const ssdp = createSocket({ type: 'udp4', reuseAddr: true });
ssdp.on('message', (message, from) => {
  const text = message.toString('latin1');
  if (!text.startsWith('M-SEARCH')) return;
  const target = /^ST:\s*(\S+)/im.exec(text)?.[1] ?? 'upnp:rootdevice';
  const answer = ['HTTP/1.1 200 OK', 'CACHE-CONTROL: max-age=120', `ST: ${target}`, `USN: uuid:0000rogue::${target}`, 'EXT:', 'SERVER: Linux UPnP/1.1 rogue/1.0', `LOCATION: http://${own}:${HTTP_PORT}/rootDesc.xml`, '', ''].join('\r\n');
  ssdp.send(answer, from.port, from.address);
  log({ event: 'm-search', from: from.address, target });
});
ssdp.bind(1900, () => {
  ssdp.addMembership('239.255.255.250', own);
  http.listen(HTTP_PORT, own, () => log({ event: 'listening' }));
});
