import { createHash } from 'node:crypto';
import type { RolloutPlanConfig } from '@flywheel/platform';

/** sha256 (hex, first 16) of the plan's canonical JSON: which plan a decision was made under. */
export function planRevision(plan: RolloutPlanConfig): string {
  return createHash('sha256').update(JSON.stringify(plan)).digest('hex').slice(0, 16);
}
