/** The simulator's whole configuration: three env vars, parsed once at boot. */
export interface SimEnv {
  port: number;
  host: string;
  latencyMs: number;
}

function intFrom(env: NodeJS.ProcessEnv, key: string, fallback: number, max: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) > max) {
    throw new Error(`${key}: expected an integer from 0 to ${max}, got ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

/** `SIM_PORT` (default 8090), `SIM_HOST` (default 0.0.0.0), `SIM_LATENCY_MS` (default 0). */
export function parseSimEnv(env: NodeJS.ProcessEnv): SimEnv {
  return {
    port: intFrom(env, 'SIM_PORT', 8090, 65_535),
    host: env.SIM_HOST || '0.0.0.0',
    latencyMs: intFrom(env, 'SIM_LATENCY_MS', 0, 600_000),
  };
}
