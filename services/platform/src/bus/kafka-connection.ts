import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import { z } from 'zod';
import { ConfigError, type ConfigProblem } from '../config/config-error';
import { parseEnv } from '../config/env';
import { registerLogSecret } from '../telemetry/logger';

/** `KAFKA_SASL_MECHANISM` values, as kafkajs names them. */
export const KAFKA_SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type KafkaSaslMechanism = (typeof KAFKA_SASL_MECHANISMS)[number];

const bool = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false'], { error: 'must be true or false' }))
  .transform((v) => v === 'true');

/**
 * The Kafka connection variables, shared by every service's env schema (spread its `shape`).
 * Files are read by {@link kafkaConnectionFromEnv}, not here.
 */
export const KafkaEnvSchema = z.object({
  /** comma-separated host:port list; unset → the embedded bus */
  KAFKA_BROKERS: z.string().optional(),
  /** TLS to the brokers (MSK, Confluent Cloud, Strimzi `tls` listeners); default false */
  KAFKA_SSL: bool.optional(),
  /** PEM CA bundle that signed the brokers' certificates; default: Node's public CAs */
  KAFKA_SSL_CA_FILE: z.string().optional(),
  /** PEM client certificate (mutual TLS), with KAFKA_SSL_KEY_FILE */
  KAFKA_SSL_CERT_FILE: z.string().optional(),
  /** PEM private key of KAFKA_SSL_CERT_FILE (unencrypted) */
  KAFKA_SSL_KEY_FILE: z.string().optional(),
  /** false skips verifying the brokers' certificates (never in production); default true */
  KAFKA_SSL_REJECT_UNAUTHORIZED: bool.optional(),
  KAFKA_SASL_MECHANISM: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(KAFKA_SASL_MECHANISMS, { error: `must be one of ${KAFKA_SASL_MECHANISMS.join(', ')}` }))
    .optional(),
  KAFKA_SASL_USERNAME: z.string().optional(),
  KAFKA_SASL_PASSWORD: z.string().optional(),
  /** a file holding the password (a mounted Secret); one trailing newline is ignored */
  KAFKA_SASL_PASSWORD_FILE: z.string().optional(),
});
export type KafkaEnv = z.infer<typeof KafkaEnvSchema>;
export type KafkaEnvVariable = keyof KafkaEnv;

/** Typed Kafka connection settings: where the brokers are and how to reach them. */
export interface KafkaConnection {
  brokers: string[];
  /** TLS options (CA, client certificate) or `true` for Node's defaults; absent → plaintext */
  ssl?: true | Pick<ConnectionOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized'>;
  sasl?: { mechanism: KafkaSaslMechanism; username: string; password: string };
}

/** The part of a kafkajs client's config that says where and how to connect. */
export function kafkaClientConnection(
  connection: KafkaConnection,
): Pick<KafkaConfig, 'brokers' | 'ssl' | 'sasl'> {
  const { brokers, ssl, sasl } = connection;
  return {
    brokers,
    ...(ssl ? { ssl } : {}),
    // kafkajs types SASLOptions as a union keyed by mechanism; ours is one of its members
    ...(sasl ? { sasl: sasl as SASLOptions } : {}),
  };
}

/** `"a:9092, b:9092,"` → `['a:9092', 'b:9092']`. */
export function parseBrokerList(brokers: string): string[] {
  return brokers
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
}

/**
 * The Kafka connection of a parsed environment, or undefined without KAFKA_BROKERS (the
 * embedded bus). Reads the CA / certificate / key / password files now, so a missing file
 * stops boot. Every contradiction throws a ConfigError naming the variable, never its value.
 * The password is registered as a log secret: it never appears in a log line.
 */
