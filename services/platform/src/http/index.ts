export * from './domain-error';
export * from './auth';
export * from './zod-body.pipe';
export * from './http-error.filter';
export * from './openapi';
export * from './readiness';
export { OpsController, HTTP_KIT_OPTIONS, type HttpKitOptions } from './ops.controller';
export { HttpKitModule } from './http-kit.module';
export { createHttpApp, type HttpAppOptions } from './create-http-app';
