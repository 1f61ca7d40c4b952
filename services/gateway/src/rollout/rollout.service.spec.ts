import type { RouteConfig } from '@flywheel/platform';
import { Registry } from 'prom-client';
import type { Caller } from '../http/caller';
import { GatewayMetrics } from '../interactions/gateway.metrics';
import { RolloutService, type VariantFlags } from './rollout.service';

const config: RouteConfig = {
  flag: 'f',
  default_variant: 'control',
  variants: {
    control: { chain: ['a'], allow_client_system: false },
    candidate: { chain: ['b'], allow_client_system: false },
  },
};
const route = { name: 'r', config };
const caller = (extra: Partial<Caller> = {}): Caller => ({
  role: 'client',
  targetingKey: 'u1',
  subjectGenerated: false,
  attributes: { plan: 'pro', route: 'spoofed', targetingKey: 'spoofed' },
  ...extra,
});

function setup(answer: Awaited<ReturnType<VariantFlags['variantFor']>>) {
  const calls: unknown[] = [];
  const flags: VariantFlags = {
    variantFor: async (...args) => {
      calls.push(args);
      return answer;
    },
  };
  const registry = new Registry();
  const metrics = new GatewayMetrics(registry, { state: () => 'closed' }, ['a', 'b']);
  return { rollout: new RolloutService(flags, metrics), calls, registry };
}

describe('RolloutService', () => {
  it('serves the variant the flag picks, evaluated with the caller context (the gateway’s own keys win)', async () => {
    const { rollout, calls, registry } = setup({ variant: 'candidate', reason: 'TARGETING_MATCH' });
    const a = await rollout.assign(route, caller({ app: 'web', tenant: 'acme' }));
    expect(a).toMatchObject({ route: 'r', flagKey: 'f', variant: 'candidate', reason: 'TARGETING_MATCH' });
    expect(a.chain).toBe(config.variants.candidate);
    expect(a.flagError).toBeUndefined();
    expect(calls).toEqual([
      ['f', 'control', { plan: 'pro', route: 'r', targetingKey: 'u1', app: 'web', tenant: 'acme' }],
    ]);
    expect(await registry.getSingleMetricAsString('flywheel_gateway_rollout_assignments_total')).toContain(
      'flywheel_gateway_rollout_assignments_total{route="r",variant="candidate",reason="TARGETING_MATCH"} 1',
    );
  });

  it('records the flag error when the flag service fell back to the default', async () => {
    const { rollout } = setup({
      variant: 'control',
      reason: 'ERROR',
      errorCode: 'FLAG_NOT_FOUND',
      errorMessage: 'no f',
    });
    expect(await rollout.assign(route, caller())).toMatchObject({
      variant: 'control',
      reason: 'ERROR',
      flagError: 'FLAG_NOT_FOUND: no f',
    });
  });

  it('falls back to the default variant when the flag names one the route does not have', async () => {
    for (const ghost of ['ghost', 'toString', '__proto__']) {
      const { rollout } = setup({ variant: ghost, reason: 'STATIC' });
      const a = await rollout.assign(route, caller());
      expect(a).toMatchObject({ variant: 'control', reason: 'ERROR' });
      expect(a.flagError).toContain(`"${ghost}"`);
      expect(a.chain).toBe(config.variants.control);
    }
  });

  it('lets a forced variant skip the flag, and refuses an unknown one', async () => {
    const { rollout, calls } = setup({ variant: 'control', reason: 'STATIC' });
    expect(await rollout.assign(route, caller({ role: 'admin', forcedVariant: 'candidate' }))).toMatchObject({
      variant: 'candidate',
      reason: 'FORCED',
    });
    await expect(rollout.assign(route, caller({ role: 'admin', forcedVariant: 'nope' }))).rejects.toThrow(
      /route r has no variant "nope" \(it has: control, candidate\)/,
    );
    expect(calls).toEqual([]);
  });
});
