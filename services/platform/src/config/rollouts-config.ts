import { z } from 'zod';

/**
 * `rollouts` section of flywheel.yaml: one guarded-rollout plan per route (DESIGN.md §
 * Rollouts). The route, and its control and candidate variants, must exist under `routes`
 * (checked by the loader with YAML paths, see check-references.ts).
 */
const Percent = z.number().gt(0).max(100);

const Increase = z.strictObject({ max_increase: z.number().min(0).max(1) });
const Ratio = z.strictObject({ max_ratio: z.number().min(1) });

export const RolloutPlanConfig = z
  .strictObject({
    control: z.string().min(1),
    candidate: z.string().min(1),
    /** % of targeting keys on the candidate, strictly increasing, ending at 100 */
    steps: z
      .array(Percent)
      .min(1)
      .refine((s) => s.every((p, i) => i === 0 || p > s[i - 1]!), 'steps must be strictly increasing')
      .refine((s) => s[s.length - 1] === 100, 'the last step must be 100'),
    /** evidence on the candidate, and time, needed at each step before it may advance */
    min_per_step: z
      .strictObject({
        interactions: z.number().int().min(0).default(200),
        votes: z.number().int().min(0).default(40),
        seconds: z.number().min(0).default(600),
      })
      .prefault({}),
    /** candidate vs control: halt when credibly worse by more than this */
    guardrails: z
      .strictObject({
        dislike_rate: Increase.optional(),
        error_rate: Increase.optional(),
        latency_p95_ms: Ratio.optional(),
        cost_per_interaction: Ratio.optional(),
      })
      .prefault({ dislike_rate: { max_increase: 0.02 }, error_rate: { max_increase: 0.01 } }),
    /** the route's accepted regression cases, run against the candidate */
    gate: z.strictObject({ min_pass_rate: z.number().min(0).max(1).default(0.9) }).prefault({}),
    /** false-halt budget of the sequential test, per rollout (split across the guardrails) */
    alpha: z.number().gt(0).lt(0.5).default(0.05),
  })
  .refine((p) => p.control !== p.candidate, {
    message: 'candidate must differ from control',
    path: ['candidate'],
  });
export type RolloutPlanConfig = z.infer<typeof RolloutPlanConfig>;

export const RolloutsConfig = z.record(z.string(), RolloutPlanConfig);
export type RolloutsConfig = z.infer<typeof RolloutsConfig>;
