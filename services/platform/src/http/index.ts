export * from './domain-error';
export * from './auth';
export * from './zod-body.pipe';
export * from './http-error.filter';
export * from './openapi';
export * from './readiness';
export { OpsController, OPS_OPTIONS, type OpsOptions } from './ops.controller';
