import { start } from './start';

describe('flywheel start', () => {
  it('serves the simulator when no provider keys are set and says what it started', async () => {
    const lines: string[] = [];
    const running = await start({ env: { SIM_PORT: '0' }, log: (l) => lines.push(l) });
    try {
      const sim = running.components.find((c) => c.name.startsWith('upstream simulator'));
      expect(sim).toBeDefined();
      const res = await fetch(`${sim!.url}/healthz`);
      expect(res.status).toBe(200);
      expect(lines.join('\n')).toContain(sim!.url);
      expect(lines.join('\n')).toMatch(/simulator stands in for the providers/);
    } finally {
      await running.stop();
    }
  });

  it('does not start the simulator when a provider key is set', async () => {
    const running = await start({ env: { OPENAI_API_KEY: 'sk-test' }, log: () => undefined });
    expect(running.components).toEqual([]);
    await running.stop();
  });
});
