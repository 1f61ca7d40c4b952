import { once } from 'node:events';
import { createServer, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AttemptScope } from '../resilience/attempt-scope';
import { timerSleeper } from '../runtime/sleeper';
import { ClientGone } from './client-abort';

/** A server whose handler hands each response to the test and answers when told. */
async function server(onResponse: (res: ServerResponse) => void): Promise<{ server: Server; port: number }> {
  const s = createServer((req, res) => {
    req.resume();
    req.once('end', () => onResponse(res));
  });
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  return { server: s, port: (s.address() as AddressInfo).port };
}

function post(port: number): ReturnType<typeof request> {
  const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/chat/completions' });
  req.on('error', () => undefined); // the test destroys it
  req.end(JSON.stringify({ model: 'route:chat', messages: [{ role: 'user', content: 'hello' }] }));
  return req;
}

describe('ClientGone', () => {
  it('a client that goes away mid-answer aborts the running upstream attempt, once', async () => {
    let scope: AttemptScope | undefined;
    let gone: ClientGone | undefined;
    const fired: string[] = [];
    const { server: s, port } = await server((res) => {
      gone = new ClientGone(res);
      gone.addEventListener('abort', () => fired.push('first'));
      scope = new AttemptScope(gone);
      scope.arm(60_000, 'timeout');
      scope.signal.addEventListener('abort', () => fired.push('upstream'));
      client.destroy();
    });
    const client = post(port);
    try {
      await new Promise<void>((resolve) => {
        const wait = setInterval(() => {
          if (fired.length >= 2) resolve(clearInterval(wait));
        }, 5);
      });
      expect(gone!.aborted).toBe(true);
      expect(scope!.signal.aborted).toBe(true);
      expect(scope!.cause).toBe('cancelled');
      expect(fired).toEqual(['first', 'upstream']);
      // a listener added after the abort never runs (read `aborted` first, as with AbortSignal)
      gone!.addEventListener('abort', () => fired.push('late'));
      expect(fired).toEqual(['first', 'upstream']);
      scope!.dispose();
    } finally {
      s.close();
    }
  });

  it('an answered request never aborts: its listeners never run', async () => {
    const fired: string[] = [];
    let gone: ClientGone | undefined;
    const { server: s, port } = await server((res) => {
      gone = new ClientGone(res);
      const scope = new AttemptScope(gone);
      scope.arm(60_000, 'timeout');
      scope.dispose(); // the attempt ended: it unhooks from the caller
      gone.addEventListener('abort', () => fired.push('kept'));
      res.end('{}');
    });
    const client = post(port);
    try {
      const [response] = (await once(client, 'response')) as [NodeJS.ReadableStream];
      response.resume();
      await once(response, 'end');
      client.destroy();
      await new Promise((r) => setTimeout(r, 50));
      expect(gone!.aborted).toBe(false);
      expect(fired).toEqual([]);
    } finally {
      s.close();
    }
  });

  it('cuts a retry backoff short when the client goes away', async () => {
    let slept: Promise<unknown> | undefined;
    const { server: s, port } = await server((res) => {
      slept = timerSleeper.sleep(60_000, new ClientGone(res)).then(
        () => 'slept',
        (err: Error) => err.name,
      );
      client.destroy();
    });
    const client = post(port);
    try {
      const started = Date.now();
      while (slept === undefined) await new Promise((r) => setTimeout(r, 5));
      expect(await slept).toBe('AbortError');
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(await timerSleeper.sleep(20)).toBeUndefined();
    } finally {
      s.close();
    }
  });
});
