export { createRolloutsApp, type RolloutsApp, type RolloutsAppOptions, SERVICE } from './rollouts-app';
export { parseRolloutsEnv, type RolloutsEnv, RolloutsEnvSchema } from './env';
export { type GateRunner, GatewayGateRunner } from './gate/gate-runner';
