export * from './config.schema';
export * from './rollouts-config';
export { ConfigError, formatProblem, type ConfigProblem } from './config-error';
export { formatZodIssues, formatYamlPath } from './format-issues';
export { loadConfig, parseConfig, DEFAULT_CONFIG_PATH } from './load-config';
export { createJsonSchemaValidator, JSON_SCHEMA_DIALECT } from './json-schema';
export { parseEnv, commaList } from './env';
