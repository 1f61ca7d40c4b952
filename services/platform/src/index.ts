export * from './clock';
export * from './bus';
