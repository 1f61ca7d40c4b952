import type { ServerResponse } from 'node:http';

/**
 * An AbortSignal that fires when the client goes away before its answer was written, so the
 * upstream call is cancelled with it. It listens on the response: in Node ≥ 16 the request's
 * own 'close' fires as soon as its body has been read, not when the connection drops.
 */
export function clientGone(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableEnded) controller.abort();
  });
  return controller.signal;
}