export function kafkaConnectionFromEnv(e: KafkaEnv): KafkaConnection | undefined {
  const problems: ConfigProblem[] = [];
  const problem = (path: KafkaEnvVariable, message: string) => problems.push({ path, message });
  const read = (path: KafkaEnvVariable, file: string | undefined): string | undefined => {
    if (file === undefined) return undefined;
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      problem(path, `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`);
      return undefined;
    }
  };

  const brokers = parseBrokerList(e.KAFKA_BROKERS ?? '');
  const securityVars = (Object.keys(KafkaEnvSchema.shape) as KafkaEnvVariable[]).filter(
    // KAFKA_SSL=false is the default, written out (docker-compose.yml does): not a setting to miss
    (k) => k !== 'KAFKA_BROKERS' && e[k] !== undefined && !(k === 'KAFKA_SSL' && e[k] === false),
  );
  if (brokers.length === 0) {
    if (e.KAFKA_BROKERS !== undefined) problem('KAFKA_BROKERS', 'lists no broker (expected host:port,…)');
    else if (securityVars.length > 0)
      problem(
        'KAFKA_BROKERS',
        `required when ${securityVars.join(', ')} ${securityVars.length > 1 ? 'are' : 'is'} set`,
      );
    if (problems.length > 0) throw new ConfigError('environment', problems);
    return undefined;
  }

  let ssl: KafkaConnection['ssl'];
  const tlsVars = (
    [
      'KAFKA_SSL_CA_FILE',
      'KAFKA_SSL_CERT_FILE',
      'KAFKA_SSL_KEY_FILE',
      'KAFKA_SSL_REJECT_UNAUTHORIZED',
    ] as const
  ).filter((k) => e[k] !== undefined);
  if (e.KAFKA_SSL !== true) {
    for (const k of tlsVars) problem(k, 'only applies with KAFKA_SSL=true');
  } else {
    if ((e.KAFKA_SSL_CERT_FILE === undefined) !== (e.KAFKA_SSL_KEY_FILE === undefined)) {
      const missing = e.KAFKA_SSL_CERT_FILE === undefined ? 'KAFKA_SSL_CERT_FILE' : 'KAFKA_SSL_KEY_FILE';
      problem(missing, 'a client certificate needs both KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE');
    }
    const ca = read('KAFKA_SSL_CA_FILE', e.KAFKA_SSL_CA_FILE);
    const cert = read('KAFKA_SSL_CERT_FILE', e.KAFKA_SSL_CERT_FILE);
    const key = read('KAFKA_SSL_KEY_FILE', e.KAFKA_SSL_KEY_FILE);
    if (ca !== undefined && !ca.includes('-----BEGIN CERTIFICATE-----'))
      problem('KAFKA_SSL_CA_FILE', 'holds no PEM certificate');
    if (cert !== undefined && !cert.includes('-----BEGIN CERTIFICATE-----'))
      problem('KAFKA_SSL_CERT_FILE', 'holds no PEM certificate');
    if (key !== undefined && !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key))
      problem('KAFKA_SSL_KEY_FILE', 'holds no PEM private key');
    if (key !== undefined && key.includes('ENCRYPTED'))
      problem('KAFKA_SSL_KEY_FILE', 'must not be encrypted');
    const options = {
      ...(ca !== undefined ? { ca } : {}),
      ...(cert !== undefined ? { cert } : {}),
      ...(key !== undefined ? { key } : {}),
      ...(e.KAFKA_SSL_REJECT_UNAUTHORIZED !== undefined
        ? { rejectUnauthorized: e.KAFKA_SSL_REJECT_UNAUTHORIZED }
        : {}),
    };
    ssl = Object.keys(options).length > 0 ? options : true;
  }

  let sasl: KafkaConnection['sasl'];
  const saslVars = (
    ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD', 'KAFKA_SASL_PASSWORD_FILE'] as const
  ).filter((k) => e[k] !== undefined);
  if (e.KAFKA_SASL_MECHANISM === undefined) {
    for (const k of saslVars)
      problem(k, `only applies with KAFKA_SASL_MECHANISM (${KAFKA_SASL_MECHANISMS.join(', ')})`);
  } else {
    if (e.KAFKA_SASL_USERNAME === undefined)
      problem('KAFKA_SASL_USERNAME', `required with KAFKA_SASL_MECHANISM=${e.KAFKA_SASL_MECHANISM}`);
    let password = e.KAFKA_SASL_PASSWORD;
    if (password !== undefined && e.KAFKA_SASL_PASSWORD_FILE !== undefined) {
      problem('KAFKA_SASL_PASSWORD_FILE', 'set KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE, not both');
    } else if (e.KAFKA_SASL_PASSWORD_FILE !== undefined) {
      password = read('KAFKA_SASL_PASSWORD_FILE', e.KAFKA_SASL_PASSWORD_FILE)?.replace(/\r?\n$/, '');
      if (password === '') problem('KAFKA_SASL_PASSWORD_FILE', 'the file is empty');
    } else if (password === undefined) {
      problem(
        'KAFKA_SASL_PASSWORD',
        `KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE is required with KAFKA_SASL_MECHANISM=${e.KAFKA_SASL_MECHANISM}`,
      );
    }
    if (password) registerLogSecret(password);
    if (e.KAFKA_SASL_USERNAME !== undefined && password)
      sasl = { mechanism: e.KAFKA_SASL_MECHANISM, username: e.KAFKA_SASL_USERNAME, password };
  }

  if (problems.length > 0) throw new ConfigError('environment', problems);
  return { brokers, ...(ssl ? { ssl } : {}), ...(sasl ? { sasl } : {}) };
}

/** {@link kafkaConnectionFromEnv} of raw variables (e.g. `process.env`), validated by {@link KafkaEnvSchema}. */
export function parseKafkaEnv(env: NodeJS.ProcessEnv = process.env): KafkaConnection | undefined {
  return kafkaConnectionFromEnv(parseEnv(KafkaEnvSchema, env));
}
