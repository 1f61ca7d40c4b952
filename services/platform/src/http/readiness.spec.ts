import { Readiness } from './readiness';

describe('Readiness', () => {
  it('reports a failing advisory check but stays ready; a failing plain check makes it unready', async () => {
    const readiness = new Readiness({ cacheMs: 0, timeoutMs: 1_000 });
    let syncDown = true;
    let dbDown = false;
    readiness.add({
      name: 'flags_sync',
      advisory: true,
      check: async () => {
        if (syncDown) throw new Error('flag sync source rollouts:8015 unreachable');
      },
    });
    readiness.add({
      name: 'db',
      check: async () => {
        if (dbDown) throw new Error('db down');
      },
    });
    expect(await readiness.report()).toEqual({
      ready: true,
      draining: false,
      checks: { flags_sync: 'flag sync source rollouts:8015 unreachable', db: 'ok' },
    });
    dbDown = true;
    expect(await readiness.report()).toMatchObject({ ready: false, checks: { db: 'db down' } });
    syncDown = false;
    dbDown = false;
    expect(await readiness.report()).toEqual({
      ready: true,
      draining: false,
      checks: { flags_sync: 'ok', db: 'ok' },
    });
  });
});
