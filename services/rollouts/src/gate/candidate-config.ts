import { createHash } from 'node:crypto';
import type { RolloutPlanConfig, RouteConfig } from '@flywheel/platform';

/**
 * sha256 (hex, first 16) of what the gate's verdict depends on besides the cases: the plan and
 * the candidate variant's config (model, prompt, parameters, output_schema). A different hash
 * at boot owes the rollout a new gate run.
 */
export function candidateConfigHash(plan: RolloutPlanConfig, route: RouteConfig | undefined): string {
  const candidate = route?.variants[plan.candidate] ?? null;
  return createHash('sha256').update(JSON.stringify({ plan, candidate })).digest('hex').slice(0, 16);
}
