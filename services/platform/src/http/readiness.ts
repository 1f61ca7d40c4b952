import { Injectable, Logger } from '@nestjs/common';

export interface ReadinessCheck {
  name: string;
  /** throws when the dependency is unusable */
  check(): Promise<void>;
  /** reported in `checks` when it fails, but never makes the service unready (degraded, still serving) */
  advisory?: boolean;
}

export interface ReadinessReport {
  ready: boolean;
  draining: boolean;
  checks: Record<string, 'ok' | string>;
}

export interface ReadinessOptions {
  /** how long a round of backend checks is reused: a flood of /readyz costs one round per period */
  cacheMs: number;
  /** a check that has not answered by then counts as failed */
  timeoutMs: number;
}

export const DEFAULT_READINESS: ReadinessOptions = { cacheMs: 1_000, timeoutMs: 2_000 };

interface Round {
  at: number;
  results: Promise<Record<string, 'ok' | string>>;
}

/**
 * What /readyz reports: 503 while draining or while any registered backend check fails (an
 * advisory check's failure is reported but keeps the service ready). The
 * backend checks run at most once per `cacheMs` whoever asks (concurrent callers share the round
 * under way), so /readyz cannot be used to hammer Kafka, Redis or Postgres; draining shows at
 * once. A check that starts or stops failing is logged with its error, so the details reach the
 * operator even where nobody may read them over HTTP.
 */
@Injectable()
export class Readiness {
  private readonly checks: ReadinessCheck[] = [];
  private drainingSince: number | null = null;
  private round: Round | undefined;
  private failing = new Map<string, string>();
  private readonly logger = new Logger('Readiness');

  constructor(private readonly options: ReadinessOptions = DEFAULT_READINESS) {}

  add(check: ReadinessCheck): void {
    this.checks.push(check);
  }

  startDraining(): void {
    this.drainingSince ??= Date.now();
  }

  get draining(): boolean {
    return this.drainingSince !== null;
  }

  async report(): Promise<ReadinessReport> {
    const now = performance.now();
    if (!this.round || now - this.round.at >= this.options.cacheMs) {
      this.round = { at: now, results: this.runChecks() };
    }
    const checks = await this.round.results;
    const advisory = new Set(this.checks.filter((c) => c.advisory).map((c) => c.name));
    return {
      ready: !this.draining && Object.entries(checks).every(([name, r]) => r === 'ok' || advisory.has(name)),
      draining: this.draining,
      checks,
    };
  }

  private async runChecks(): Promise<Record<string, 'ok' | string>> {
    const results = await Promise.all(
      this.checks.map(async (c) => {
        try {
          await withTimeout(c.check(), this.options.timeoutMs);
          return [c.name, 'ok'] as const;
        } catch (err) {
          return [c.name, err instanceof Error ? err.message : String(err)] as const;
        }
      }),
    );
    this.logChanges(results);
    return Object.fromEntries(results);
  }

  private logChanges(results: readonly (readonly [string, string])[]): void {
    const failing = new Map(results.filter(([, r]) => r !== 'ok'));
    for (const [name, error] of failing) {
      if (this.failing.get(name) !== error) this.logger.warn(`readiness check ${name} fails: ${error}`);
    }
    for (const name of this.failing.keys()) {
      if (!failing.has(name)) this.logger.log(`readiness check ${name} passes again`);
    }
    this.failing = failing;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
