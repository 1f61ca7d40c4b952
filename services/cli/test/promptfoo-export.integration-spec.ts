import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { EvalCase } from '@flywheel/contracts';
import { EvalRun } from '@flywheel/contracts';
import { toPromptfooYaml } from '@flywheel/curator';
import { promptfooCli } from '../../../test-support/promptfoo';
import { ADMIN_TOKEN, type EvalWorld, evalCase, runCli, startEvalWorld } from './eval-kit';

/**
 * The promptfoo export, run as-is by the real promptfoo CLI (0.123.1 on Node 22) against the real
 * gateway in front of the simulator, gives the same verdict per case as `flywheel eval run` on the
 * same cases — with Nunjucks delimiters in the expected answers and `similar` assertions, which
 * promptfoo would otherwise render away or send to an embeddings API.
 */

let world: EvalWorld;

beforeAll(async () => {
  promptfooCli(); // installs it into .cache on a fresh machine
  world = await startEvalWorld();
}, 900_000);

afterAll(async () => {
  await world?.close();
});

const ask = (content: string) => ({ messages: [{ role: 'user' as const, content }] });

// Variant `control` echoes the last user message (sim-echo).
const CASES = [
  evalCase('support', 'jinja', ask('D: {{ name }} in Jinja'), [
    { type: 'contains', value: 'D: {{ name }} in Jinja' },
  ]),
  // unescaped, promptfoo would check `contains ""` and pass
  evalCase('support', 'empty-var', ask('hello there'), [{ type: 'contains', value: '{{ x }}' }]),
  evalCase('support', 'block-tags', ask('a {% endraw %} b {% if x %} c {# note #}'), [
    { type: 'contains', value: 'a {% endraw %} b {% if x %} c {# note #}' },
    { type: 'not-contains', value: '{{ missing }}' },
  ]),
  evalCase('support', 'similar-pass', ask('Your  tracking number is TRK-4411.'), [
    { type: 'similar', value: 'your tracking number is trk-4411', threshold: 0.8 },
  ]),
  evalCase('support', 'similar-fail', ask('Where is my parcel?'), [
    { type: 'similar', value: 'Your tracking number is TRK-4411.', threshold: 0.8 },
  ]),
  evalCase('support', 'similar-braces', ask('Hi {{ user }}, your order shipped'), [
    { type: 'similar', value: 'Hi {{ user }}, your order has shipped', threshold: 0.7 },
  ]),
];

/** The export's view of a committed case: what the curator holds for an accepted case. */
function asAccepted(c: (typeof CASES)[number]): EvalCase {
  const at = '2026-01-01T00:00:00.000Z';
  return {
    id: c.case_id,
    route: c.route,
    status: 'accepted',
    count: c.count,
    input: c.input,
    output: '',
    reasons: c.reasons,
    variant: c.variant,
    model: c.model,
    assertions: c.assertions,
    lineage: { ...c.lineage, first_seen_at: at, last_seen_at: at },
    created_at: at,
    updated_at: at,
  };
}

interface PromptfooResult {
  success: boolean;
  /** 0 none, 1 an assertion failed, 2 the call errored */
  failureReason?: number;
  testCase?: { metadata?: { case_id?: string } };
  gradingResult?: { reason?: string; componentResults?: { pass: boolean; reason?: string }[] };
  error?: string;
}

function runPromptfoo(config: string, output: string): Promise<{ code: number | null; log: string }> {
  const { node, entry } = promptfooCli();
  return new Promise((resolve, reject) => {
    const child = spawn(
      node,
      [entry, 'eval', '-c', config, '-o', output, '--no-cache', '--no-progress-bar', '--no-table', '-j', '2'],
      {
        cwd: world.dir,
        env: {
          PATH: process.env.PATH,
          HOME: world.dir,
          PROMPTFOO_CONFIG_DIR: world.path('.promptfoo'),
          PROMPTFOO_DISABLE_TELEMETRY: '1',
          PROMPTFOO_DISABLE_UPDATE: '1',
          PROMPTFOO_DISABLE_SHARING: '1',
          FLYWHEEL_ADMIN_TOKEN: ADMIN_TOKEN,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let log = '';
    child.stdout.on('data', (b: Buffer) => (log += b.toString()));
    child.stderr.on('data', (b: Buffer) => (log += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, log }));
  });
}

describe('promptfoo export, run by the real promptfoo CLI', () => {
  it("gives flywheel eval run's verdict on every case", async () => {
    const casesFile = world.writeCases('support.jsonl', CASES);
    const runJson = world.path('flywheel-run.json');
    const flywheel = await runCli(
      `eval run --route support --variant control --cases ${casesFile} --repeat 1 --json ${runJson}`,
      {
        FLYWHEEL_ADMIN_TOKEN: ADMIN_TOKEN,
        FLYWHEEL_GATEWAY_URL: world.gatewayUrl,
        FLYWHEEL_CONFIG: world.configFile,
        FLYWHEEL_CURATOR_URL: 'http://127.0.0.1:9',
      },
    );
    expect(flywheel.stderr).toContain('eval support/control: 6 cases');
    const ours = Object.fromEntries(
      EvalRun.parse(JSON.parse(readFileSync(runJson, 'utf8'))).results.map((r) => [
        r.case_id,
        r.outcome === 'pass',
      ]),
    );
    // the cases are built to exercise both verdicts
    expect(ours).toEqual({
      jinja: true,
      'empty-var': false,
      'block-tags': true,
      'similar-pass': true,
      'similar-fail': false,
      'similar-braces': true,
    });

    const config = world.path('support.promptfooconfig.yaml');
    writeFileSync(
      config,
      toPromptfooYaml('support', CASES.map(asAccepted), { gatewayUrl: world.gatewayUrl, variant: 'control' }),
    );
    const output = world.path('promptfoo-results.json');
    const { code, log } = await runPromptfoo(config, output);
    if (!existsSync(output)) throw new Error(`promptfoo wrote no results (exit ${code}):\n${log}`);
    const written = JSON.parse(readFileSync(output, 'utf8')) as {
      results: { results: PromptfooResult[] } | PromptfooResult[];
    };
    const results = Array.isArray(written.results) ? written.results : written.results.results;
    const theirs = Object.fromEntries(results.map((r) => [r.testCase?.metadata?.case_id ?? '?', r.success]));
    const errors = results
      .filter((r) => r.failureReason === 2)
      .map((r) => `${r.testCase?.metadata?.case_id}: ${r.error}`);
    expect(errors).toEqual([]);
    expect(theirs).toEqual(ours);
    // the failures are the assertions', read back as literal text and Flywheel's own score
    const reasons = Object.fromEntries(
      results.filter((r) => !r.success).map((r) => [r.testCase?.metadata?.case_id, r.error]),
    );
    expect(reasons).toEqual({
      'empty-var': 'Expected output to contain "{{ x }}"',
      'similar-fail': expect.stringMatching(/^similarity 0\.\d\d < 0\.8$/),
    });
    // promptfoo exits 100 when a test fails: two do here
    expect(code).toBe(100);
  }, 300_000);
});
