import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { requireExecutable } from './executables';
import { REPO_ROOT } from './paths';
import { freePort, freePorts } from './ports';
import { run, ServerProcess } from './processes';
import { managedServer, startOrCleanUp } from './server';
import { createTempDir } from './tempdirs';

export const KAFKA_VERSION = '3.9.1';
// a restart after SIGKILL on a loaded 2-core machine (load average ~25) took over 90 s to listen
const READY_TIMEOUT_MS = 180_000;
const JAVA_HINT = 'install a Java 17 runtime: `apt-get install -y openjdk-17-jre-headless`';
const MAVEN_HINT = 'install Maven (it fetches the Kafka jars from Maven Central): `apt-get install -y maven`';

export interface KafkaBroker {
  /** kafkajs `brokers` value: `127.0.0.1:<port>` (the plaintext listener). */
  readonly brokers: string;
  readonly port: number;
  /** `127.0.0.1:<port>` of the SASL_SSL listener, when started with `saslSsl`. */
  readonly saslSslBrokers: string | undefined;
  readonly dataDir: string;
  /** Broker pid while it runs. */
  readonly pid: number | undefined;
  /** (Re)starts the same broker: same ports, same data, not reformatted; resolves once it answers. */
  start(): Promise<void>;
  /** SIGKILL (a crash) and wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM, SIGKILL after 10 s; then removes the data dir if startKafka created it, unless keepData. */
  stop(opts?: { keepData?: boolean }): Promise<void>;
}

export interface KafkaOptions {
  /** Defaults to a fresh temp dir, removed by stop(). A given dir is kept, and reused if already formatted. */
  dataDir?: string;
  /** Client port; defaults to a free one. */
  port?: number;
  /** Run in its own session so it outlives this process (the CLI's `up`). */
  detached?: boolean;
  rootDir?: string;
  /** Also open a SASL_SSL listener (TLS + PLAIN / SCRAM-SHA-256 / SCRAM-SHA-512) on a free port. */
  saslSsl?: SaslSslListener;
}

/** A secured client listener, like MSK's, Confluent Cloud's or a Strimzi `tls` + `scram-sha-512` one. */
export interface SaslSslListener {
  /** PEM keystore: the broker's unencrypted PKCS#8 key, then its certificate chain (see createTestPki) */
  keystoreFile: string;
  /** PEM CA of client certificates: set to require mutual TLS on top of SASL */
  clientCaFile?: string;
  /**
   * Users accepted by every mechanism: PLAIN from the listener's JAAS config, SCRAM credentials
   * (both hashes) written into the metadata log at format time (`--add-scram`).
   * Names and passwords: letters, digits, `.`, `_`, `-`.
   */
  users: readonly { username: string; password: string }[];
}

