import {
  createSqlDatabase,
  migrate,
  RolloutPlanConfig,
  type SqlDatabase,
  systemClock,
} from '@flywheel/platform';
import { expectEventually } from '@flywheel/platform/testing';
import { ROLLOUTS_MIGRATIONS } from '../db/migrations';
import type { GateRunner, GateRunResult } from './gate-runner';
import { GateService } from './gate.service';

/**
 * The gate's bookkeeping on the embedded database (PGlite, in memory), with a scripted runner
 * in place of the gateway: what is owed, what is retried, what the state shows meanwhile.
 */

const plan = RolloutPlanConfig.parse({ control: 'control', candidate: 'candidate', steps: [10, 100] });
const plans = { r: plan };

let db: SqlDatabase;
let gates: GateService | undefined;

beforeAll(async () => {
  db = await createSqlDatabase({});
  await migrate(db, ROLLOUTS_MIGRATIONS);
});

afterAll(() => db.close());

beforeEach(async () => {
  await db.query('delete from rollout_gates');
  await db.query('delete from rollout_state');
  await db.query(
    `insert into rollout_state (route, epoch, status, step_index, step_started_at, step_base, plan_revision, updated_at)
     values ('r', 1, 'running', 0, now(), '{}', 'x', now())`,
  );
});

afterEach(async () => {
  await gates?.stop();
});

/** A runner answering from `script` in order (an Error is thrown), counting its calls. */
function scripted(script: (GateRunResult | Error)[]): GateRunner & { calls: number } {
  const runner = {
    calls: 0,
    run: () => {
      const next = script[Math.min(runner.calls++, script.length - 1)]!;
      return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
    },
  };
  return runner;
}

function service(runner: GateRunner, hash = 'h1'): GateService {
  gates = new GateService(db, plans, runner, systemClock, {
    configHash: () => hash,
    onRun: () => undefined,
    retryMs: 50,
  });
  return gates;
}

const pass: GateRunResult = { run_id: 'run-ok', pass_rate: 1, cases: 2, passed: true };

describe('GateService', () => {
  it('retries a run that could not finish, showing why meanwhile', async () => {
    const runner = scripted([new Error('no answer from the curator: ECONNREFUSED'), pass]);
    const g = service(runner);
    await g.init();
    await expectEventually(async () => {
      expect(await g.state(db, 'r')).toMatchObject({ status: 'passed', run_id: 'run-ok' });
    });
    expect(runner.calls).toBe(2);
  });

  it('shows pending with the error while it cannot run', async () => {
    const g = service(scripted([new Error('no answer from the gateway: ECONNREFUSED')]));
    await g.init();
    await expectEventually(async () => {
      expect(await g.state(db, 'r')).toMatchObject({
        status: 'pending',
        note: expect.stringContaining(
          'could not run (the rollout has no gate run yet): no answer from the gateway',
        ),
      });
    });
  });

  it('owes a run after a restart only when the candidate config changed', async () => {
    const runner = scripted([pass]);
    await service(runner).init();
    await expectEventually(async () => expect(runner.calls).toBe(1));
    await gates!.stop();
    await service(runner, 'h1').init();
    expect((await gates!.state(db, 'r')).status).toBe('passed');
    await gates!.stop();
    await service(runner, 'h2').init();
    await expectEventually(async () => expect(runner.calls).toBe(2));
  });

  it('ignores case changes of a rollout that is not under way', async () => {
    await db.query(`update rollout_state set status = 'completed'`);
    const runner = scripted([pass]);
    const g = service(runner);
    await g.init();
    await g.casesChanged('r', 'case c-1 accepted');
    expect(runner.calls).toBe(0);
    expect((await g.state(db, 'r')).status).toBe('none');
  });
});
