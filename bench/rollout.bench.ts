/**
 * Rollout decision benchmark: simulated rollouts driven by the controller's real decision code
 * (services/rollouts/src/decision, via the simulator in services/rollouts/src/simulation).
 *   npm run bench:rollout [-- --stage=simulation|kafka]  (BENCH_ROLLOUT_RUNS rollouts per scenario, default 1000)
 * Scenarios, each BENCH_ROLLOUT_RUNS seeded rollouts of the bench plan below:
 *  (a) A/A — candidate identical to control: the share falsely halted (target ≤ 5 %);
 *  (b) candidate dislike 2× control at a 10 % baseline: candidate votes until the halt,
 *      median and p90 (target median ≤ 400), and how many completed instead;
 *  (c) 1.2× (12 % vs 10 %): how often and how fast it is caught — with the plan's margin
 *      (max_increase 0.02, so 1.2× sits exactly on the allowed limit) and with no margin.
 * The simulation is deterministic (seeded). Then (unless --stage=simulation) the controller's
 * throughput on real Kafka and Postgres: see rollout-kafka.ts. `--stage=kafka` runs only that and
 * writes bench/results/rollout-kafka.json; otherwise everything goes to bench/results/rollout.json.
 */
import { RolloutPlanConfig } from '../services/platform/src/config';
import {
  type ArmTruth,
  seededRandom,
  simulateRollout,
  type SimResult,
  type SimScenario,
} from '../services/rollouts/src/simulation/rollout-sim';
import { machineInfo, writeResults } from './lib/results';
import { runKafkaStage } from './rollout-kafka';
import { pct, round } from './lib/stats';

const RUNS = Number(process.env.BENCH_ROLLOUT_RUNS ?? 1000);

const plan = (maxIncrease: number) =>
  RolloutPlanConfig.parse({
    control: 'control',
    candidate: 'candidate',
    steps: [1, 5, 25, 50, 100],
    min_per_step: { interactions: 500, votes: 100, seconds: 600 },
    guardrails: {
      dislike_rate: { max_increase: maxIncrease },
      error_rate: { max_increase: 0.01 },
      latency_p95_ms: { max_ratio: 1.25 },
      cost_per_interaction: { max_ratio: 1.5 },
    },
    alpha: 0.05,
  });

const CONTROL: ArmTruth = {
  dislike_rate: 0.1,
  error_rate: 0.01,
  latency_median_ms: 800,
  cost_mean_usd: 0.002,
};

function scenario(candidateDislike: number, maxIncrease: number): SimScenario {
  return {
    plan: plan(maxIncrease),
    control: CONTROL,
    candidate: { ...CONTROL, dislike_rate: candidateDislike },
    interactions_per_second: 20,
    vote_share: 0.2,
    batch: 50,
    max_interactions: 400_000,
  };
}

function run(name: string, s: SimScenario) {
  const t0 = performance.now();
  const results: SimResult[] = [];
  for (let i = 0; i < RUNS; i++) results.push(simulateRollout(s, seededRandom(1_000_003 * (i + 1))));
  const halted = results.filter((r) => r.final === 'halted');
  const votes = halted.map((r) => r.candidate_votes).sort((a, b) => a - b);
  const byMetric: Record<string, number> = {};
  for (const r of halted) byMetric[r.halted_metric ?? '?'] = (byMetric[r.halted_metric ?? '?'] ?? 0) + 1;
  const summary = {
    scenario: name,
    runs: RUNS,
    candidate_dislike_rate: s.candidate.dislike_rate,
    control_dislike_rate: s.control.dislike_rate,
    dislike_max_increase: s.plan.guardrails.dislike_rate?.max_increase,
    halted_share: round(halted.length / RUNS, 4),
    completed_share: round(results.filter((r) => r.final === 'completed').length / RUNS, 4),
    unfinished_share: round(results.filter((r) => r.final === 'unfinished').length / RUNS, 4),
    halted_by_metric: byMetric,
    candidate_votes_at_halt: { median: pct(votes, 50), p90: pct(votes, 90), max: votes.at(-1) ?? NaN },
    holds_total: results.reduce((n, r) => n + r.holds, 0),
    wall_s: round((performance.now() - t0) / 1000),
  };
  console.log(JSON.stringify(summary));
  return summary;
}

async function main(): Promise<void> {
  const stage = /^--stage=(\w+)$/.exec(process.argv[2] ?? '')?.[1] ?? 'all';
  if (!['all', 'simulation', 'kafka'].includes(stage)) throw new Error('--stage=all|simulation|kafka');
  const kafka = stage === 'simulation' ? undefined : await runKafkaStage();
  if (stage === 'kafka') {
    console.log(
      `wrote ${writeResults('rollout-kafka', { bench: 'rollout', at: new Date().toISOString(), machine: machineInfo(), kafka })}`,
    );
    return;
  }
  const aa = run('a_aa', scenario(0.1, 0.02));
  const twice = run('b_2x', scenario(0.2, 0.02));
  const slight = run('c_1.2x_margin_0.02', scenario(0.12, 0.02));
  const slightStrict = run('c_1.2x_margin_0', scenario(0.12, 0));
  const results = {
    bench: 'rollout',
    at: new Date().toISOString(),
    machine: machineInfo(),
    settings: {
      runs_per_scenario: RUNS,
      plan: plan(0.02),
      traffic: { interactions_per_second: 20, vote_share: 0.2, decision_every_interactions: 50 },
      control: CONTROL,
    },
    targets: { aa_false_halt_share_max: 0.05, b_median_candidate_votes_max: 400 },
    met: {
      aa_false_halt: aa.halted_share <= 0.05,
      b_median_votes: twice.candidate_votes_at_halt.median <= 400,
    },
    scenarios: [aa, twice, slight, slightStrict],
    ...(kafka ? { controller_throughput_on_kafka: kafka } : {}),
  };
  console.log(`wrote ${writeResults('rollout', results)}`);
}

main()
  .then(() => process.exit(0))
  .catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
