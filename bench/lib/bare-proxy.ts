/**
 * The floor for a Node proxy: a bare pass-through written with undici, run by bench/gateway.bench.ts
 * as its own process next to the gateway (`node --import tsx bench/lib/bare-proxy.ts`).
 *
 * It does what every Node proxy must do and nothing else: node:http accepts the request, reads
 * the body, sends it upstream on a keep-alive undici Pool, and streams the answer back with the
 * upstream's status and content type. No auth, no parsing, no events, no metrics. What the
 * gateway adds beyond this is what Flywheel itself costs.
 *
 *   BARE_PROXY_PORT     where to listen (127.0.0.1)
 *   BARE_PROXY_UPSTREAM the upstream origin, e.g. http://127.0.0.1:8090
 */
import { createServer } from 'node:http';
import { Pool } from 'undici';

const port = Number(process.env.BARE_PROXY_PORT);
const upstream = process.env.BARE_PROXY_UPSTREAM;
if (!port || !upstream) throw new Error('bare-proxy: set BARE_PROXY_PORT and BARE_PROXY_UPSTREAM');

const pool = new Pool(upstream, { connections: 256, pipelining: 1, keepAliveTimeout: 30_000 });

const server = createServer((req, res) => {
  if (req.url === '/healthz') {
    res.end('ok');
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (req.headers.authorization) headers.authorization = req.headers.authorization;
    pool
      .request({
        path: req.url ?? '/',
        method: (req.method ?? 'POST') as 'POST',
        headers,
        body: Buffer.concat(chunks),
      })
      .then((up) => {
        res.writeHead(up.statusCode, {
          'content-type': String(up.headers['content-type'] ?? 'application/json'),
        });
        up.body.on('data', (c: Buffer) => res.write(c));
        up.body.on('end', () => res.end());
        up.body.on('error', () => res.destroy());
      })
      .catch(() => {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end('{"error":{"type":"bad_gateway","message":"upstream failed"}}');
      });
  });
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => console.log(`bare proxy on ${port} → ${upstream}`));
const stop = () => server.close(() => void pool.close().then(() => process.exit(0)));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
