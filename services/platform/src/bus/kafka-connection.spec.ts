import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../config/config-error';
import { scrubSecrets } from '../telemetry/logger';
import { kafkaClientConnection, parseKafkaEnv } from './kafka-connection';

const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';

let dir: string;
const file = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kafka-connection-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The ConfigError's problems as `VARIABLE: message` lines. */
function problems(env: NodeJS.ProcessEnv): string[] {
  try {
    parseKafkaEnv(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error('expected a ConfigError');
}

describe('parseKafkaEnv', () => {
  it('without KAFKA_BROKERS: the embedded bus', () => {
    expect(parseKafkaEnv({})).toBeUndefined();
    expect(parseKafkaEnv({ KAFKA_BROKERS: '', KAFKA_SSL: '' })).toBeUndefined();
    expect(parseKafkaEnv({ KAFKA_SSL: 'false', KAFKA_SASL_MECHANISM: '' })).toBeUndefined();
  });

  it('plaintext by default, brokers trimmed', () => {
    expect(parseKafkaEnv({ KAFKA_BROKERS: ' a:9092, b:9092 ,' })).toEqual({ brokers: ['a:9092', 'b:9092'] });
    expect(parseKafkaEnv({ KAFKA_BROKERS: 'a:9092', KAFKA_SSL: 'false' })).toEqual({ brokers: ['a:9092'] });
  });

  it('TLS with Node’s CAs, or with a CA file, client certificate and key read at boot', () => {
    expect(parseKafkaEnv({ KAFKA_BROKERS: 'a:9093', KAFKA_SSL: 'TRUE' })).toEqual({
      brokers: ['a:9093'],
      ssl: true,
    });
    const env = {
      KAFKA_BROKERS: 'a:9093',
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: file('ca.pem', CERT),
      KAFKA_SSL_CERT_FILE: file('client.pem', CERT),
      KAFKA_SSL_KEY_FILE: file('client.key', KEY),
      KAFKA_SSL_REJECT_UNAUTHORIZED: 'false',
    };
    expect(parseKafkaEnv(env)).toEqual({
      brokers: ['a:9093'],
      ssl: { ca: CERT, cert: CERT, key: KEY, rejectUnauthorized: false },
    });
  });

  it.each(['plain', 'SCRAM-SHA-256', 'scram-sha-512'])('SASL %s with a password from env', (mechanism) => {
    const connection = parseKafkaEnv({
      KAFKA_BROKERS: 'a:9096',
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: mechanism,
      KAFKA_SASL_USERNAME: 'flywheel',
      KAFKA_SASL_PASSWORD: 'p@ss word=1',
    });
    expect(connection).toEqual({
      brokers: ['a:9096'],
      ssl: true,
      sasl: { mechanism: mechanism.toLowerCase(), username: 'flywheel', password: 'p@ss word=1' },
    });
    expect(kafkaClientConnection(connection!)).toEqual(connection);
  });

  it('reads the password from a secret file, dropping one trailing newline, and never logs it', () => {
    const password = 'file-held-password-7f3a9c';
    const connection = parseKafkaEnv({
      KAFKA_BROKERS: 'a:9096',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'flywheel',
      KAFKA_SASL_PASSWORD_FILE: file('password', `${password}\n`),
    });
    expect(connection?.sasl?.password).toBe(password);
    expect(scrubSecrets(`connecting as flywheel:${password}`)).toBe('connecting as flywheel:[REDACTED]');
  });

  it('stops boot naming each variable of an invalid combination, never echoing a value', () => {
    const secret = 'do-not-echo-this-password';
    expect(problems({ KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'plain' })).toEqual([
      'KAFKA_BROKERS: required when KAFKA_SSL, KAFKA_SASL_MECHANISM are set',
    ]);
    expect(problems({ KAFKA_BROKERS: ' , ' })).toEqual([
      'KAFKA_BROKERS: lists no broker (expected host:port,…)',
    ]);
    expect(problems({ KAFKA_BROKERS: 'a:1', KAFKA_SSL: 'yes' })).toEqual([
      'KAFKA_SSL: must be true or false',
    ]);
    expect(problems({ KAFKA_BROKERS: 'a:1', KAFKA_SASL_MECHANISM: 'gssapi' })).toEqual([
      'KAFKA_SASL_MECHANISM: must be one of plain, scram-sha-256, scram-sha-512',
    ]);
    expect(problems({ KAFKA_BROKERS: 'a:1', KAFKA_SSL_CA_FILE: '/ca.pem' })).toEqual([
      'KAFKA_SSL_CA_FILE: only applies with KAFKA_SSL=true',
    ]);
    expect(
      problems({ KAFKA_BROKERS: 'a:1', KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: file('c.pem', CERT) }),
    ).toEqual([
      'KAFKA_SSL_KEY_FILE: a client certificate needs both KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE',
    ]);
    expect(
      problems({
        KAFKA_BROKERS: 'a:1',
        KAFKA_SSL: 'true',
        KAFKA_SSL_CA_FILE: join(dir, 'missing.pem'),
        KAFKA_SSL_CERT_FILE: file('not-a-cert.pem', 'hello'),
        KAFKA_SSL_KEY_FILE: file('enc.key', '-----BEGIN ENCRYPTED PRIVATE KEY-----\n'),
      }),
    ).toEqual([
      `KAFKA_SSL_CA_FILE: cannot read ${join(dir, 'missing.pem')} (ENOENT)`,
      'KAFKA_SSL_CERT_FILE: holds no PEM certificate',
      'KAFKA_SSL_KEY_FILE: must not be encrypted',
    ]);
    expect(problems({ KAFKA_BROKERS: 'a:1', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: secret })).toEqual(
      [
        'KAFKA_SASL_USERNAME: only applies with KAFKA_SASL_MECHANISM (plain, scram-sha-256, scram-sha-512)',
        'KAFKA_SASL_PASSWORD: only applies with KAFKA_SASL_MECHANISM (plain, scram-sha-256, scram-sha-512)',
      ],
    );
    expect(problems({ KAFKA_BROKERS: 'a:1', KAFKA_SASL_MECHANISM: 'plain' })).toEqual([
      'KAFKA_SASL_USERNAME: required with KAFKA_SASL_MECHANISM=plain',
      'KAFKA_SASL_PASSWORD: KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE is required with KAFKA_SASL_MECHANISM=plain',
    ]);
    const both = problems({
      KAFKA_BROKERS: 'a:1',
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD: secret,
      KAFKA_SASL_PASSWORD_FILE: file('pw', secret),
    });
    expect(both).toEqual([
      'KAFKA_SASL_PASSWORD_FILE: set KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE, not both',
    ]);
    expect(
      problems({
        KAFKA_BROKERS: 'a:1',
        KAFKA_SASL_MECHANISM: 'scram-sha-256',
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD_FILE: file('empty', '\n'),
      }),
    ).toEqual(['KAFKA_SASL_PASSWORD_FILE: the file is empty']);
    for (const lines of [both]) expect(lines.join('\n')).not.toContain(secret);
  });
});
