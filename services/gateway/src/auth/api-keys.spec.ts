import { ApiKeys } from './api-keys';

describe('ApiKeys', () => {
  const keys = new ApiKeys(['k1', 'k2'], 'admin-token');

  it('knows the admin token and every key, nothing else', () => {
    expect(keys.roleOf('admin-token')).toBe('admin');
    expect(keys.roleOf('k1')).toBe('client');
    expect(keys.roleOf('k2')).toBe('client');
    for (const other of ['k', 'k12', 'K1', 'admin', '', undefined]) expect(keys.roleOf(other)).toBeNull();
  });

  it('works without an admin token, and a key equal to it still makes the caller admin', () => {
    expect(new ApiKeys(['k1'], undefined).roleOf('k1')).toBe('client');
    expect(new ApiKeys(['same'], 'same').roleOf('same')).toBe('admin');
    expect(new ApiKeys([], undefined).roleOf('anything')).toBeNull();
  });
});
