import { createSimServer, type SimServer } from '@flywheel/upstream-sim';

export interface StartOptions {
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
}

export interface Started {
  /** one line per component: name and URL */
  components: { name: string; url: string }[];
  stop(): Promise<void>;
}

/**
 * The all-in-one composition root: starts every component that exists in this process on
 * embedded defaults. Today that is the upstream simulator; the gateway, feedback service and
 * curator join here as they are built.
 */
export async function start({ env, log }: StartOptions): Promise<Started> {
  const components: Started['components'] = [];
  const stops: (() => Promise<void>)[] = [];
  let sim: SimServer | null = null;
  if (!env.OPENAI_API_KEY && !env.ANTHROPIC_API_KEY) {
    sim = await createSimServer({ port: Number(env.SIM_PORT ?? 8090), host: '127.0.0.1' });
    components.push({ name: 'upstream simulator (OpenAI + Anthropic APIs)', url: sim.url });
    stops.push(() => sim!.close());
  }
  log('');
  log('Flywheel started');
  for (const c of components) log(`  ${c.name.padEnd(48)} ${c.url}`);
  if (sim) log('  no OPENAI_API_KEY / ANTHROPIC_API_KEY set: the simulator stands in for the providers');
  log('  not built yet: gateway, feedback service + widget demo, curator + console (see README "Status")');
  log('  Ctrl-C to stop');
  return {
    components,
    stop: async () => {
      await Promise.all(stops.map((s) => s()));
    },
  };
}
