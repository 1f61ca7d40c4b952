import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { OpenFeature } from '@openfeature/server-sdk';
import { expectEventually } from '../testing/expect-eventually';
import { FlagService, type FlagContext } from './flag-service';

const SHIPPED = resolve(__dirname, '../../../../infra/flags/flags.json');

type Targeting = Record<string, unknown>;

function stringFlag(
  targeting?: Targeting,
  variants: Record<string, unknown> = { control: 'control', candidate: 'candidate' },
) {
  return { state: 'ENABLED', variants, defaultVariant: 'control', ...(targeting ? { targeting } : {}) };
}

function split(control: number, candidate: number): Targeting {
  return {
    fractional: [
      ['control', control],
      ['candidate', candidate],
    ],
  };
}

let dir: string;
let services: FlagService[];
let warnings: string[];
const logger = { warn: (...args: unknown[]) => warnings.push(args.join(' ')) };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'flywheel-flags-'));
  services = [];
  warnings = [];
});
afterEach(async () => {
  await Promise.all(services.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

function writeFlags(flags: Record<string, unknown>, name = 'flags.json'): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ $schema: 'https://flagd.dev/schema/v0/flags.json', flags }, null, 2));
  return path;
}

/** Like an editor's save or a Kubernetes ConfigMap update: write elsewhere, rename over. */
function replaceFlags(path: string, flags: Record<string, unknown>): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify({ flags }));
  renameSync(tmp, path);
}

async function open(flagsFile: string): Promise<FlagService> {
  const service = await FlagService.create({ flagsFile, logger });
  services.push(service);
  return service;
}

const users = (n: number, prefix = 'user') => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

async function variants(
  service: FlagService,
  flag: string,
  keys: string[],
  extra: Omit<FlagContext, 'targetingKey'> = {},
) {
  const out: string[] = [];
  for (const targetingKey of keys)
    out.push((await service.variantFor(flag, 'control', { ...extra, targetingKey })).variant);
  return out;
}

const share = (vs: string[], v: string) => vs.filter((x) => x === v).length / vs.length;

describe('FlagService on the shipped infra/flags/flags.json', () => {
  it('sends 10% ± 1.5% of 10,000 users to the demo-chat candidate', async () => {
    const flags = await open(SHIPPED);

    const picked = await variants(flags, 'demo-chat', users(10_000), { route: 'demo-chat' });

    expect(share(picked, 'candidate')).toBeGreaterThanOrEqual(0.085);
    expect(share(picked, 'candidate')).toBeLessThanOrEqual(0.115);
    expect(share(picked, 'control') + share(picked, 'candidate')).toBe(1);
  });

  it('gives everyone control on ticket-triage', async () => {
    const flags = await open(SHIPPED);

    expect(new Set(await variants(flags, 'ticket-triage', users(200)))).toEqual(new Set(['control']));
    expect(await flags.variantFor('ticket-triage', 'x', { targetingKey: 'u' })).toEqual({
      variant: 'control',
      reason: 'STATIC',
    });
  });
});

