import { gatewayKeys } from './api-keys';

describe('gatewayKeys', () => {
  const keys = gatewayKeys(['k1', 'k2'], 'admin-token');

  it('knows the admin token and every key, nothing else', () => {
    expect(keys.match('admin-token')).toBe('admin');
    expect(keys.match('k1')).toBe('client');
    expect(keys.match('k2')).toBe('client');
    for (const other of ['k', 'k12', 'K1', 'admin', '', undefined]) expect(keys.match(other)).toBeNull();
  });

  it('works without an admin token, and a key equal to it still makes the caller admin', () => {
    expect(gatewayKeys(['k1'], undefined).match('k1')).toBe('client');
    expect(gatewayKeys(['same'], 'same').match('same')).toBe('admin');
    expect(gatewayKeys([], undefined).match('anything')).toBeNull();
  });
});
