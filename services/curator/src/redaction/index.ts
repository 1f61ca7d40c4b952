export { Redactor } from './redactor';
export { PII_CORPUS } from './pii-corpus';
