export { compileExtraPattern, DEFAULT_MAX_FIELD_CHARS, Redactor, type RedactorOptions } from './redactor';
export { PII_CORPUS, NON_PII_SAMPLES, type PiiSample } from './pii-corpus';
export { PLACEHOLDER } from './replace';
export { redactionMetrics } from './redaction.metrics';
