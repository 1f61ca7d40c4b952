import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RolloutPlanConfig, type SqlExecutor } from '@flywheel/platform';
import { expectEventually } from '@flywheel/platform/testing';
import type { RolloutPosition } from '../decision/state-machine';
import type { StoredRollout } from '../rollouts/rollout.store';
import { ServedFlagsService } from './served-flags.service';

/**
 * What the controller serves follows the stored state and FLAGS_FILE: a new configuration (and
 * only a changed one) goes to the listeners, a broken FLAGS_FILE edit is ignored.
 */

const plans = {
  demo: RolloutPlanConfig.parse({ control: 'control', candidate: 'candidate', steps: [5, 25, 100] }),
};
const handWritten = { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'off' };

let dir: string;
let flagsFile: string;
let position: RolloutPosition;
let service: ServedFlagsService | undefined;
let warnings: string[];
const store = {
  get: (_db: SqlExecutor, route: string): Promise<StoredRollout | null> =>
    Promise.resolve({
      route,
      epoch: 1,
      position,
      step_base: { control: 0, candidate: 0, candidate_votes: 0 },
      plan_revision: 'r',
    }),
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'served-flags-'));
  flagsFile = join(dir, 'flags.json');
  writeFileSync(flagsFile, JSON.stringify({ flags: { 'dark-mode': handWritten } }));
  position = { status: 'running', step_index: 0, step_started_at: 0 };
  warnings = [];
});

afterEach(async () => {
  await service?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<{ served: ServedFlagsService; pushed: string[] }> {
  service = new ServedFlagsService({} as SqlExecutor, plans, store, {
    flagsFile,
    flagKeys: { demo: 'demo-flag' },
    pollIntervalMs: 50,
    refreshMs: 60_000,
    logger: { warn: (m: string) => warnings.push(m), error: (m: string) => warnings.push(m) },
  });
  const pushed: string[] = [];
  service.onChange((c) => pushed.push(c));
  await service.start();
  return { served: service, pushed };
}

const split = (configuration: string) =>
  (JSON.parse(configuration) as { flags: Record<string, { targeting?: { fractional: unknown } }> }).flags[
    'demo-flag'
  ]?.targeting?.fractional;

describe('ServedFlagsService', () => {
  it('serves FLAGS_FILE with the planned flag at the stored percent, and pushes each change once', async () => {
    const { served, pushed } = await start();
    expect(JSON.parse(served.current()).flags['dark-mode']).toEqual(handWritten);
    expect(split(served.current())).toEqual([
      ['control', 9_500],
      ['candidate', 500],
    ]);
    await served.refresh();
    expect(pushed).toHaveLength(1); // the first build; nothing changed since
    position = { status: 'running', step_index: 1, step_started_at: 1 };
    await served.refresh();
    expect(pushed).toHaveLength(2);
    expect(split(pushed[1]!)).toEqual([
      ['control', 7_500],
      ['candidate', 2_500],
    ]);
    position = { ...position, status: 'halted', reason: 'halted: dislike_rate' };
    await served.refresh();
    expect(split(served.current())).toEqual([
      ['control', 10_000],
      ['candidate', 0],
    ]);
  });

  it('merges a FLAGS_FILE edit within 2 s, and keeps the last good file when an edit breaks it', async () => {
    const { served } = await start();
    writeFileSync(
      flagsFile,
      JSON.stringify({ flags: { 'dark-mode': { ...handWritten, defaultVariant: 'on' } } }),
    );
    await expectEventually(
      () => expect(JSON.parse(served.current()).flags['dark-mode'].defaultVariant).toBe('on'),
      {
        timeoutMs: 2_000,
      },
    );
    const before = served.current();
    writeFileSync(flagsFile, '{ "flags": { "dark-mode": { "state": "ENABLED", "defaultVariant": "nope" ');
    await expectEventually(
      () => expect(warnings.join('\n')).toContain(`${flagsFile} changed but cannot be loaded`),
      {
        timeoutMs: 2_000,
      },
    );
    await served.refresh();
    expect(served.current()).toBe(before);
  });

  it('refuses to start when FLAGS_FILE does not load, naming it', async () => {
    writeFileSync(
      flagsFile,
      '{ "flags": { "x": { "state": "ENABLED", "variants": {}, "defaultVariant": "a" } } }',
    );
    await expect(start()).rejects.toThrow(`flags: cannot load ${flagsFile}`);
  });
});
