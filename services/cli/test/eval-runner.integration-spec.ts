import { readFileSync } from 'node:fs';
import { EvalRun } from '@flywheel/contracts';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { ADMIN_TOKEN, type EvalWorld, evalCase, runCli, startEvalWorld } from './eval-kit';

/**
 * `flywheel eval run` end to end: the real CLI in a child process, against the real gateway in
 * front of the upstream simulator, with cases from a JSONL file (the CI path, no curator).
 */

let world: EvalWorld;
let env: Record<string, string>;

beforeAll(async () => {
  world = await startEvalWorld();
  env = {
    FLYWHEEL_ADMIN_TOKEN: ADMIN_TOKEN,
    FLYWHEEL_GATEWAY_URL: world.gatewayUrl,
    FLYWHEEL_CONFIG: world.configFile,
    // nothing listens here: a test that reached the curator would fail loudly
    FLYWHEEL_CURATOR_URL: 'http://127.0.0.1:9',
  };
});

afterAll(async () => {
  await world?.close();
});

const ask = (content: string) => ({ messages: [{ role: 'user' as const, content }] });

// Under variant `coin` the answer is the question itself every other call, the canned text
// otherwise; the canned text quotes the question, so `contains` passes either way.
const passing = evalCase('support', 'parcel', ask('Where is my parcel?'), [
  { type: 'contains', value: 'Where is my parcel' },
]);
const failing = evalCase('support', 'tracking', ask('Can you give me the tracking number?'), [
  { type: 'contains', value: 'TRK-' },
  { type: 'similar', value: 'Your tracking number is TRK-4411.', threshold: 0.8 },
]);
const flaky = evalCase('support', 'norway', ask('Do you ship to Norway?'), [
  { type: 'equals', value: 'Do you ship to Norway?' },
]);

function readRun(path: string): EvalRun {
  return EvalRun.parse(JSON.parse(readFileSync(path, 'utf8')));
}

