export * from './service-host';
export * from './request-gate';
export { untilSignal } from './signals';
export * from './http-limits';
export { TrustedProxiesEnv, type TrustedProxies } from './trusted-proxies';
export { OverloadGuard } from './overload-guard';
