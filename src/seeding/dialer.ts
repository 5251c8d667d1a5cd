// The seeder's outgoing connections: each due target of the dial-back plan (see dial-back.ts) gets
// one TCP connection attempt, and once connected is handed to the wire like an incoming peer.
import { connect, type Socket } from 'node:net';
import { CRYPTO_PLAINTEXT, CRYPTO_RC4 } from './connection/encryption/mse-keys.ts';
import type { Opening } from './connection/handshake.ts';
import type { PeerConnection } from './connection/wire.ts';
import { DialBackPlan, type Announced, type DialBackOptions, type DialOutcome, type DialTarget } from './dial-back.ts';

/** A TCP connect that has not completed by then goes nowhere (a NAT that drops, a host that is gone). */
export const CONNECT_TIMEOUT_MS = 10_000;

export interface DialerOptions extends DialBackOptions {
  /** Whether a connection of the target's (from its address, that it could be) is open already. */
  covered: (target: DialTarget) => boolean;
  /** Whether the seeder has a free connection slot (dials never evict anyone). */
  hasRoom: () => boolean;
  /** Turns a connected socket into a peer connection (false: no room for it); `onClose` tells whether its handshake came. */
  open: (socket: Socket, opening: Opening, listenPort: number, onClose: (connection: PeerConnection) => void) => boolean;
}

export interface Dialer {
  announced(peer: Announced): void;
  /** Dials whatever is due; called by the seeder's sweep, once a second. */
  tick(now: number): void;
  close(): void;
}

export function startDialer(options: DialerOptions): Dialer {
  const plan = new DialBackPlan(options);
  const pending = new Set<Socket>();
  let closed = false;

  const dial = (target: DialTarget): void => {
    let ended = false;
    const end = (outcome: DialOutcome): void => {
      if (ended) return;
      ended = true;
      plan.finished(target, outcome, Date.now());
    };
    const socket = connect({ host: target.ip, port: target.port });
    pending.add(socket);
    const timer = setTimeout(() => socket.destroy(), CONNECT_TIMEOUT_MS);
    timer.unref();
    // Until it connects the socket is ours; a refusal or a timeout shows as its close.
    const ignoreError = (): void => {};
    const onClose = (): void => {
      clearTimeout(timer);
      pending.delete(socket);
      end('unreachable');
    };
    socket.on('error', ignoreError);
    socket.once('close', onClose);
    socket.once('connect', () => {
      clearTimeout(timer);
      pending.delete(socket);
      socket.off('error', ignoreError);
      socket.off('close', onClose);
      const provide = target.handshake === 'plain' ? 'plain' : options.requireEncryption ? CRYPTO_RC4 : CRYPTO_RC4 | CRYPTO_PLAINTEXT;
      if (!closed && options.open(socket, { direction: 'outgoing', provide }, target.port, (connection) => end(connection.ready ? 'handshaken' : 'refused'))) return;
      socket.destroy();
      end('unreachable');
    });
  };

  return {
    announced: (peer) => plan.announced(peer, Date.now()),
    tick: (now) => {
      if (closed || !options.hasRoom()) return;
      for (const target of plan.due(now, options.covered)) dial(target);
    },
    close: () => {
      closed = true;
      for (const socket of pending) socket.destroy();
    },
  };
}
