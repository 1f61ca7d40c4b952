export { createCuratorApp, FAULT_EXIT_CODE, type CuratorApp, type CuratorAppOptions } from './curator-app';
export { parseCuratorEnv, CuratorEnvSchema, DEFAULT_CONSOLE_DIR, type CuratorEnv } from './env';
export { CURATOR_MIGRATIONS } from './db/migrations';
export type { RetentionResult } from './jobs/retention.job';
export { toPromptfooYaml, type PromptfooTarget } from './eval-sets/export-formats';
