import { FlagdCore } from '@openfeature/flagd-core';
import { type FlagdDocument, type PlannedFlag, servedFlags } from './served-flags';

const FILE: FlagdDocument = {
  $schema: 'https://flagd.dev/schema/v0/flags.json',
  flags: {
    'demo-chat': {
      state: 'ENABLED',
      variants: { control: 'control', candidate: 'candidate', terse: 'terse' },
      defaultVariant: 'control',
      targeting: { if: [{ '==': [{ var: 'tenant' }, 'acme'] }, 'terse', null] },
      metadata: { description: 'hand-written' },
    },
    'ticket-triage': { state: 'ENABLED', variants: { control: 'control' }, defaultVariant: 'control' },
  },
};

const planned = (percent: number, over: Partial<PlannedFlag> = {}): PlannedFlag => ({
  route: 'demo',
  flagKey: 'demo-chat',
  control: 'control',
  candidate: 'candidate',
  percent,
  status: 'running',
  ...over,
});

const users = Array.from({ length: 5_000 }, (_, i) => `user-${i}`);

/** The variant each user gets from this configuration, evaluated by flagd-core as a gateway would. */
function evaluate(doc: FlagdDocument, flag = 'demo-chat', context: Record<string, string> = {}): string[] {
  const core = new FlagdCore();
  core.setConfigurations(JSON.stringify(doc));
  return users.map(
    (targetingKey) => core.resolveStringEvaluation(flag, 'x', { ...context, targetingKey }).value,
  );
}

const onCandidate = (variants: string[]) => new Set(users.filter((_, i) => variants[i] === 'candidate'));

describe('servedFlags', () => {
  it('keeps the file flags without a plan unchanged, and the file document around them', () => {
    const doc = servedFlags(FILE, [planned(5)]);
    expect(doc.flags['ticket-triage']).toEqual(FILE.flags['ticket-triage']);
    expect(doc.$schema).toBe(FILE.$schema);
    expect(FILE.flags['demo-chat']).toMatchObject({ targeting: { if: expect.any(Array) } }); // input untouched
  });

  it('gives the candidate its percent of users, replacing hand-written targeting of the planned flag', () => {
    const at25 = evaluate(servedFlags(FILE, [planned(25)]), 'demo-chat', { tenant: 'acme' });
    const share = at25.filter((v) => v === 'candidate').length / users.length;
    expect(share).toBeGreaterThan(0.22);
    expect(share).toBeLessThan(0.28);
    expect(new Set(at25)).toEqual(new Set(['control', 'candidate']));
  });

  it('only adds users as the percent grows: everyone on the candidate at 1 % is on it at 5, 25, 50 and 100 %', () => {
    let before = new Set<string>();
    for (const percent of [1, 5, 25, 50, 100]) {
      const now = onCandidate(evaluate(servedFlags(FILE, [planned(percent)])));
      expect([...before].filter((u) => !now.has(u))).toEqual([]);
      expect(now.size).toBeGreaterThan(before.size);
      before = now;
    }
    expect(before.size).toBe(users.length);
  });

  it('puts the same users on the candidate as a hand-written split with the candidate last', () => {
    const handWritten: FlagdDocument = {
      flags: {
        'demo-chat': {
          state: 'ENABLED',
          variants: { control: 'control', candidate: 'candidate' },
          defaultVariant: 'control',
          targeting: {
            fractional: [
              ['control', 90],
              ['candidate', 10],
            ],
          },
        },
      },
    };
    expect(evaluate(servedFlags(FILE, [planned(10)]))).toEqual(evaluate(handWritten));
  });

  it('serves control to everyone at 0 % (pending, halted, rolled back) and supports fractional steps', () => {
    expect(new Set(evaluate(servedFlags(FILE, [planned(0, { status: 'halted' })])))).toEqual(
      new Set(['control']),
    );
    const half = onCandidate(evaluate(servedFlags(FILE, [planned(0.5)])));
    expect(half.size).toBeGreaterThan(5);
    expect(half.size).toBeLessThan(60);
  });

  it('creates the flag of a planned route the file lacks, and labels planned flags with the rollout', () => {
    const doc = servedFlags(FILE, [planned(50, { route: 'triage', flagKey: 'new-flag', status: 'holding' })]);
    expect(doc.flags['new-flag']).toEqual({
      state: 'ENABLED',
      variants: { control: 'control', candidate: 'candidate' },
      defaultVariant: 'control',
      targeting: {
        fractional: [
          ['control', 5_000],
          ['candidate', 5_000],
        ],
      },
      metadata: {
        managedBy: 'flywheel-rollouts',
        rolloutRoute: 'triage',
        rolloutStatus: 'holding',
        rolloutPercent: 50,
      },
    });
    expect(() => new FlagdCore().setConfigurations(JSON.stringify(doc))).not.toThrow();
  });
});
