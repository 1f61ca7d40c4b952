export { createRolloutsApp, type RolloutsApp, type RolloutsAppOptions, SERVICE } from './rollouts-app';
export { parseRolloutsEnv, type RolloutsEnv, RolloutsEnvSchema } from './env';
