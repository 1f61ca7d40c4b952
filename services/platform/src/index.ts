export * from './clock';
export * from './bus';
export * from './kv';
export * from './sql';
export * from './http';
export * from './config';
export * from './flags';
export * from './tokens';
