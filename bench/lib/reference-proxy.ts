/**
 * Reference proxies between the floor (bench/lib/bare-proxy.ts) and the gateway, run by
 * bench/gateway.bench.ts with BENCH_GATEWAY_REFERENCES=work,durable. Each is the bare proxy plus
 * the least a gateway with Flywheel's contract must do per request, written as plainly as the bare
 * proxy (node:http, an undici Pool, no framework), so the benchmark can tell what the contract
 * itself costs a Node process from what the gateway's implementation of it costs.
 *
 * `work` (REFERENCE_PROXY_MODE=work), per request, with the gateway's own pieces from
 * services/platform (the same code, not a rewrite of it):
 *   - checks the bearer key (SecretSet: SHA-256 of the presented key, constant-time compare);
 *   - parses the request body (JSON) and reads `user` and `messages`, as routing and the event need;
 *   - reads the upstream's answer whole, parses it (JSON) and reads the content and usage;
 *   - hashes the subject (subjectHash) and signs one feedback token (mintTrustedFeedbackToken:
 *     HMAC-SHA256 over its JSON payload, the key object reused);
 *   - serializes one interaction event (request messages, answer content, usage; one
 *     JSON.stringify) and drops it (an in-memory bus with no reader);
 *   - answers the upstream's bytes with the token in a header.
 * `durable` (REFERENCE_PROXY_MODE=durable): the same, and the event goes through Flywheel's own
 * Kafka bus (services/platform: the spool, written synchronously, then the relay to Kafka,
 * batched as the gateway batches); the answer waits until the event is on disk, as the gateway's
 * does. Its events go out as `dev.flywheel.eval-case.v1` (the eval-cases topic, which nothing reads
 * in the benchmark) so the gateway's interaction events on Kafka are still counted on their own.
 *
 * Streamed answers go through as they come (as the bare proxy sends them); their event is built
 * from the collected chunks after the end.
 *
 *   REFERENCE_PROXY_PORT      where to listen (127.0.0.1)
 *   REFERENCE_PROXY_UPSTREAM  the upstream origin, e.g. http://127.0.0.1:8090
 *   REFERENCE_PROXY_KEY       the bearer key clients must present
 *   REFERENCE_PROXY_UPSTREAM_KEY  the bearer key sent upstream
 *   REFERENCE_PROXY_MODE      work | durable
 *   REFERENCE_PROXY_BROKERS   Kafka bootstrap brokers (durable)
 *   REFERENCE_PROXY_SPOOL     the spool's directory (durable)
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { Pool } from 'undici';
// by file, not through @flywheel/platform's index (which loads Nest)
import { createEventBus } from '../../services/platform/src/bus/create-event-bus';
import type { EventBus } from '../../services/platform/src/bus/event-bus';
import { bearerToken, SecretSet } from '../../services/platform/src/http/auth';
import { mintTrustedFeedbackToken } from '../../services/platform/src/tokens/feedback-token';
import { subjectHash } from '../../services/platform/src/tokens/subject-hash';

const port = Number(process.env.REFERENCE_PROXY_PORT);
const upstream = process.env.REFERENCE_PROXY_UPSTREAM;
const key = process.env.REFERENCE_PROXY_KEY;
const upstreamAuth = `Bearer ${process.env.REFERENCE_PROXY_UPSTREAM_KEY ?? ''}`;
const mode = process.env.REFERENCE_PROXY_MODE;
const brokers = process.env.REFERENCE_PROXY_BROKERS;
const spoolDir = process.env.REFERENCE_PROXY_SPOOL;
if (!port || !upstream || !key || (mode !== 'work' && mode !== 'durable'))
  throw new Error('reference-proxy: set REFERENCE_PROXY_PORT, _UPSTREAM, _KEY and _MODE (work | durable)');
if (mode === 'durable' && (!brokers || !spoolDir))
  throw new Error('reference-proxy: durable mode needs REFERENCE_PROXY_BROKERS and REFERENCE_PROXY_SPOOL');

const keys = new SecretSet([{ secret: key, label: true }]);
const feedbackSecret = randomBytes(48).toString('base64');
const TOKEN_TTL_S = 30 * 24 * 3600;

interface ChatAnswer {
  choices?: { message?: { content?: string } }[];
  usage?: unknown;
}

function feedbackToken(interactionId: string, user: string): string {
  return mintTrustedFeedbackToken(
    {
      interaction_id: interactionId,
      route: 'bench',
      variant: 'control',
      sub: subjectHash(user, feedbackSecret),
      exp: Math.floor(Date.now() / 1000) + TOKEN_TTL_S,
    },
    feedbackSecret,
  );
}

void (async () => {
  // the gateway's own bus settings (services/gateway/src/gateway-app.ts EVENT_BATCHING)
  const bus: EventBus | null =
    mode === 'durable'
      ? await createEventBus({
          source: 'bench-reference',
          brokers,
          spoolDir,
          kafka: { spoolCommitDelayMs: 0, lingerMs: 20 },
        })
      : null;
  const pool = new Pool(upstream, { connections: 256, pipelining: 1, keepAliveTimeout: 30_000 });

  const server = createServer((req, res) => {
    if (req.url === '/healthz') {
      res.end('ok');
      return;
    }
    const presented = bearerToken(req.headers.authorization);
    if (presented === undefined || keys.match(presented) === null) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"type":"unauthorized"}}');
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let request: { user?: string; messages?: unknown[]; stream?: boolean };
      try {
        request = JSON.parse(body.toString('utf8')) as typeof request;
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":{"type":"invalid_json"}}');
        return;
      }
      const id = randomUUID();
      const started = Date.now();
      pool
        .request({
          path: req.url ?? '/',
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: upstreamAuth },
          body,
        })
        .then(async (up) => {
          const type = String(up.headers['content-type'] ?? 'application/json');
          const streamed = type.includes('event-stream');
          const token = feedbackToken(id, request.user ?? 'anonymous');
          const parts: Buffer[] = [];
          if (streamed) {
            res.writeHead(up.statusCode, { 'content-type': type, 'x-flywheel-feedback-token': token });
            for await (const c of up.body) {
              parts.push(c as Buffer);
              res.write(c);
            }
          } else for await (const c of up.body) parts.push(c as Buffer);
          const raw = Buffer.concat(parts);
          let content = '';
          let usage: unknown = null;
          if (!streamed) {
            const answer = JSON.parse(raw.toString('utf8')) as ChatAnswer;
            content = answer.choices?.[0]?.message?.content ?? '';
            usage = answer.usage ?? null;
          } else content = raw.toString('utf8');
          const json = JSON.stringify({
            interaction_id: id,
            route: 'bench',
            variant: 'control',
            request: { messages: request.messages },
            response: { content },
            usage,
            latency_ms: Date.now() - started,
          });
          if (bus)
            await bus.publish({
              type: 'dev.flywheel.eval-case.v1',
              key: id,
              id,
              data: {} as never, // never validated: `json` is published as it is
              json,
            });
          if (streamed) res.end();
          else
            res
              .writeHead(up.statusCode, { 'content-type': type, 'x-flywheel-feedback-token': token })
              .end(raw);
        })
        .catch(() => {
          if (res.headersSent) return void res.destroy();
          res.writeHead(502, { 'content-type': 'application/json' });
          res.end('{"error":{"type":"bad_gateway","message":"upstream or spool failed"}}');
        });
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(port, '127.0.0.1', () => console.log(`reference proxy (${mode}) on ${port} → ${upstream}`));
  const stop = () =>
    server.close(() => void Promise.all([pool.close(), bus?.close()]).then(() => process.exit(0)));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
})();
