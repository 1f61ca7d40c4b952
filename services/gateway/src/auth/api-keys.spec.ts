import { ApiKeyConfig, ConfigError } from '@flywheel/platform';
import { ADMIN_TOKEN_NAME, ENV_KEYS_NAME, gatewayKeys } from './api-keys';

const demo = ApiKeyConfig.parse({ key_env: 'DEMO_KEY', routes: ['demo-chat'], limits: { max_tokens: 64 } });
const ops = ApiKeyConfig.parse({ key_env: 'OPS_KEY', role: 'admin', routes: '*', models: '*' });

describe('gatewayKeys', () => {
  const env = { DEMO_KEY: 'demo-secret-0123456789', OPS_KEY: 'ops-secret-0123456789' };
  const keys = gatewayKeys({
    apiKeys: ['k1', 'k2'],
    adminToken: 'admin-token-0123456789',
    scoped: { demo, ops },
    env,
  });

  it('labels every secret with its key, and knows nothing else', () => {
    expect(keys.secrets.match('admin-token-0123456789')).toMatchObject({
      name: ADMIN_TOKEN_NAME,
      role: 'admin',
    });
    expect(keys.secrets.match('k1')).toMatchObject({
      name: ENV_KEYS_NAME,
      role: 'client',
      routes: '*',
      models: '*',
    });
    expect(keys.secrets.match('k2')?.name).toBe(ENV_KEYS_NAME);
    const d = keys.secrets.match(env.DEMO_KEY);
    expect(d).toMatchObject({ name: 'demo', role: 'client', allowSystem: false, limits: { max_tokens: 64 } });
    expect(d?.routes).toEqual(new Set(['demo-chat']));
    expect(d?.models).toEqual(new Set());
    expect(keys.secrets.match(env.OPS_KEY)).toMatchObject({ name: 'ops', role: 'admin', routes: '*' });
    for (const other of ['k', 'k12', 'K1', 'demo', 'DEMO_KEY', '', undefined])
      expect(keys.secrets.match(other)).toBeNull();
    expect(keys.count).toBe(5);
  });

  it('disables a scoped key whose variable is unset, and refuses a short secret naming its YAML path', () => {
    const none = gatewayKeys({ apiKeys: [], adminToken: undefined, scoped: { demo }, env: {} });
    expect(none).toMatchObject({ disabled: ['demo'], count: 0 });
    expect(() =>
      gatewayKeys({ apiKeys: [], adminToken: undefined, scoped: { demo }, env: { DEMO_KEY: 'short' } }),
    ).toThrow(ConfigError);
    expect(() =>
      gatewayKeys({ apiKeys: [], adminToken: undefined, scoped: { demo }, env: { DEMO_KEY: 'short' } }),
    ).toThrow(/api_keys\.demo\.key_env: DEMO_KEY must hold at least 16 characters/);
  });

  it('lets the admin token win over an equal key', () => {
    const same = gatewayKeys({
      apiKeys: ['same-secret-0123456789'],
      adminToken: 'same-secret-0123456789',
      scoped: {},
      env: {},
    });
    expect(same.secrets.match('same-secret-0123456789')?.role).toBe('admin');
  });
});
