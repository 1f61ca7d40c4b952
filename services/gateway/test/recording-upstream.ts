import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the upstream received it. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export type UpstreamHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/**
 * A plain node:http upstream for transport tests: records what arrives, answers with whatever
 * `handler` a test sets, and counts connections opened and closed (to see reuse and teardown).
 */
export class RecordingUpstream {
  seen: SeenRequest[] = [];
  handler: UpstreamHandler = (_req, res) => void res.writeHead(404).end();
  connections = 0;
  closedConnections = 0;
  /** e.g. `http://127.0.0.1:40123` */
  url = '';

  private readonly server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      this.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      void this.handler(req, res);
    });
  });

  static async start(): Promise<RecordingUpstream> {
    const upstream = new RecordingUpstream();
    upstream.server.on('connection', (socket) => {
      upstream.connections++;
      socket.setNoDelay(true);
      socket.on('close', () => upstream.closedConnections++);
    });
    upstream.server.listen(0, '127.0.0.1');
    await once(upstream.server, 'listening');
    upstream.url = `http://127.0.0.1:${(upstream.server.address() as AddressInfo).port}`;
    return upstream;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
