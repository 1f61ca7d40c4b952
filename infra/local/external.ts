import type { LocalServer } from './server';

/** A server this code does not own (REDIS_URL / DATABASE_URL were set): it can be used, not killed. */
export function externalServer(url: string, envVar: string): LocalServer {
  const refuse = (action: string) => () =>
    Promise.reject(
      new Error(`cannot ${action} an external server: ${envVar} is set; unset it to get a private one`),
    );
  return {
    url,
    external: true,
    pid: undefined,
    dataDir: undefined,
    kill: refuse('kill'),
    start: refuse('start'),
    stop: async () => {},
  };
}
