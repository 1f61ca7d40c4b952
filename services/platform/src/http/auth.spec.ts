import { bearerToken, SecretSet } from './auth';

describe('SecretSet', () => {
  it('labels matches, the first equal secret winning', () => {
    const set = new SecretSet([
      { secret: 'same', label: 'admin' },
      { secret: 'same', label: 'client' },
      { secret: 'other', label: 'client' },
    ]);
    expect(set.match('same')).toBe('admin');
    expect(set.match('other')).toBe('client');
    expect(set.match('nope')).toBeNull();
    expect(set.match(undefined)).toBeNull();
  });

  it('compares secrets by their UTF-8 bytes, whatever their length', () => {
    const long = 'k'.repeat(10_000);
    const set = new SecretSet([
      { secret: 'clé-ünïcode-🔑', label: 'unicode' },
      { secret: long, label: 'long' },
    ]);
    expect(set.match('clé-ünïcode-🔑')).toBe('unicode');
    // same UTF-16 length, other bytes
    expect(set.match('cle-ünïcode-🔑')).toBeNull();
    expect(set.match('clé-ünïcode-🔒')).toBeNull();
    expect(set.match(long)).toBe('long');
    expect(set.match(`${long.slice(1)}K`)).toBeNull();
  });

  it('reads bearer tokens', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
