export * from './expect-eventually';
export * from './bus-contract';
export * from './kv-contract';
export * from './sql-contract';
export * from './retained-heap';
