import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RolloutList } from '@flywheel/contracts';
import { DomainError } from '@flywheel/platform';
import { RolloutsClient } from './rollouts-client';

/** A stand-in controller on a loopback port: answers with `reply`, records what it got. */
let server: Server;
let base: string;
let reply: { status: number; body: unknown } = { status: 200, body: { rollouts: [] } };
const seen: IncomingMessage[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req);
    res.writeHead(reply.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(reply.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

const TOKEN = 'the-curators-admin-token';
const client = (url: string | undefined = base) => new RolloutsClient(() => url, TOKEN);
const unconfigured = new RolloutsClient(() => undefined, TOKEN);

async function failure(call: Promise<unknown>): Promise<DomainError> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainError);
  return err as DomainError;
}

describe('RolloutsClient', () => {
  it("forwards with the curator's admin token and returns the parsed answer", async () => {
    reply = { status: 200, body: { rollouts: [] } };
    await expect(client(`${base}/`).call('GET', '/v1/rollouts', RolloutList)).resolves.toEqual({
      rollouts: [],
    });
    expect(seen.at(-1)?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(seen.at(-1)?.url).toBe('/v1/rollouts');
  });

  it("keeps the controller's 404 and 409 with its message", async () => {
    reply = {
      status: 409,
      body: { error: { type: 'conflict', message: 'cannot pause a rollout that is halted' } },
    };
    const err = await failure(client().call('POST', '/v1/rollouts/r/pause', RolloutList));
    expect(err.code).toBe('conflict');
    expect(err.message).toBe('cannot pause a rollout that is halted');
  });

  it('is not_configured without a URL, bad_gateway when the controller is down or refuses the token', async () => {
    expect((await failure(unconfigured.call('GET', '/v1/rollouts', RolloutList))).code).toBe(
      'not_configured',
    );
    expect((await failure(client('http://127.0.0.1:1').call('GET', '/v1/rollouts', RolloutList))).code).toBe(
      'bad_gateway',
    );
    reply = {
      status: 401,
      body: { error: { type: 'unauthorized', message: 'a valid admin token is required' } },
    };
    const refused = await failure(client().call('GET', '/v1/rollouts', RolloutList));
    // not a 401: that would make the console ask the reader for a token that is fine
    expect(refused.code).toBe('bad_gateway');
    expect(refused.message).toContain('FLYWHEEL_ADMIN_TOKEN');
  });

  it('is bad_gateway for a 5xx or an answer outside the contract, without its internals', async () => {
    reply = {
      status: 500,
      body: { error: { type: 'internal_error', message: 'db exploded', error_id: 'e-1' } },
    };
    const failed = await failure(client().call('GET', '/v1/rollouts', RolloutList));
    expect(failed.code).toBe('bad_gateway');
    expect(failed.message).toBe('the rollout controller failed with 500 (its error_id e-1)');
    reply = { status: 200, body: { something: 'else' } };
    expect((await failure(client().call('GET', '/v1/rollouts', RolloutList))).code).toBe('bad_gateway');
  });
});
