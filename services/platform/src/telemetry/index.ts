export {
  createLogger,
  getProcessLogger,
  NestPinoLogger,
  useProcessLogger,
  registerLogSecret,
  scrubSecrets,
  type LoggerOptions,
} from './logger';
// startTracing is imported from '@flywheel/platform/tracing' by entry points, before anything else
export { activeTraceId } from './trace-context';