describe('FlagService', () => {
  it('is sticky: a user keeps their variant across evaluations and across restarts', async () => {
    const path = writeFlags({ 'demo-chat': stringFlag(split(50, 50)) });
    const keys = users(500);
    const first = await open(path);
    const before = await variants(first, 'demo-chat', keys);
    await first.close();

    const again = await variants(await open(path), 'demo-chat', keys);

    expect(again).toEqual(before);
    expect(share(before, 'candidate')).toBeGreaterThan(0.4); // both variants are really in play
  });

  it('applies an edit to the file within 2 s, without a restart, keeping the 10% in the candidate', async () => {
    const path = writeFlags({ 'demo-chat': stringFlag(split(90, 10)) });
    const flags = await open(path);
    const keys = users(2000);
    const at10 = await variants(flags, 'demo-chat', keys);
    expect(share(at10, 'candidate')).toBeLessThan(0.15);

    writeFlags({ 'demo-chat': stringFlag(split(50, 50)) });
    const at50 = await expectEventually(
      async () => {
        const now = await variants(flags, 'demo-chat', keys);
        expect(share(now, 'candidate')).toBeGreaterThan(0.45);
        return now;
      },
      { timeoutMs: 2000 },
    );

    expect(share(at50, 'candidate')).toBeLessThan(0.55);
    // ramping up only adds users: everyone who had the candidate at 10% still has it
    expect(keys.filter((_, i) => at10[i] === 'candidate' && at50[i] !== 'candidate')).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('picks up a file replaced by rename (editor save, ConfigMap update) within 2 s', async () => {
    const path = writeFlags({ 'demo-chat': stringFlag() });
    const flags = await open(path);
    expect((await flags.variantFor('demo-chat', 'control', { targetingKey: 'u1' })).variant).toBe('control');

    replaceFlags(path, { 'demo-chat': { ...stringFlag(), defaultVariant: 'candidate' } });

    await expectEventually(
      async () =>
        expect((await flags.variantFor('demo-chat', 'control', { targetingKey: 'u1' })).variant).toBe(
          'candidate',
        ),
      {
        timeoutMs: 2000,
      },
    );
  });

  it('keeps the last good flags when an edit breaks the file, and applies the fix', async () => {
    const path = writeFlags({ 'demo-chat': { ...stringFlag(), defaultVariant: 'candidate' } });
    const flags = await open(path);

    writeFileSync(path, '{ "flags": { "demo-chat": ');
    await expectEventually(
      () => expect(warnings.join('\n')).toContain(`${path} changed but cannot be loaded`),
      { timeoutMs: 2000 },
    );
    expect(await flags.variantFor('demo-chat', 'control', { targetingKey: 'u1' })).toEqual({
      variant: 'candidate',
      reason: 'STATIC',
    });
    expect(flags.ready()).toBe(true);

    writeFlags({ 'demo-chat': stringFlag() });
    await expectEventually(
      async () =>
        expect((await flags.variantFor('demo-chat', 'x', { targetingKey: 'u1' })).variant).toBe('control'),
      {
        timeoutMs: 2000,
      },
    );
  });

  it('targets on context attributes (tenant, route, numbers) before the percentage split', async () => {
    const path = writeFlags({
      'demo-chat': stringFlag({
        if: [
          { '==': [{ var: 'tenant' }, 'acme'] },
          'candidate',
          { '>=': [{ var: 'tier' }, 3] },
          'candidate',
          {
            fractional: [
              ['control', 100],
              ['candidate', 0],
            ],
          },
        ],
      }),
    });
    const flags = await open(path);

    expect(
      await flags.variantFor('demo-chat', 'control', {
        targetingKey: 'u1',
        tenant: 'acme',
        route: 'demo-chat',
      }),
    ).toEqual({
      variant: 'candidate',
      reason: 'TARGETING_MATCH',
    });
    expect(
      (await flags.variantFor('demo-chat', 'control', { targetingKey: 'u1', tenant: 'globex' })).variant,
    ).toBe('control');
    expect((await flags.variantFor('demo-chat', 'control', { targetingKey: 'u1', tier: 3 })).variant).toBe(
      'candidate',
    );
    expect((await flags.variantFor('demo-chat', 'control', { targetingKey: 'u1', tier: 2 })).variant).toBe(
      'control',
    );
  });

  it('answers the default variant with reason ERROR, never throwing, when the flag cannot be evaluated', async () => {
    const path = writeFlags({
      numeric: stringFlag(undefined, { control: 1, candidate: 2 }),
      'points-nowhere': stringFlag({ if: [true, 'no-such-variant'] }),
    });
    const flags = await open(path);
    const ctx = { targetingKey: 'u1' };

    expect(await flags.variantFor('no-such-flag', 'control', ctx)).toMatchObject({
      variant: 'control',
      reason: 'ERROR',
      errorCode: 'FLAG_NOT_FOUND',
    });
    expect(await flags.variantFor('numeric', 'control', ctx)).toMatchObject({
      variant: 'control',
      reason: 'ERROR',
      errorCode: 'TYPE_MISMATCH',
    });
    expect(await flags.variantFor('points-nowhere', 'control', ctx)).toMatchObject({
      variant: 'control',
      reason: 'ERROR',
      errorCode: 'GENERAL',
      errorMessage: expect.stringContaining('no-such-variant'),
    });
  });

  it('evaluates through the OpenFeature client when the application adds hooks or context: they apply', async () => {
    const flags = await open(
      writeFlags({ 'by-tier': stringFlag({ if: [{ '==': [{ var: 'tier' }, 'gold'] }, 'candidate'] }) }),
    );
    const ctx = { targetingKey: 'u1' };
    expect(await flags.variantFor('by-tier', 'control', ctx)).toEqual({
      variant: 'control',
      reason: 'DEFAULT',
    });

    const seen: string[] = [];
    const hook = {
      after: (_: unknown, details: { value: unknown }) => void seen.push(String(details.value)),
    };
    OpenFeature.addHooks(hook);
    OpenFeature.setContext({ tier: 'gold' });
    try {
      expect(await flags.variantFor('by-tier', 'control', ctx)).toEqual({
        variant: 'candidate',
        reason: 'TARGETING_MATCH',
      });
      expect(seen).toEqual(['candidate']);
    } finally {
      OpenFeature.clearHooks();
      OpenFeature.setContext({});
    }
    expect(await flags.variantFor('by-tier', 'control', ctx)).toEqual({
      variant: 'control',
      reason: 'DEFAULT',
    });
    expect(seen).toEqual(['candidate']);
  });

  it('serves the default once closed, and reports not ready', async () => {
    const flags = await open(writeFlags({ 'demo-chat': { ...stringFlag(), defaultVariant: 'candidate' } }));
    expect(flags.ready()).toBe(true);

    await flags.close();

    expect(flags.ready()).toBe(false);
    expect(await flags.variantFor('demo-chat', 'control', { targetingKey: 'u1' })).toMatchObject({
      variant: 'control',
      reason: 'ERROR',
      errorCode: 'PROVIDER_NOT_READY',
    });
  });

  it('keeps services in one process apart, even on the same file', async () => {
    const path = writeFlags({ 'demo-chat': stringFlag() });
    const other = writeFlags({ 'demo-chat': { ...stringFlag(), defaultVariant: 'candidate' } }, 'other.json');
    const gateway = await open(path);
    const feedback = await open(path);
    const curator = await open(other);
    const ctx = { targetingKey: 'u1' };

    expect((await gateway.variantFor('demo-chat', 'x', ctx)).variant).toBe('control');
    expect((await curator.variantFor('demo-chat', 'x', ctx)).variant).toBe('candidate');

    // closing one must not stop the other's reloads (flagd's close unwatches the path for everyone)
    await feedback.close();
    writeFlags({ 'demo-chat': { ...stringFlag(), defaultVariant: 'candidate' } });
    await expectEventually(
      async () => expect((await gateway.variantFor('demo-chat', 'x', ctx)).variant).toBe('candidate'),
      { timeoutMs: 2000 },
    );
    expect((await curator.variantFor('demo-chat', 'x', ctx)).variant).toBe('candidate');
  });

  it('refuses to start on a missing or unparseable file, naming it', async () => {
    const missing = join(dir, 'missing.json');
    await expect(FlagService.create({ flagsFile: missing, logger })).rejects.toThrow(
      `flags: cannot load ${missing}`,
    );

    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{ not json');
    await expect(FlagService.create({ flagsFile: broken, logger })).rejects.toThrow(
      `flags: cannot load ${broken}`,
    );
  });

  it('reads FLAGS_FILE when no file is given', async () => {
    const path = writeFlags({ only: stringFlag() });
    const saved = process.env.FLAGS_FILE;
    process.env.FLAGS_FILE = path;
    try {
      const flags = await FlagService.create({ logger });
      services.push(flags);
      expect(await flags.variantFor('only', 'x', { targetingKey: 'u' })).toEqual({
        variant: 'control',
        reason: 'STATIC',
      });
    } finally {
      if (saved === undefined) delete process.env.FLAGS_FILE;
      else process.env.FLAGS_FILE = saved;
    }
  });
});
