import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Topics } from '@flywheel/contracts';
import { createTestPki, startKafka, type KafkaBroker, type TestPki } from '../../../infra/local';
import { busLocation, createEventBus } from '../src/bus/create-event-bus';
import { parseKafkaEnv } from '../src/bus/kafka-connection';
import type { EventBus, IncomingEvent } from '../src/bus/event-bus';
import { sampleFeedback } from '../src/testing/bus-contract';
import { expectEventually } from '../src/testing/expect-eventually';

/**
 * A second private broker whose client listener is SASL_SSL, as on MSK, Confluent Cloud or a
 * secured Strimzi cluster: TLS with a certificate from a CA generated here, mutual TLS (client
 * certificate required), and SCRAM credentials created when the storage is formatted. The bus
 * is configured only through the KAFKA_* variables. The suite's plaintext broker is untouched.
 */
describe('Kafka bus over SASL_SSL, configured through KAFKA_SSL* / KAFKA_SASL_*', () => {
  const USER = 'flywheel';
  const PASSWORD = randomBytes(18).toString('base64url');
  let dir: string;
  let pki: TestPki;
  let broker: KafkaBroker;
  let passwordFile: string;
  const buses: EventBus[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kafka-security-'));
    pki = await createTestPki(join(dir, 'pki'));
    passwordFile = join(dir, 'sasl-password');
    writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
    broker = await startKafka({
      saslSsl: {
        keystoreFile: pki.serverKeystoreFile,
        clientCaFile: pki.caFile,
        users: [{ username: USER, password: PASSWORD }],
      },
    });
  }, 240_000);
  afterAll(async () => {
    await Promise.all(buses.map((b) => b.close(1_000)));
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The variables a user sets for a SASL_SSL cluster with a private CA and mutual TLS. */
  function secureEnv(overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return {
      KAFKA_BROKERS: broker.saslSslBrokers,
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: pki.caFile,
      KAFKA_SSL_CERT_FILE: pki.clientCertFile,
      KAFKA_SSL_KEY_FILE: pki.clientKeyFile,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: USER,
      KAFKA_SASL_PASSWORD_FILE: passwordFile,
      ...overrides,
    };
  }

  async function busFrom(env: NodeJS.ProcessEnv, source: string): Promise<EventBus> {
    const bus = await createEventBus({
      source,
      ...busLocation({ kafka: parseKafkaEnv(env), spoolDir: mkdtempSync(join(dir, 'spool-')) }),
    });
    buses.push(bus);
    expect(bus.kind).toBe('kafka');
    return bus;
  }

  it.each(['scram-sha-512', 'scram-sha-256', 'plain'])(
    'round-trips an event (publish → consume) with SASL %s over mutual TLS',
    async (mechanism) => {
      const bus = await busFrom(secureEnv({ KAFKA_SASL_MECHANISM: mechanism }), `sasl-${mechanism}`);
      const id = `sasl-${mechanism}-${randomUUID()}`;
      const got: IncomingEvent[] = [];
      const sub = await bus.subscribe({
        group: `sasl-${randomUUID()}`,
        topics: [Topics.feedback],
        handler: async (e) => {
          if (e.key === id) got.push(e);
        },
      });
      try {
        const data = sampleFeedback(id);
        const receipt = await bus.publish({ type: 'dev.flywheel.feedback.v1', key: id, data });
        await bus.flush(60_000);
        const [event] = await expectEventually(
          () => {
            expect(got).toHaveLength(1);
            return got;
          },
          { timeoutMs: 60_000 },
        );
        expect(event).toMatchObject({ id: receipt.id, type: 'dev.flywheel.feedback.v1', key: id });
        expect(event!.data).toEqual(data);
        await expect(bus.ping()).resolves.toBeUndefined();
      } finally {
        await sub.stop();
      }
    },
    120_000,
  );

  it('a wrong password is a clear authentication error from ping (readiness) and subscribe, not a hang', async () => {
    const wrong = 'not-the-password-0000';
    const bus = await busFrom(
      secureEnv({ KAFKA_SASL_PASSWORD_FILE: undefined, KAFKA_SASL_PASSWORD: wrong }),
      'bad-pw',
    );
    const authError = /SASL SCRAM SHA512 authentication failed.*invalid credentials/i;
    const pinged = await bus.ping().then(
      () => null,
      (err: Error) => err,
    );
    expect(pinged?.message).toMatch(authError);
    expect(pinged?.message).not.toContain(wrong);
    await expect(
      bus.subscribe({
        group: `bad-pw-${randomUUID()}`,
        topics: [Topics.feedback],
        handler: async () => undefined,
      }),
    ).rejects.toThrow(authError);
  }, 60_000);

  it('refuses a broker whose certificate the client does not trust (no KAFKA_SSL_CA_FILE)', async () => {
    const bus = await busFrom(secureEnv({ KAFKA_SSL_CA_FILE: undefined }), 'untrusted');
    await expect(bus.ping()).rejects.toThrow(
      /self[- ]signed certificate|unable to get local issuer certificate/i,
    );
  }, 60_000);
});