/** Apache Kafka 3.9.1, KRaft combined broker+controller, single node on 127.0.0.1, formatted fresh. */
export async function startKafka(opts: KafkaOptions = {}): Promise<KafkaBroker> {
  const rootDir = opts.rootDir ?? REPO_ROOT;
  const java = await requireJava();
  const libs = await ensureKafkaJars(rootDir);
  const detached = opts.detached ?? false;
  const [port, controllerPort] = (opts.port ? [opts.port, await freePort()] : await freePorts(2)) as [
    number,
    number,
  ];
  const saslSsl = opts.saslSsl && { ...opts.saslSsl, port: await freePort() };
  for (const u of saslSsl?.users ?? []) {
    if (!/^[\w.-]+$/.test(u.username) || !/^[\w.-]+$/.test(u.password))
      throw new Error(`SASL user ${JSON.stringify(u.username)}: use letters, digits, '.', '_', '-' only`);
  }
  const dataDir = opts.dataDir ?? createTempDir('kafka', detached);
  fs.mkdirSync(dataDir, { recursive: true });
  const brokers = `127.0.0.1:${port}`;
  const jvm = (...flags: string[]) => [
    ...flags,
    '-Djava.awt.headless=true',
    `-Dlog4j.configuration=file:${path.join(rootDir, 'infra', 'kafka', 'log4j.properties')}`,
    `-Dkafka.logs.dir=${dataDir}`,
    ...['-cp', `${libs}/*`],
  ];
  const brokerJvm = jvm(
    '-Xmx512m',
    '-Xms64m',
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:+ExitOnOutOfMemoryError',
  );
  // The storage tool runs for a second: start it as cheaply as the JVM allows.
  const toolJvm = jvm('-Xmx256m', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC');
  const properties = path.join(dataDir, 'server.properties');
  const jvmOutput = path.join(dataDir, 'kafka.out'); // JVM errors only: the broker logs to server.log
  const server = managedServer({
    name: `Kafka ${KAFKA_VERSION} on ${brokers}`,
    url: brokers,
    dataDir,
    ownsDataDir: !opts.dataDir,
    daemon: new ServerProcess({
      command: java,
      args: [...brokerJvm, 'kafka.Kafka', properties],
      logFile: jvmOutput,
      detached,
      stopSignal: 'SIGTERM',
    }),
    logFiles: [path.join(dataDir, 'server.log'), jvmOutput],
    readyTimeoutMs: READY_TIMEOUT_MS,
    probe: () => describeCluster(brokers),
    probeIntervalMs: 200,
  });
  try {
    fs.writeFileSync(
      properties,
      serverProperties({ port, controllerPort, logDir: path.join(dataDir, 'data'), saslSsl }),
    );
    // A given dir that is already formatted is reused as it is (--ignore-formatted).
    const format = [
      'kafka.tools.StorageTool',
      'format',
      '--cluster-id',
      randomClusterId(),
      '--config',
      properties,
      ...(saslSsl?.users ?? []).flatMap((u) =>
        SCRAM_MECHANISMS.flatMap((m) => ['--add-scram', `${m}=[name=${u.username},password=${u.password}]`]),
      ),
    ];
    const { code, output } = await run(java, [...toolJvm, ...format, '--ignore-formatted']);
    if (code !== 0) {
      const hint = /NoClassDefFound|ClassNotFound/.test(output) ? ` (incomplete jars? remove ${libs})` : '';
      throw new Error(`kafka storage format failed (exit ${code})${hint}:\n${output}`);
    }
  } catch (err) {
    await server.stop();
    throw err;
  }
  await startOrCleanUp(server);
  return {
    brokers,
    port,
    saslSslBrokers: saslSsl && `127.0.0.1:${saslSsl.port}`,
    dataDir,
    get pid() {
      return server.pid;
    },
    start: () => server.start(),
    kill: () => server.kill(),
    stop: (stopOpts) => server.stop(stopOpts),
  };
}

const SCRAM_MECHANISMS = ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;

function serverProperties(s: {
  port: number;
  controllerPort: number;
  logDir: string;
  saslSsl?: SaslSslListener & { port: number };
}): string {
  const props: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    // Static quorum: one voter, this node. Formatting needs no --standalone then.
    'controller.quorum.voters': `1@127.0.0.1:${s.controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${s.port},CONTROLLER://127.0.0.1:${s.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${s.port}`,
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'log.dirs': s.logDir,
    'num.partitions': 6,
    'default.replication.factor': 1,
    'min.insync.replicas': 1,
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 6,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': 6,
    'group.initial.rebalance.delay.ms': 0,
    'auto.create.topics.enable': false,
    // After a SIGKILL the restarted node must wait for its previous incarnation's session to expire
    // (DUPLICATE_BROKER_REGISTRATION until then): 9 s by default, so shorten it for fast restarts.
    'broker.session.timeout.ms': 3000,
    'broker.heartbeat.interval.ms': 500,
    ...(s.saslSsl && saslSslProperties(s.saslSsl, s)),
  };
  return Object.entries(props)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')
    .concat('\n');
}

/**
 * A SASL_SSL client listener beside the plaintext one (which stays the inter-broker listener and
 * what the readiness probe uses). Every `listener.name.sasl_ssl.` setting applies to it alone.
 */
