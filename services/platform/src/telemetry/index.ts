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
export { type GenAiCall, type GenAiResult, type GenAiSpan, startGenAiSpan } from './gen-ai';
export {
  activeTraceRef,
  type EvaluationResult,
  type FlagEvaluation,
  recordEvaluationResult,
  recordFlagEvaluation,
} from './decision-events';
export { type CounterCell, CounterCells, counterCells } from './counter-cells';
