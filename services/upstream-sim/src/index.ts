export {
  createSimServer,
  LISTED_MODELS,
  RECEIVED_LIMIT,
  type ReceivedRequest,
  type SimServer,
  type SimServerOptions,
  type SimStats,
} from './sim-server';
export { parseBehaviour, type Behaviour, type Fault } from './behaviour';
export { instanceFor, invalidInstanceFor, type Json } from './schema-instance';
export { parseSimEnv, type SimEnv } from './env';
