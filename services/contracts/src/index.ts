export * from './common';
export * from './events';
export * from './catalog';
export * from './http';
export * from './json-schema';
export * from './gateway';
export * from './curator';
export * from './rollouts';
