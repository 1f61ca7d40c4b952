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

  it('reads bearer tokens', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
