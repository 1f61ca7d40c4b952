import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * The server's open connections and how many requests each has in flight. Node's close() stops
 * accepting and ends the connections idle at that moment, but waits for a socket that never sent
 * a byte (a client's pre-opened socket) until its headers timeout, and keeps a keep-alive
 * connection open after the response that was in flight. So at shutdown every connection
 * without a request in flight is dropped at once, every other one is ended as soon as its last
 * response is written, and whatever is left is cut after the grace period.
 */
export function trackConnections(server: Server) {
  const inFlight = new Map<Socket, number>();
  let draining = false;
  server.on('connection', (socket: Socket) => {
    inFlight.set(socket, 0);
    socket.once('close', () => inFlight.delete(socket));
  });
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    response.once('close', () => {
      const left = (inFlight.get(socket) ?? 1) - 1;
      if (!inFlight.has(socket)) return;
      inFlight.set(socket, left);
      if (draining && left === 0) socket.end();
    });
  });
  return {
    /** From now on a connection ends with its last response; idle ones are dropped now. */
    drain: () => {
      draining = true;
      for (const [socket, requests] of inFlight) if (requests === 0) socket.destroy();
    },
    dropAll: () => {
      for (const socket of inFlight.keys()) socket.destroy();
    },
  };
}
