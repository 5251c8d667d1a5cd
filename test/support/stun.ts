// A STUN binding responder (RFC 5389, MAPPED-ADDRESS only) for the lab's internet side: miniupnpd
// asks it for the router's external address before it agrees to forward. Run: node stun.ts <address>.
import { createSocket } from 'node:dgram';

const socket = createSocket('udp4');
socket.on('message', (request, from) => {
  if (request.length < 20 || request.readUInt16BE(0) !== 0x0001) return;
  const reply = Buffer.alloc(32);
  reply.writeUInt16BE(0x0101, 0); // binding success
  reply.writeUInt16BE(12, 2); // attributes' length
  request.copy(reply, 4, 4, 20); // magic cookie and transaction id
  reply.writeUInt16BE(0x0001, 20); // MAPPED-ADDRESS
  reply.writeUInt16BE(8, 22);
  reply.writeUInt16BE(0x0001, 24); // IPv4
  reply.writeUInt16BE(from.port, 26);
  Buffer.from(from.address.split('.').map(Number)).copy(reply, 28);
  socket.send(reply, from.port, from.address);
});
socket.bind(3478, process.argv[2], () => process.stdout.write('listening\n'));
