export * from './service-host';
export * from './request-gate';
export { untilSignal } from './signals';
