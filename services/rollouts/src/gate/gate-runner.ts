import type { EvalRun } from '@flywheel/contracts';
import type { RolloutPlanConfig, RouteConfig } from '@flywheel/platform';
import {
  CuratorClient,
  GatewayClient,
  gatewayRunnerDeps,
  runEval,
  SILENT_RUN,
} from '@flywheel/platform/eval';
import type { RolloutsEnv } from '../env';

/** What a finished gate run says about the candidate. */
export interface GateRunResult {
  /** the stored eval run's id; absent when there was nothing to run */
  run_id?: string;
  pass_rate: number;
  cases: number;
  passed: boolean;
}

/** Runs a route's regression set against a variant; throws when the run cannot finish. */
export interface GateRunner {
  run(route: string, plan: RolloutPlanConfig): Promise<GateRunResult>;
}

/**
 * The gate as `flywheel eval run --route R --variant <candidate>` runs it: the route's accepted
 * cases from the curator, answered by the gateway with the candidate forced by the gateway's
 * admin key, checked by the same assertions, and the run stored in the curator (eval-runs).
 * It passes when the pass rate reaches the plan's `gate.min_pass_rate`; no accepted cases =
 * passes, and nothing is stored.
 */
export class GatewayGateRunner implements GateRunner {
  private readonly curator: CuratorClient;
  private readonly gateway: GatewayClient;

  constructor(
    private readonly env: RolloutsEnv['gate'],
    /** `routes` of flywheel.yaml, for json-schema assertions checked against the variant's output_schema */
    private readonly routes: Record<string, RouteConfig> = {},
  ) {
    this.curator = new CuratorClient({
      url: env.curatorUrl,
      token: env.curatorToken,
      timeoutMs: env.timeoutMs,
    });
    this.gateway = new GatewayClient({
      url: env.gatewayUrl,
      token: env.gatewayToken,
      timeoutMs: env.timeoutMs,
    });
  }

  async run(route: string, plan: RolloutPlanConfig): Promise<GateRunResult> {
    const cases = await this.curator.cases(route);
    if (cases.length === 0) return { pass_rate: 1, cases: 0, passed: true };
    const variant = plan.candidate;
    const evalPlan = {
      route,
      variant,
      repeat: 1,
      caseThreshold: 0.5,
      minPassRate: plan.gate.min_pass_rate,
      concurrency: this.env.concurrency,
    };
    const run: EvalRun = await runEval(
      cases,
      evalPlan,
      gatewayRunnerDeps(this.gateway, {
        route,
        variant,
        judgeModel: this.env.judgeModel,
        variantSchema: this.routes[route]?.variants[variant]?.output_schema,
        listener: SILENT_RUN,
      }),
    );
    await this.curator.storeRun(run);
    return { run_id: run.id, pass_rate: run.pass_rate, cases: run.total, passed: run.gate === 'pass' };
  }
}