describe('flywheel eval run --cases (against the simulator)', () => {
  it('reports a passing, a failing and a flaky case, writes Markdown, JUnit and JSON, and exits 1', async () => {
    const cases = world.writeCases('support-mixed.jsonl', [passing, failing, flaky]);
    const [report, junit, json] = ['mixed.md', 'mixed.xml', 'mixed.json'].map((f) =>
      world.path(`out/${f}`),
    ) as [string, string, string];
    // one call at a time: the flaky case's six calls are then six consecutive sim-coin-50 calls,
    // exactly three of which echo
    const result = await runCli(
      `eval run --route support --variant coin --cases ${cases} --repeat 6 --concurrency 1 --report ${report} --junit ${junit} --json ${json}`,
      env,
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('eval support/coin: gate FAIL');
    expect(result.stdout).toContain(
      '3 cases: 1 passed, 1 flaky, 1 failed, 0 errors; pass rate 66.7 % (minimum 90.0 %)',
    );
    expect(result.stdout).toContain('gate: pass rate 66.7 % is below the minimum 90.0 %');
    // not a TTY: one line per case on stderr instead of a bar
    expect(result.stderr).toContain('eval support/coin: 3 cases, 18 runs');
    expect(result.stderr).toMatch(/ {2}pass {3}parcel {2}6\/6 runs passed\n/);
    expect(result.stderr).toMatch(
      / {2}fail {3}tracking {2}0\/6 runs passed {2}contains: expected the answer to contain "TRK-"; similar: similarity 0\.\d\d < 0\.8/,
    );
    expect(result.stderr).toContain(
      '  flaky  norway  3/6 runs passed  equals: expected the answer to equal "Do you ship to Norway?"',
    );
    expect(result.stdout + result.stderr).not.toContain(ADMIN_TOKEN);

    const run = readRun(json);
    expect(run).toMatchObject({
      route: 'support',
      variant: 'coin',
      repeat: 6,
      total: 3,
      passed: 1,
      failed: 1,
      flaky: 1,
      errored: 0,
      regressions: [],
      gate: 'fail',
      min_pass_rate: 0.9,
      case_threshold: 0.5,
    });
    expect(run.pass_rate).toBeCloseTo(2 / 3);
    const byId = Object.fromEntries(run.results.map((r) => [r.case_id, r]));
    expect(byId.parcel).toMatchObject({ outcome: 'pass', runs: 6, passes: 6 });
    expect(byId.tracking).toMatchObject({ outcome: 'fail', passes: 0 });
    expect(byId.tracking?.assertions.find((a) => a.type === 'similar')?.score).toBeLessThan(0.8);
    expect(byId.norway).toMatchObject({ outcome: 'flaky', passes: 3 });
    // the failing run of the flaky case shows the canned answer, not the echo
    expect(byId.norway?.output).toMatch(
      /^This is a simulated answer from sim-coin-50 to "Do you ship to Norway\?"/,
    );

    const xml = readFileSync(junit, 'utf8');
    expect(XMLValidator.validate(xml)).toBe(true);
    const suite = (
      new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml) as {
        testsuites: {
          testsuite: { tests: string; failures: string; errors: string; testcase: Record<string, unknown>[] };
        };
      }
    ).testsuites.testsuite;
    expect(suite).toMatchObject({ tests: '3', failures: '1', errors: '0' });
    const testcase = Object.fromEntries(suite.testcase.map((t) => [t.name as string, t]));
    expect(testcase.parcel?.failure).toBeUndefined();
    expect(testcase.tracking?.failure).toMatchObject({
      type: 'fail',
      message: 'contains: expected the answer to contain "TRK-"',
    });
    expect(testcase.norway?.failure).toBeUndefined();
    expect(testcase.norway?.flakyFailure).toMatchObject({ type: 'flaky' });
    expect(testcase.norway?.['system-out']).toBe('flaky: 3 of 6 runs passed (counted as passed)');

    const md = readFileSync(report, 'utf8');
    for (const line of [
      '# Flywheel eval: route support, variant coin',
      '**Gate: FAIL** — pass rate 66.7 % is below the minimum 90.0 %',
      '| pass rate | 66.7 % (minimum 90.0 %) |',
      '## Failures (1)',
      '- **FAIL** contains: expected the answer to contain "TRK-"',
      '## Flaky (1)',
      '> no --baseline: no regression check, only the pass rate gates',
    ])
      expect(md).toContain(line);
  });

  it('counts a flaky case as passing: a set of a passing and a flaky case passes the gate (exit 0)', async () => {
    const cases = world.writeCases('support-green.jsonl', [passing, flaky]);
    const result = await runCli(
      `eval run --route support --variant coin --cases ${cases} --repeat 6 --concurrency 1`,
      env,
    );
    expect(result.stderr).toContain('  flaky  norway  3/6 runs passed');
    expect(result.stdout).toContain('eval support/coin: gate PASS');
    expect(result.stdout).toContain('2 cases: 1 passed, 1 flaky, 0 failed, 0 errors; pass rate 100.0 %');
    expect(result.code).toBe(0);
  });

  it('fails the gate on a case that passed in the baseline run and fails now, even with the pass rate met', async () => {
    const cases = world.writeCases('support-regression.jsonl', [
      evalCase('support', 'refund', ask('Can I get a refund?'), [{ type: 'contains', value: 'refund' }]),
      evalCase('support', 'free-shipping', ask('Is shipping free?'), [
        { type: 'equals', value: 'Is shipping free?' },
      ]),
    ]);
    const baseline = world.path('out/baseline.json');
    const before = await runCli(
      `eval run --route support --variant control --cases ${cases} --json ${baseline}`,
      env,
    );
    expect(before.code).toBe(0);
    expect(readRun(baseline)).toMatchObject({ passed: 2, gate: 'pass' });

    const now = world.path('out/regressed.json');
    const after = await runCli(
      `eval run --route support --variant candidate --cases ${cases} --baseline ${baseline} --min-pass-rate 0.5 --json ${now} --report ${world.path('out/regressed.md')}`,
      env,
    );
    expect(after.code).toBe(1);
    expect(after.stdout).toContain('gate: 1 case passed in the previous run and fail now: free-shipping');
    const run = readRun(now);
    expect(run).toMatchObject({
      pass_rate: 0.5,
      min_pass_rate: 0.5,
      regressions: ['free-shipping'],
      gate: 'fail',
    });
    expect(readFileSync(world.path('out/regressed.md'), 'utf8')).toContain(
      '**regression: passed in the previous run**',
    );
  });

  it('invokes template-vars cases, checks the variant output_schema from FLYWHEEL_CONFIG, and reports a judge without a verdict as an error', async () => {
    const cases = world.writeCases('triage.jsonl', [
      evalCase('triage', 'crash', { vars: { ticket: 'The app crashes on login' } }, [
        { type: 'json-schema' },
        { type: 'contains', value: '"priority":"low"' },
      ]),
      evalCase('triage', 'judged', { vars: { ticket: 'Refund please' } }, [
        { type: 'llm-judge', rubric: 'Assigns a sensible priority' },
      ]),
    ]);
    const json = world.path('out/triage.json');
    // the echo model repeats the grading prompt instead of answering with the verdict JSON
    const result = await runCli(
      `eval run --route triage --variant control --cases ${cases} --judge-model echo --json ${json}`,
      env,
    );
    expect(result.code).toBe(1);
    const run = readRun(json);
    const [crash, judged] = run.results;
    expect(crash).toMatchObject({
      case_id: 'crash',
      outcome: 'pass',
      assertions: [
        { type: 'json-schema', pass: true },
        { type: 'contains', pass: true },
      ],
    });
    expect(JSON.parse(crash?.output ?? '')).toEqual({ priority: 'low', summary: expect.any(String) });
    expect(judged).toMatchObject({ case_id: 'judged', outcome: 'error' });
    expect(judged?.error).toMatch(/^judge echo answered no JSON verdict: /);
    expect(run).toMatchObject({ errored: 1, failed: 0, regressions: [] });
  });

  it('exits 2 with a clear message on an unknown route or variant, a missing token or a bad flag', async () => {
    const nope = world.writeCases('nope.jsonl', [
      evalCase('nope', 'x', ask('hi'), [{ type: 'contains', value: 'hi' }]),
    ]);
    const support = world.writeCases('support-one.jsonl', [passing]);
    const [route, variant, token, flag] = await Promise.all([
      runCli(`eval run --route nope --variant control --cases ${nope}`, env),
      runCli(`eval run --route support --variant nope --cases ${support}`, env),
      runCli(`eval run --route support --variant control --cases ${support}`, {
        ...env,
        FLYWHEEL_ADMIN_TOKEN: '',
      }),
      runCli(`eval run --route support --variant control --cases ${support} --repeat 0`, env),
    ]);
    expect(route).toMatchObject({ code: 2 });
    expect(route.stderr).toContain('flywheel eval run: no route named "nope"');
    expect(variant).toMatchObject({ code: 2 });
    expect(variant.stderr).toContain(
      'route support has no variant "nope" (it has: control, candidate, coin)',
    );
    expect(token).toMatchObject({ code: 2 });
    expect(token.stderr).toContain('FLYWHEEL_ADMIN_TOKEN: required');
    expect(flag).toMatchObject({ code: 2 });
    expect(flag.stderr).toContain('--repeat must be an integer from 1 to 100, got "0"');
  });
});
