// The one transport of port mapping: a UDP exchange on a socket that lives only as long as the
// exchange (no socket stays open between renewals), and bounded HTTP for UPnP's XML and SOAP.
import { createSocket } from 'node:dgram';
import { request } from 'node:http';

export interface UdpExchange<T> {
  /** Where the packets go (a unicast router, or the SSDP multicast group). */
  address: string;
  port: number;
  packets: Buffer[];
  /** Resends until an answer comes, at these delays after the first send (ms). */
  resendAfter: number[];
  timeoutMs: number;
  /** A reply's meaning, or undefined to keep waiting (a stray packet, another device). */
  accept(reply: Buffer, from: string): T | undefined;
}

/** Resolves with the first accepted reply, or undefined once the time is up; the socket is closed either way. */
export function udpExchange<T>(exchange: UdpExchange<T>): Promise<T | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket({ type: 'udp4' });
    const timers: NodeJS.Timeout[] = [];
    let done = false;
    const finish = (value: T | undefined): void => {
      if (done) return;
      done = true;
      for (const timer of timers) clearTimeout(timer);
      socket.close();
      resolve(value);
    };
    const send = (): void => {
      for (const packet of exchange.packets) socket.send(packet, exchange.port, exchange.address, () => {});
    };
    socket.on('error', () => finish(undefined));
    socket.on('message', (reply, info) => {
      const value = exchange.accept(reply, info.address);
      if (value !== undefined) finish(value);
    });
    socket.bind(0, () => {
      if (done) return;
      send();
      for (const delay of exchange.resendAfter) timers.push(setTimeout(send, delay));
      timers.push(setTimeout(() => finish(undefined), exchange.timeoutMs));
    });
  });
}

export interface HttpReply {
  status: number;
  body: string;
  /** Our address on the connection: the address the router sees us at. */
  localAddress: string;
}

/** A GET or a SOAP POST; the reply is cut off past `maxBytes` and the whole exchange past `timeoutMs`. */
export function httpExchange(url: URL, options: { body?: string; soapAction?: string; maxBytes: number; timeoutMs: number }): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { Connection: 'close' };
    if (options.body !== undefined) {
      headers['Content-Type'] = 'text/xml; charset="utf-8"';
      headers['Content-Length'] = Buffer.byteLength(options.body);
      headers.SOAPAction = `"${options.soapAction ?? ''}"`;
    }
    const req = request(url, { method: options.body === undefined ? 'GET' : 'POST', headers, timeout: options.timeoutMs, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxBytes) {
          req.destroy(new Error(`the router's reply from ${url.host} exceeds ${options.maxBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), localAddress: res.socket.localAddress ?? '' }));
      res.on('error', reject);
    });
    const deadline = setTimeout(() => req.destroy(new Error(`the router at ${url.host} did not answer within ${options.timeoutMs} ms`)), options.timeoutMs);
    req.on('close', () => clearTimeout(deadline));
    req.on('timeout', () => req.destroy(new Error(`the router at ${url.host} did not answer within ${options.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(options.body);
  });
}