function saslSslProperties(
  l: SaslSslListener & { port: number },
  s: { port: number; controllerPort: number },
): Record<string, string> {
  const prefix = 'listener.name.sasl_ssl.';
  const scramLogin = 'org.apache.kafka.common.security.scram.ScramLoginModule required;';
  const plainUsers = l.users.map((u) => ` user_${u.username}="${u.password}"`).join('');
  const mechanisms = ['PLAIN', ...SCRAM_MECHANISMS].join(',');
  return {
    listeners: `PLAINTEXT://127.0.0.1:${s.port},SASL_SSL://127.0.0.1:${l.port},CONTROLLER://127.0.0.1:${s.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${s.port},SASL_SSL://127.0.0.1:${l.port}`,
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT',
    'sasl.enabled.mechanisms': mechanisms,
    [`${prefix}sasl.enabled.mechanisms`]: mechanisms,
    [`${prefix}plain.sasl.jaas.config`]: `org.apache.kafka.common.security.plain.PlainLoginModule required${plainUsers};`,
    ...Object.fromEntries(
      SCRAM_MECHANISMS.map((m) => [`${prefix}${m.toLowerCase()}.sasl.jaas.config`, scramLogin]),
    ),
    [`${prefix}ssl.keystore.type`]: 'PEM',
    [`${prefix}ssl.keystore.location`]: l.keystoreFile,
    ...(l.clientCaFile
      ? {
          [`${prefix}ssl.client.auth`]: 'required',
          [`${prefix}ssl.truststore.type`]: 'PEM',
          [`${prefix}ssl.truststore.location`]: l.clientCaFile,
        }
      : {}),
  };
}

/** Kafka's Uuid text form: 16 random bytes, base64url, never starting with '-'. */
function randomClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

async function describeCluster(brokers: string): Promise<boolean> {
  const admin = new Kafka({
    clientId: 'flywheel-infra-probe',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 3000,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

async function requireJava(): Promise<string> {
  const java = requireExecutable('java', JAVA_HINT);
  const { output } = await run(java, ['-version']);
  const match = /version "(\d+)(?:\.(\d+))?/.exec(output);
  const major = match ? Number(match[1] === '1' ? match[2] : match[1]) : 0;
  if (major < 11)
    throw new Error(
      `Kafka ${KAFKA_VERSION} needs Java 11+, \`java -version\` says:\n${output}\n${JAVA_HINT}`,
    );
  return java;
}

/**
 * `<root>/.cache/kafka/libs` with the broker's runtime jars, fetched by Maven on first use.
 * `flock` keeps two processes (parallel Jest runs, the CLI) from running mvn at once.
 */
export async function ensureKafkaJars(rootDir = REPO_ROOT): Promise<string> {
  const libs = path.join(rootDir, '.cache', 'kafka', 'libs');
  const marker = path.join(libs, `kafka_2.13-${KAFKA_VERSION}.jar`);
  if (fs.existsSync(marker)) return libs;
  const mvn = requireExecutable('mvn', `the Kafka jars are not in ${libs} yet; ${MAVEN_HINT}`);
  const flock = requireExecutable('flock', 'install util-linux: `apt-get install -y util-linux`');
  fs.mkdirSync(path.dirname(libs), { recursive: true });
  const pom = path.join(rootDir, 'infra', 'kafka', 'pom.xml');
  const lock = path.join(rootDir, '.cache', 'kafka', 'mvn.lock');
  const { code, output } = await run(flock, [lock, mvn, '-q', '-B', '-f', pom, 'package'], { cwd: rootDir });
  if (code !== 0 || !fs.existsSync(marker)) {
    throw new Error(
      `\`mvn -f ${pom} package\` failed (exit ${code}) fetching the Kafka ${KAFKA_VERSION} jars into ${libs}; ` +
        `it needs Maven Central and ${MAVEN_HINT}:\n${output.trimEnd().split('\n').slice(-30).join('\n')}`,
    );
  }
  return libs;
}
