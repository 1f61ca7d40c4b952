import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { WeakSecretError } from './feedback-secret';
import {
  mintFeedbackToken,
  mintTrustedFeedbackToken,
  verifyFeedbackToken,
  type FeedbackTokenClaims,
} from './feedback-token';
import { subjectHash } from './subject-hash';

const SECRET = 'test-secret-0123456789abcdefghijklmnop';
const OTHER_SECRET = 'another-secret-0123456789abcdefghijklm';
const NOW_MS = Date.UTC(2025, 0, 1);
const EXP = NOW_MS / 1000 + 3600;

const claims: FeedbackTokenClaims = {
  interaction_id: '0193b6f2-8a1e-7c3d-9f00-123456789abc',
  route: 'demo-chat',
  variant: 'candidate',
  sub: subjectHash('user-42', SECRET),
  exp: EXP,
};

function parts(token: string): [string, string] {
  const [payload, signature] = token.split('.');
  return [payload as string, signature as string];
}

function reencode(token: string, edit: (payload: Record<string, unknown>) => void): string {
  const [payload, signature] = parts(token);
  const json = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  edit(json);
  return `${Buffer.from(JSON.stringify(json)).toString('base64url')}.${signature}`;
}

describe('feedback tokens', () => {
  it('round-trips: a minted token verifies and yields its payload, with v: 1', () => {
    const token = mintFeedbackToken(claims, SECRET);

    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(verifyFeedbackToken(token, SECRET, NOW_MS)).toEqual({ ok: true, payload: { v: 1, ...claims } });
  });

  it('carries the trace of the answer when there is one, and refuses to mint a malformed one', () => {
    const trace = `${'ab'.repeat(16)}-${'cd'.repeat(8)}`;
    const token = mintFeedbackToken({ ...claims, trace }, SECRET);
    expect(verifyFeedbackToken(token, SECRET, NOW_MS)).toEqual({
      ok: true,
      payload: { v: 1, ...claims, trace },
    });
    expect(() => mintFeedbackToken({ ...claims, trace: 'ab-cd' }, SECRET)).toThrow();
    // a token without one (tracing off, or minted before the field existed) stays valid
    const plain = verifyFeedbackToken(mintFeedbackToken(claims, SECRET), SECRET, NOW_MS);
    expect(plain.ok && plain.payload.trace).toBe(undefined);
  });

  it('carries a null route (direct model calls)', () => {
    const token = mintFeedbackToken({ ...claims, route: null }, SECRET);

    expect(verifyFeedbackToken(token, SECRET, NOW_MS)).toMatchObject({ ok: true, payload: { route: null } });
  });

  it('rejects a payload changed after signing (another interaction, another variant)', () => {
    const token = mintFeedbackToken(claims, SECRET);

    expect(
      verifyFeedbackToken(
        reencode(token, (p) => (p.interaction_id = 'someone-elses')),
        SECRET,
        NOW_MS,
      ),
    ).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(
      verifyFeedbackToken(
        reencode(token, (p) => (p.exp = EXP + 10 ** 6)),
        SECRET,
        NOW_MS,
      ),
    ).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('rejects a tampered signature', () => {
    const [payload, signature] = parts(mintFeedbackToken(claims, SECRET));
    const flipped = Buffer.from(signature, 'base64url');
    flipped[0] = (flipped[0] as number) ^ 1;

    expect(verifyFeedbackToken(`${payload}.${flipped.toString('base64url')}`, SECRET, NOW_MS)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('rejects a token signed with another secret', () => {
    expect(verifyFeedbackToken(mintFeedbackToken(claims, OTHER_SECRET), SECRET, NOW_MS)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('expires at exp (unix seconds), by the clock passed in', () => {
    const token = mintFeedbackToken(claims, SECRET);

    expect(verifyFeedbackToken(token, SECRET, EXP * 1000 - 1).ok).toBe(true);
    expect(verifyFeedbackToken(token, SECRET, EXP * 1000)).toEqual({ ok: false, reason: 'expired' });
  });

  it('checks the signature before looking at the payload: a bad signature on junk is bad_signature', () => {
    const junk = Buffer.from('not json at all').toString('base64url');

    expect(verifyFeedbackToken(`${junk}.${'A'.repeat(43)}`, SECRET, NOW_MS)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('signs the payload JSON bytes with HMAC-SHA256 (docs/architecture.md "Still as designed"), and calls a signed payload of the wrong shape malformed', () => {
    const sign = (json: string) =>
      `${Buffer.from(json).toString('base64url')}.${createHmac('sha256', SECRET).update(json).digest('base64url')}`;

    expect(verifyFeedbackToken(sign(JSON.stringify({ v: 1, ...claims })), SECRET, NOW_MS).ok).toBe(true);
    expect(verifyFeedbackToken(sign('{"v":1,"interaction_id":"x"'), SECRET, NOW_MS)).toEqual({
      ok: false,
      reason: 'malformed',
    });
    expect(verifyFeedbackToken(sign(JSON.stringify({ ...claims, v: 2 })), SECRET, NOW_MS)).toEqual({
      ok: false,
      reason: 'malformed',
    });
    expect(
      verifyFeedbackToken(sign(JSON.stringify({ v: 1, ...claims, sub: 'raw-user-id' })), SECRET, NOW_MS),
    ).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });

  it('refuses non-canonical encodings of a valid token', () => {
    const token = mintFeedbackToken(claims, SECRET);
    const [payload, signature] = parts(token);

    expect(verifyFeedbackToken(`${payload}=.${signature}`, SECRET, NOW_MS)).toEqual({
      ok: false,
      reason: 'malformed',
    });
    expect(verifyFeedbackToken(`${payload}.${signature}.x`, SECRET, NOW_MS)).toEqual({
      ok: false,
      reason: 'malformed',
    });
    expect(verifyFeedbackToken(` ${token}`, SECRET, NOW_MS)).toEqual({ ok: false, reason: 'malformed' });
  });

  it.each([
    ['empty', ''],
    ['no dot', 'abc'],
    ['empty parts', '.'],
    ['short signature', 'eyJ2IjoxfQ.AAAA'],
    ['not base64url', 'e30.!!!!'],
    ['huge', `${'a'.repeat(100_000)}.${'A'.repeat(43)}`],
    ['a number', 42],
    ['null', null],
    ['an object', { token: 'x' }],
  ])('calls garbage malformed: %s', (_name, garbage) => {
    expect(verifyFeedbackToken(garbage, SECRET, NOW_MS)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('never throws and never accepts random strings, token-shaped or not (property)', () => {
    const base64url = fc.string({
      unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'),
      maxLength: 300,
    });
    const tokenShaped = fc.tuple(base64url, base64url).map(([p, s]) => `${p}.${s}`);
    const anything = fc.oneof(fc.string({ maxLength: 400, unit: 'binary' }), tokenShaped, fc.anything());
    fc.assert(
      fc.property(anything, (input) => verifyFeedbackToken(input, SECRET, NOW_MS).ok === false),
      { numRuns: 3000 },
    );
  });

  it('never accepts a valid token with any one character changed (property)', () => {
    const token = mintFeedbackToken(claims, SECRET);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=';
    fc.assert(
      fc.property(fc.nat({ max: token.length - 1 }), fc.constantFrom(...alphabet), (i, c) => {
        fc.pre(token[i] !== c);
        const mutated = token.slice(0, i) + c + token.slice(i + 1);
        return verifyFeedbackToken(mutated, SECRET, NOW_MS).ok === false;
      }),
      { numRuns: 2000 },
    );
  });

  it('mints only well-formed payloads', () => {
    expect(() => mintFeedbackToken({ ...claims, sub: 'user-42' }, SECRET)).toThrow();
    expect(() => mintFeedbackToken({ ...claims, exp: 1.5 }, SECRET)).toThrow();
  });

  it('mints, for claims built from trusted values, byte for byte the token the schema-checked mint gives (property)', () => {
    const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
    const name = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/);
    const built = fc.record(
      {
        interaction_id: fc.uuid(),
        route: fc.option(name, { nil: null }),
        variant: name,
        sub: hex(64),
        exp: fc.integer({ min: 1, max: 2 ** 40 }),
        trace: fc.tuple(hex(32), hex(16)).map(([t, s]) => `${t}-${s}`),
      },
      { requiredKeys: ['interaction_id', 'route', 'variant', 'sub', 'exp'] },
    );
    fc.assert(
      fc.property(built, (c: FeedbackTokenClaims) => {
        const token = mintTrustedFeedbackToken(c, SECRET);
        expect(token).toBe(mintFeedbackToken(c, SECRET));
        expect(verifyFeedbackToken(token, SECRET, 0)).toEqual({ ok: true, payload: { v: 1, ...c } });
      }),
      { numRuns: 500 },
    );
    // the secret is still checked
    expect(() => mintTrustedFeedbackToken(claims, 'short')).toThrow(WeakSecretError);
  });

  it('refuses secrets shorter than 32 bytes, with a message saying how to make one', () => {
    const token = mintFeedbackToken(claims, SECRET);

    expect(() => mintFeedbackToken(claims, 'short')).toThrow(WeakSecretError);
    expect(() => verifyFeedbackToken(token, 'x'.repeat(31), NOW_MS)).toThrow(
      /at least 32 bytes.*openssl rand/,
    );
    expect(() => subjectHash('user-42', '')).toThrow(WeakSecretError);
  });
});

describe('subjectHash', () => {
  it('is 64 lowercase hex chars, stable per key and secret', () => {
    const h = subjectHash('user-42', SECRET);

    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(subjectHash('user-42', SECRET)).toBe(h);
    expect(subjectHash('user-43', SECRET)).not.toBe(h);
    expect(subjectHash('user-42', OTHER_SECRET)).not.toBe(h);
  });

  it('is keyed: not the plain SHA-256 of the id', () => {
    expect(subjectHash('user-42', SECRET)).not.toBe(createHash('sha256').update('user-42').digest('hex'));
  });

  it('cannot be used as a token signature, even for a targeting key shaped like a payload', () => {
    // The client chooses its targeting key and sees `sub` in its own token. If the subject MAC
    // and the token MAC shared an input space, a key equal to a forged payload would yield its
    // signature.
    const forgedPayload = JSON.stringify({ v: 1, ...claims, interaction_id: 'victim' });
    const signature = Buffer.from(subjectHash(forgedPayload, SECRET), 'hex').toString('base64url');
    const forged = `${Buffer.from(forgedPayload).toString('base64url')}.${signature}`;

    expect(verifyFeedbackToken(forged, SECRET, NOW_MS)).toEqual({ ok: false, reason: 'bad_signature' });
  });
});
