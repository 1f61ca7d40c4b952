import type { RolloutStatus } from '../decision/state-machine';

/** A flagd flag definition (https://flagd.dev/reference/flag-definitions/), as far as we touch it. */
export interface FlagdFlag {
  state: 'ENABLED' | 'DISABLED';
  variants: Record<string, unknown>;
  defaultVariant: string;
  targeting?: unknown;
  metadata?: Record<string, string | number | boolean>;
}

/** A flagd flag configuration document (FLAGS_FILE, and what the sync protocol carries). */
export interface FlagdDocument {
  $schema?: string;
  metadata?: Record<string, unknown>;
  $evaluators?: Record<string, unknown>;
  flags: Record<string, FlagdFlag | unknown>;
}

/** A planned route's flag as the controller's stored state puts it. */
export interface PlannedFlag {
  route: string;
  /** the route's `flag` in flywheel.yaml */
  flagKey: string;
  control: string;
  candidate: string;
  /** the candidate's share of targeting keys, 0–100 */
  percent: number;
  status: RolloutStatus;
}

/** Fractional weights in basis points: steps such as 0.5 % stay exact (flagd needs integers). */
export const WEIGHT_TOTAL = 10_000;

export const MANAGED_BY = 'flywheel-rollouts';

/**
 * The flags every gateway evaluates: the file's flags, unchanged, except that each planned
 * route's flag becomes a sticky `fractional` split of control and candidate at the rollout's
 * current percent. The candidate is the LAST bucket, so it owns the top `percent` of the hash
 * range: raising the percent only adds users (a user on the candidate at 5 % is on it at 25 %),
 * and 0 % (pending, halted, rolled back) gives everyone control. Hand-written targeting of a
 * planned flag is replaced: the controller owns that split; the file's variants and metadata
 * are kept.
 */
export function servedFlags(file: FlagdDocument, planned: readonly PlannedFlag[]): FlagdDocument {
  const flags: Record<string, unknown> = { ...file.flags };
  for (const p of planned) {
    const base = asFlag(flags[p.flagKey]);
    const candidateWeight = Math.round(Math.min(100, Math.max(0, p.percent)) * (WEIGHT_TOTAL / 100));
    const flag: FlagdFlag = {
      state: 'ENABLED',
      variants: { ...base?.variants, [p.control]: p.control, [p.candidate]: p.candidate },
      defaultVariant: p.control,
      targeting: {
        fractional: [
          [p.control, WEIGHT_TOTAL - candidateWeight],
          [p.candidate, candidateWeight],
        ],
      },
      metadata: {
        ...base?.metadata,
        managedBy: MANAGED_BY,
        rolloutRoute: p.route,
        rolloutStatus: p.status,
        rolloutPercent: p.percent,
      },
    };
    flags[p.flagKey] = flag;
  }
  return { ...file, flags };
}

function asFlag(value: unknown): Partial<FlagdFlag> | undefined {
  return value && typeof value === 'object' ? (value as Partial<FlagdFlag>) : undefined;
}
