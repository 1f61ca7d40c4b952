import { readFileSync } from 'node:fs';
import { CaseList, ChatCompletionResponse, EvalRun, EvalRunList } from '@flywheel/contracts';
import { expectEventually } from '@flywheel/platform/testing';
import { parseEvalSet } from '@flywheel/platform/eval';
import { ADMIN_TOKEN, API_KEY, type EvalWorld, runCli, startEvalWorld } from './eval-kit';

/**
 * The whole loop into the eval runner: a gateway answer, a down vote on it through the feedback
 * service, the curator turning it into a case that triage accepts, then `flywheel eval run`
 * fetching the accepted cases from the curator, storing its runs there and checking the next
 * run against the stored one; and `flywheel sets export` writing the set for evals/.
 */

let world: EvalWorld;
let env: Record<string, string>;

beforeAll(async () => {
  world = await startEvalWorld({ loop: true });
  env = {
    FLYWHEEL_ADMIN_TOKEN: ADMIN_TOKEN,
    FLYWHEEL_GATEWAY_URL: world.gatewayUrl,
    FLYWHEEL_CURATOR_URL: world.curatorUrl as string,
    FLYWHEEL_CONFIG: world.configFile,
  };
});

afterAll(async () => {
  await world?.close();
});

async function json<T>(res: Response, schema: { parse(v: unknown): T }): Promise<T> {
  expect(res.status).toBeLessThan(300);
  return schema.parse(await res.json());
}

const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };

/** Asks route `support` (default variant `control`, which echoes) and votes the answer down. */
async function dislike(question: string): Promise<string> {
  const answer = await json(
    await fetch(`${world.gatewayUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'route:support',
        user: 'shopper-1',
        messages: [{ role: 'user', content: question }],
      }),
    }),
    ChatCompletionResponse,
  );
  const vote = await fetch(`${world.feedbackUrl}/v1/feedback`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      interaction_id: answer.flywheel.interaction_id,
      token: answer.flywheel.feedback_token,
      rating: 'down',
      reasons: ['incorrect'],
    }),
  });
  expect(vote.status).toBe(202);
  return answer.flywheel.interaction_id;
}

async function storedRuns(): Promise<EvalRunList['runs']> {
  const res = await fetch(`${world.curatorUrl}/v1/eval-runs?route=support&limit=10`, { headers: admin });
  return (await json(res, EvalRunList)).runs;
}

describe('flywheel eval run with the curator', () => {
  it('runs the accepted cases, stores each run, and gates the next run on the stored one', async () => {
    const question = 'Is shipping free?';
    const interactionId = await dislike(question);
    const found = await expectEventually(
      async () => {
        const res = await fetch(`${world.curatorUrl}/v1/cases?route=support&status=new`, { headers: admin });
        const list = await json(res, CaseList);
        const hit = list.cases.find((c) => c.lineage.interaction_ids.includes(interactionId));
        if (!hit) throw new Error('the curator has no case for the down vote yet');
        return hit;
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    // triage: the expected answer is the question itself, which variant `control` echoes
    const accepted = await fetch(`${world.curatorUrl}/v1/cases/${found.id}/accept`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ expected: question, assertions: [{ type: 'equals', value: question }] }),
    });
    expect(accepted.status).toBeLessThan(300);
    expect(await storedRuns()).toEqual([]);

    const first = await runCli(
      `eval run --route support --variant control --json ${world.path('first.json')}`,
      env,
    );
    expect(first.stdout).toContain('eval support/control: gate PASS');
    expect(first.stdout).toContain('no previous run of route support in the curator: no regression check');
    expect(first.code).toBe(0);
    const firstRun = EvalRun.parse(JSON.parse(readFileSync(world.path('first.json'), 'utf8')));
    expect(firstRun.results).toEqual([expect.objectContaining({ case_id: found.id, outcome: 'pass' })]);
    expect(first.stdout).toContain(`stored as run ${firstRun.id} in the curator`);
    expect((await storedRuns()).map((r) => [r.id, r.gate])).toEqual([[firstRun.id, 'pass']]);

    // the candidate answers with canned text: the case that passed now fails, a regression
    const second = await runCli(
      `eval run --route support --variant candidate --min-pass-rate 0 --junit ${world.path('second.xml')}`,
      env,
    );
    expect(second.stdout).toContain(
      `regressions checked against run ${firstRun.id} (control, ${firstRun.started_at})`,
    );
    expect(second.stdout).toContain(`gate: 1 case passed in the previous run and fail now: ${found.id}`);
    expect(second.code).toBe(1);
    const runs = await storedRuns();
    expect(runs).toHaveLength(2);
    expect(runs[0]).toMatchObject({
      variant: 'candidate',
      gate: 'fail',
      regressions: [found.id],
      min_pass_rate: 0,
    });
    const stored = EvalRun.parse(
      await (await fetch(`${world.curatorUrl}/v1/eval-runs/${runs[0]?.id}`, { headers: admin })).json(),
    );
    expect(stored.results).toEqual([
      expect.objectContaining({
        case_id: found.id,
        outcome: 'fail',
        output: expect.stringMatching(/^This is a simulated answer from sim-ok/),
      }),
    ]);
    expect(readFileSync(world.path('second.xml'), 'utf8')).toContain('type="regression"');

    // --no-store leaves the curator's runs alone
    const third = await runCli(`eval run --route support --variant control --no-store`, env);
    expect(third.code).toBe(0);
    expect(await storedRuns()).toHaveLength(2);

    // sets export writes what `eval run --cases` reads
    const out = world.path('evals/support.jsonl');
    const exported = await runCli(`sets export --route support --out ${out}`, env);
    expect(exported.code).toBe(0);
    expect(exported.stderr).toContain(`flywheel sets: wrote 1 cases of route support to ${out}`);
    const [exportedCase] = parseEvalSet(readFileSync(out, 'utf8'), out);
    expect(exportedCase).toMatchObject({ case_id: found.id, route: 'support', expected: question });
    const fromFile = await runCli(`eval run --route support --variant control --cases ${out}`, env);
    expect(fromFile.stdout).toContain('1 cases: 1 passed');
    expect(fromFile.code).toBe(0);
    expect(await storedRuns()).toHaveLength(2);

    const promptfoo = await runCli(`sets export --route support --format promptfoo`, env);
    expect(promptfoo.code).toBe(0);
    expect(promptfoo.stdout).toContain(question);
  });

  it('exits 2 when the curator refuses the token', async () => {
    const refused = await runCli(`eval run --route support --variant control`, {
      ...env,
      FLYWHEEL_ADMIN_TOKEN: 'not-the-admin-token',
    });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('the curator refused FLYWHEEL_ADMIN_TOKEN (HTTP 401');
    expect(refused.stderr).not.toContain('not-the-admin-token');
  });
});
