import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '@flywheel/platform';
import { parse as parseYaml } from 'yaml';
import {
  helmBatch,
  lintCommand,
  lintResult,
  type LintResult,
  type Manifest,
  type RenderResult,
  renderResult,
  templateCommand,
} from '../../../test-support/helm';

/**
 * The Helm chart, linted and rendered by Helm's own Go library (helm-java), with assertions on
 * the manifests a cluster would receive.
 */
const CHART = path.resolve(__dirname, '../../../helm/flywheel');
const SERVICES = ['gateway', 'feedback', 'curator', 'rollouts'] as const;

interface Container {
  name: string;
  image: string;
  env: {
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } };
  }[];
  ports: { name: string; containerPort: number }[];
  securityContext: Record<string, unknown>;
  livenessProbe?: { httpGet?: { path: string; port: string } };
  readinessProbe?: { httpGet?: { path: string; port: string } };
  startupProbe?: { httpGet?: { path: string; port: string } };
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface PodSpec {
  securityContext: Record<string, unknown>;
  terminationGracePeriodSeconds: number;
  automountServiceAccountToken: boolean;
  containers: Container[];
  volumes: { name: string; configMap?: { name: string }; emptyDir?: Record<string, unknown> }[];
}
interface Deployment extends Manifest {
  spec: {
    replicas?: number;
    template: {
      metadata: { labels: Record<string, string>; annotations: Record<string, string> };
      spec: PodSpec;
    };
  };
}

function rendered(result: RenderResult): Manifest[] {
  if (!result.ok) throw new Error(`helm template failed: ${result.error}`);
  return result.manifests;
}

function find<T extends Manifest>(manifests: Manifest[], kind: string, name: string): T {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
  if (!found) {
    const have = manifests.map((m) => `${m.kind}/${m.metadata.name}`).join(', ');
    throw new Error(`no ${kind}/${name} rendered (have: ${have})`);
  }
  return found as T;
}

function container(manifests: Manifest[], service: string): { pod: PodSpec; c: Container } {
  const pod = find<Deployment>(manifests, 'Deployment', `flywheel-${service}`).spec.template.spec;
  expect(pod.containers).toHaveLength(1);
  return { pod, c: pod.containers[0]! };
}

function envOf(c: Container, name: string): Container['env'][number] | undefined {
  return c.env.find((e) => e.name === name);
}

/** Every render the tests look at, done in one batch (one JVM) up front. */
const RENDERS = {
  defaults: {},
  everything: {
    'ingress.enabled': 'true',
    'ingress.className': 'nginx',
    'ingress.gateway.host': 'llm.example.com',
    'ingress.feedback.host': 'feedback.example.com',
    'serviceMonitor.enabled': 'true',
    'serviceMonitor.labels.release': 'kube-prometheus-stack',
    'prometheusRule.enabled': 'true',
    'prometheusRule.labels.release': 'kube-prometheus-stack',
    'redis.existingSecret.name': 'flywheel-redis',
    'redis.existingSecret.key': 'url',
    'postgres.existingSecret.name': 'flywheel-db',
    'postgres.existingSecret.key': 'url',
    'kafka.brokers': 'my-cluster-kafka-bootstrap.kafka:9092',
    'image.registry': 'ghcr.io/acme/flywheel',
    'image.tag': '1.2.3',
  },
  configChanged: { 'config.files.extra\\.json': 'x' },
  flagsChanged: { 'config.flags': 'changed' },
  fixedReplicas: { 'gateway.autoscaling.enabled': 'false', 'gateway.replicas': '3' },
  secureKafka: {
    'kafka.brokers': 'my-cluster-kafka-bootstrap.kafka:9093',
    'kafka.tls.enabled': 'true',
    'kafka.tls.caSecret.name': 'my-cluster-cluster-ca-cert',
    'kafka.tls.clientSecret.name': 'flywheel-user',
    'kafka.tls.clientSecret.certKey': 'user.crt',
    'kafka.tls.clientSecret.keyKey': 'user.key',
    'kafka.sasl.mechanism': 'scram-sha-512',
    'kafka.sasl.username': 'flywheel',
    'kafka.sasl.passwordSecret.name': 'flywheel-user',
  },
} satisfies Record<string, Record<string, string>>;

/** Values the chart must reject (values.schema.json, or a template check), with Helm's message. */
const REJECTED: [Record<string, string>, RegExp][] = [
  [{ 'gateway.replicas': '-1' }, /gateway\/replicas.*minimum/s],
  [{ gatway: 'x' }, /additional properties 'gatway' not allowed/],
  [{ 'kafka.brokers': 'kafka' }, /kafka\/brokers.*does not match pattern/s],
  [{ 'image.pullPolicy': 'Sometimes' }, /image\/pullPolicy/],
  [{ 'kafka.sasl.mechanism': 'gssapi' }, /kafka\/sasl\/mechanism/],
  [{ 'kafka.sasl.mechanism': 'plain', 'kafka.sasl.username': 'u' }, /kafka\/sasl.*passwordSecret/s],
  [{ 'postgres.url': 'mysql://db/flywheel' }, /postgres\/url.*does not match pattern/s],
  [
    { 'curator.terminationGracePeriodSeconds': '12' },
    /curator.terminationGracePeriodSeconds must be at least/,
  ],
];

let lint: LintResult;
let renders: Record<keyof typeof RENDERS, Manifest[]>;
let rejections: RenderResult[];
let defaults: Manifest[];
let everything: Manifest[];

beforeAll(async () => {
  // helm-java's first run fetches ~32 MB from Maven Central into .cache/helm-java.
  const names = Object.keys(RENDERS) as (keyof typeof RENDERS)[];
  const outputs = await helmBatch([
    lintCommand(CHART),
    ...names.map((name) => templateCommand(CHART, RENDERS[name])),
    ...REJECTED.map(([set]) => templateCommand(CHART, set)),
  ]);
  lint = lintResult(outputs[0]!);
  renders = Object.fromEntries(
    names.map((name, i) => [name, rendered(renderResult(outputs[i + 1]!))]),
  ) as typeof renders;
  rejections = outputs.slice(1 + names.length).map(renderResult);
  ({ defaults, everything } = renders);
}, 240_000);

describe('helm lint', () => {
  it('passes in strict mode (warnings fail it)', () => {
    expect(lint.messages.filter((m) => !m.startsWith('[INFO]'))).toEqual([]);
    expect(lint.passed).toBe(true);
  });
});

describe('Deployments', () => {
  it.each(SERVICES)('%s runs non-root on a read-only root filesystem with no capabilities', (service) => {
    const { pod, c } = container(defaults, service);
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 1000,
      fsGroup: 1000,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(c.securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    // the only writable paths: the event spool (FLYWHEEL_DATA_DIR) and /tmp, both emptyDirs
    const writable = c.volumeMounts.filter((m) => !m.readOnly).map((m) => m.mountPath);
    expect(writable.sort()).toEqual(['/tmp', '/var/lib/flywheel']);
    for (const m of c.volumeMounts.filter((v) => !v.readOnly)) {
      expect(pod.volumes.find((v) => v.name === m.name)?.emptyDir).toBeDefined();
    }
    expect(envOf(c, 'FLYWHEEL_DATA_DIR')?.value).toBe('/var/lib/flywheel');
  });

  it.each([
    ['gateway', 8080],
    ['feedback', 8081],
    ['curator', 8082],
    ['rollouts', 8083],
  ] as const)('%s has probes on /healthz and /readyz of its port %d, and resources', (service, port) => {
    const { c } = container(defaults, service);
    expect(c.ports[0]).toEqual(expect.objectContaining({ name: 'http', containerPort: port }));
    expect(c.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.startupProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(c.resources?.requests).toEqual(
      expect.objectContaining({ cpu: expect.any(String), memory: expect.any(String) }),
    );
    expect(c.resources?.limits?.memory).toEqual(expect.any(String));
    const portEnv = {
      gateway: 'GATEWAY_PORT',
      feedback: 'FEEDBACK_PORT',
      curator: 'CURATOR_PORT',
      rollouts: 'ROLLOUTS_PORT',
    }[service];
    expect(envOf(c, portEnv)?.value).toBe(String(port));
  });

  it.each(SERVICES)(
    '%s drains: preStop sleep, then its own deadline ends before the kubelet kills it',
    (service) => {
      const { pod, c } = container(defaults, service);
      expect(c.lifecycle?.preStop?.exec?.command).toEqual(['sleep', '5']);
      const drainS = Number(envOf(c, 'FLYWHEEL_SHUTDOWN_TIMEOUT_MS')?.value) / 1000;
      // the gateway gives in-flight requests 10 s, then flushes the spool (up to 5 s)
      expect(drainS).toBeGreaterThanOrEqual(service === 'gateway' ? 15 : 10);
      expect(5 + drainS).toBeLessThan(pod.terminationGracePeriodSeconds);
    },
  );

  it('mounts flywheel.yaml from its ConfigMap into every service, and the flags into the gateway and the controller', () => {
    for (const service of SERVICES) {
      const { pod, c } = container(defaults, service);
      expect(envOf(c, 'FLYWHEEL_CONFIG')?.value).toBe('/etc/flywheel/config/flywheel.yaml');
      expect(c.volumeMounts).toContainEqual({
        name: 'config',
        mountPath: '/etc/flywheel/config',
        readOnly: true,
      });
      expect(pod.volumes).toContainEqual({ name: 'config', configMap: { name: 'flywheel-config' } });
      const flagsMounted = c.volumeMounts.some((m) => m.mountPath === '/etc/flywheel/flags');
      expect([service, flagsMounted]).toEqual([service, service === 'gateway' || service === 'rollouts']);
    }
    for (const service of ['gateway', 'rollouts']) {
      const { pod, c } = container(defaults, service);
      expect(envOf(c, 'FLAGS_FILE')?.value).toBe('/etc/flywheel/flags/flags.json');
      expect(pod.volumes).toContainEqual({ name: 'flags', configMap: { name: 'flywheel-flags' } });
    }
  });

  it("points every gateway at the rollout controller's flag sync port, served by its Service", () => {
    const rollouts = container(defaults, 'rollouts').c;
    expect(envOf(rollouts, 'ROLLOUTS_SYNC_PORT')?.value).toBe('8015');
    expect(rollouts.ports).toContainEqual(
      expect.objectContaining({ name: 'flag-sync', containerPort: 8015 }),
    );
    const svc = find(defaults, 'Service', 'flywheel-rollouts').spec as {
      ports: { name: string; port: number; targetPort: string }[];
    };
    expect(svc.ports).toContainEqual(
      expect.objectContaining({ name: 'flag-sync', port: 8015, targetPort: 'flag-sync' }),
    );
    expect(envOf(container(defaults, 'gateway').c, 'FLAGS_SYNC_ADDRESS')?.value).toBe(
      'flywheel-rollouts:8015',
    );
    expect(find<Deployment>(defaults, 'Deployment', 'flywheel-rollouts').spec.replicas).toBe(1);
  });

  it('wires the regression gate to the gateway and curator, and the console to the controller', () => {
    const rollouts = container(defaults, 'rollouts').c;
    expect(envOf(rollouts, 'FLYWHEEL_GATEWAY_URL')?.value).toBe('http://flywheel-gateway:8080');
    expect(envOf(rollouts, 'FLYWHEEL_CURATOR_URL')?.value).toBe('http://flywheel-curator:8082');
    expect(envOf(rollouts, 'GATEWAY_ADMIN_TOKEN')?.valueFrom?.secretKeyRef).toMatchObject({
      key: 'GATEWAY_ADMIN_TOKEN',
      optional: true,
    });
    expect(envOf(container(defaults, 'curator').c, 'CURATOR_ROLLOUTS_URL')?.value).toBe(
      'http://flywheel-rollouts:8083',
    );
  });

  it('takes every secret from the Secret, provider keys optional, and never inlines a secret', () => {
    const secretRef = (c: Container, name: string) => envOf(c, name)?.valueFrom?.secretKeyRef;
    const gateway = container(defaults, 'gateway').c;
    for (const name of ['FLYWHEEL_API_KEYS', 'FLYWHEEL_ADMIN_TOKEN', 'FLYWHEEL_FEEDBACK_SECRET']) {
      expect(secretRef(gateway, name)).toEqual({ name: 'flywheel', key: name });
    }
    // the gateway's own admin token is optional (it falls back to FLYWHEEL_ADMIN_TOKEN)
    for (const name of ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'GATEWAY_ADMIN_TOKEN']) {
      expect(secretRef(gateway, name)).toEqual({ name: 'flywheel', key: name, optional: true });
    }
    expect(secretRef(container(defaults, 'feedback').c, 'FLYWHEEL_FEEDBACK_SECRET')).toEqual({
      name: 'flywheel',
      key: 'FLYWHEEL_FEEDBACK_SECRET',
    });
    for (const service of ['curator', 'rollouts']) {
      expect(secretRef(container(defaults, service).c, 'FLYWHEEL_ADMIN_TOKEN')).toEqual({
        name: 'flywheel',
        key: 'FLYWHEEL_ADMIN_TOKEN',
      });
    }
    expect(defaults.filter((m) => m.kind === 'Secret')).toEqual([]);
    for (const service of SERVICES) {
      for (const e of container(defaults, service).c.env) {
        if (/SECRET|TOKEN|API_KEY/.test(e.name)) expect([e.name, e.value]).toEqual([e.name, undefined]);
      }
    }
  });

  it('connects every service to the external Kafka, Redis and Postgres given in the values', () => {
    const feedback = container(everything, 'feedback').c;
    const curator = container(everything, 'curator').c;
    for (const service of SERVICES) {
      expect(envOf(container(everything, service).c, 'KAFKA_BROKERS')?.value).toBe(
        'my-cluster-kafka-bootstrap.kafka:9092',
      );
    }
    // the gateway too: idempotency keys and per-API-key limits shared by every replica
    for (const c of [feedback, container(everything, 'gateway').c]) {
      expect(envOf(c, 'REDIS_URL')?.valueFrom?.secretKeyRef).toEqual({ name: 'flywheel-redis', key: 'url' });
    }
    for (const c of [curator, container(everything, 'rollouts').c]) {
      expect(envOf(c, 'DATABASE_URL')?.valueFrom?.secretKeyRef).toEqual({ name: 'flywheel-db', key: 'url' });
    }
    expect(envOf(feedback, 'FEEDBACK_DEMO')?.value).toBe('off');
    expect(container(everything, 'gateway').c.image).toBe('ghcr.io/acme/flywheel/gateway:1.2.3');
    expect(container(defaults, 'gateway').c.image).toBe('flywheel/gateway:0.1.0');
  });

  it('connects to a TLS + SASL Kafka with the CA, client certificate and password mounted from Secrets', () => {
    for (const service of SERVICES) {
      const { pod, c } = container(renders.secureKafka, service);
      const env = Object.fromEntries(c.env.map((e) => [e.name, e.value]));
      expect(env).toMatchObject({
        KAFKA_BROKERS: 'my-cluster-kafka-bootstrap.kafka:9093',
        KAFKA_SSL: 'true',
        KAFKA_SSL_CA_FILE: '/etc/flywheel/kafka-tls/ca/ca.crt',
        KAFKA_SSL_CERT_FILE: '/etc/flywheel/kafka-tls/client/tls.crt',
        KAFKA_SSL_KEY_FILE: '/etc/flywheel/kafka-tls/client/tls.key',
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: 'flywheel',
        KAFKA_SASL_PASSWORD_FILE: '/etc/flywheel/kafka-sasl/password',
      });
      expect(c.env.map((e) => e.name)).not.toContain('KAFKA_SASL_PASSWORD');
      expect(c.env.map((e) => e.name)).not.toContain('KAFKA_SSL_REJECT_UNAUTHORIZED');
      const mounts = Object.fromEntries(c.volumeMounts.map((m) => [m.name, m]));
      expect(mounts['kafka-tls-ca']).toEqual({
        name: 'kafka-tls-ca',
        mountPath: '/etc/flywheel/kafka-tls/ca',
        readOnly: true,
      });
      expect(mounts['kafka-sasl']).toEqual({
        name: 'kafka-sasl',
        mountPath: '/etc/flywheel/kafka-sasl',
        readOnly: true,
      });
      const volumes = Object.fromEntries(pod.volumes.map((v) => [v.name, v as Record<string, unknown>]));
      const secretVolume = (name: string, secretName: string, items: Record<string, string>) => ({
        name,
        secret: {
          secretName,
          defaultMode: 0o440,
          items: Object.entries(items).map(([key, path]) => ({ key, path })),
        },
      });
      expect(volumes['kafka-tls-ca']).toEqual(
        secretVolume('kafka-tls-ca', 'my-cluster-cluster-ca-cert', { 'ca.crt': 'ca.crt' }),
      );
      expect(volumes['kafka-tls-client']).toEqual(
        secretVolume('kafka-tls-client', 'flywheel-user', { 'user.crt': 'tls.crt', 'user.key': 'tls.key' }),
      );
      expect(volumes['kafka-sasl']).toEqual(
        secretVolume('kafka-sasl', 'flywheel-user', { password: 'password' }),
      );
    }
    // Plaintext by default: no KAFKA_SSL / KAFKA_SASL_* variables, no extra volumes.
    const { pod, c } = container(defaults, 'gateway');
    expect(c.env.filter((e) => /^KAFKA_(SSL|SASL)/.test(e.name))).toEqual([]);
    expect(pod.volumes.filter((v) => v.name.startsWith('kafka-'))).toEqual([]);
  });

  it('rolls the pods when flywheel.yaml changes, but not when only the flags change', () => {
    const checksum = (manifests: Manifest[]) =>
      find<Deployment>(manifests, 'Deployment', 'flywheel-gateway').spec.template.metadata.annotations[
        'checksum/config'
      ];
    expect(checksum(renders.configChanged)).not.toBe(checksum(defaults));
    expect(checksum(renders.flagsChanged)).toBe(checksum(defaults));
    expect(find(renders.flagsChanged, 'ConfigMap', 'flywheel-flags').data).toEqual({
      'flags.json': 'changed\n',
    });
  });
});

describe('ConfigMaps', () => {
  it('ship a flywheel.yaml that Flywheel loads, and a flags file with a flag for every route', () => {
    const config = find(defaults, 'ConfigMap', 'flywheel-config').data as Record<string, string>;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flywheel-chart-'));
    try {
      const loaded = parseConfig(config['flywheel.yaml']!, path.join(dir, 'flywheel.yaml'));
      const flags = JSON.parse(
        (find(defaults, 'ConfigMap', 'flywheel-flags').data as Record<string, string>)['flags.json']!,
      ) as { flags: Record<string, { variants: Record<string, string> }> };
      expect(Object.keys(loaded.routes).length).toBeGreaterThan(0);
      for (const [name, route] of Object.entries(loaded.routes)) {
        const flag = flags.flags[route.flag];
        expect([name, flag && Object.values(flag.variants)]).toEqual([
          name,
          expect.arrayContaining([route.default_variant]),
        ]);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('autoscaling and disruption budgets', () => {
  it('has an HPA for the gateway and the feedback service only, and then leaves replicas to it', () => {
    const hpas = defaults.filter((m) => m.kind === 'HorizontalPodAutoscaler');
    expect(hpas.map((h) => h.metadata.name).sort()).toEqual(['flywheel-feedback', 'flywheel-gateway']);
    for (const hpa of hpas) {
      expect(hpa.apiVersion).toBe('autoscaling/v2');
      expect(hpa.spec).toMatchObject({
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: hpa.metadata.name },
        minReplicas: 2,
        metrics: [{ type: 'Resource', resource: { name: 'cpu' } }],
      });
      expect(find<Deployment>(defaults, 'Deployment', hpa.metadata.name).spec.replicas).toBeUndefined();
    }
    expect(find<Deployment>(defaults, 'Deployment', 'flywheel-curator').spec.replicas).toBe(1);
  });

  it('renders fixed replicas when autoscaling is off', () => {
    const manifests = renders.fixedReplicas;
    expect(manifests.filter((m) => m.kind === 'HorizontalPodAutoscaler').map((m) => m.metadata.name)).toEqual(
      ['flywheel-feedback'],
    );
    expect(find<Deployment>(manifests, 'Deployment', 'flywheel-gateway').spec.replicas).toBe(3);
  });

  it('has a PodDisruptionBudget per service selecting exactly its pods', () => {
    for (const service of SERVICES) {
      const pdb = find(defaults, 'PodDisruptionBudget', `flywheel-${service}`);
      expect(pdb.apiVersion).toBe('policy/v1');
      expect(pdb.spec).toEqual({
        maxUnavailable: 1,
        selector: {
          matchLabels: {
            'app.kubernetes.io/name': 'flywheel',
            'app.kubernetes.io/instance': 'flywheel',
            'app.kubernetes.io/component': service,
          },
        },
      });
      const labels = find<Deployment>(defaults, 'Deployment', `flywheel-${service}`).spec.template.metadata
        .labels;
      expect(labels).toMatchObject(
        (pdb.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels,
      );
    }
  });
});

describe('optional resources', () => {
  it('renders no Ingress, no ServiceMonitor and no PrometheusRule by default', () => {
    expect(defaults.map((m) => m.kind)).not.toContain('Ingress');
    expect(defaults.map((m) => m.kind)).not.toContain('ServiceMonitor');
    expect(defaults.map((m) => m.kind)).not.toContain('PrometheusRule');
  });

  it('ships the alert rules of infra/observability as a PrometheusRule when enabled', () => {
    const rule = find(everything, 'PrometheusRule', 'flywheel');
    expect(rule.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(rule.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack' });
    // the chart's copy is the file compose loads and promtool tests, group for group
    const source = parseYaml(
      fs.readFileSync(path.resolve(CHART, '../../infra/observability/alerts/flywheel.rules.yml'), 'utf8'),
    ) as { groups: { name: string; rules: { alert?: string }[] }[] };
    expect((rule.spec as { groups: unknown }).groups).toEqual(source.groups);
    const alerts = source.groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : [])));
    expect(alerts).toEqual(
      expect.arrayContaining([
        'FlywheelDislikeRateAboveBaseline',
        'FlywheelGatewayErrorRate',
        'FlywheelFallbackRate',
        'FlywheelLatencyP95High',
        'FlywheelBreakerOpen',
        'FlywheelSpoolBacklog',
        'FlywheelSpoolOldestEventAge',
        'FlywheelConsumerLag',
        'FlywheelParkedVotes',
      ]),
    );
  });

  it('routes only the public paths of the services given a host through the Ingress', () => {
    const ingress = find(everything, 'Ingress', 'flywheel');
    const spec = ingress.spec as {
      ingressClassName: string;
      rules: { host: string; http: { paths: { path: string; backend: { service: { name: string } } }[] } }[];
    };
    expect(spec.ingressClassName).toBe('nginx');
    const routes = spec.rules.flatMap((r) =>
      r.http.paths.map((p) => `${r.host}${p.path} -> ${p.backend.service.name}`),
    );
    expect(routes).toEqual([
      'llm.example.com/v1 -> flywheel-gateway',
      'feedback.example.com/v1/feedback -> flywheel-feedback',
      'feedback.example.com/widget.js -> flywheel-feedback',
    ]);
  });

  it('scrapes every service through one ServiceMonitor when enabled', () => {
    const monitor = find(everything, 'ServiceMonitor', 'flywheel');
    expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(monitor.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack' });
    const spec = monitor.spec as { selector: { matchLabels: Record<string, string> }; endpoints: unknown[] };
    expect(spec.endpoints).toEqual([expect.objectContaining({ port: 'http', path: '/metrics' })]);
    for (const service of SERVICES) {
      const svc = find(everything, 'Service', `flywheel-${service}`);
      expect(svc.metadata.labels).toMatchObject(spec.selector.matchLabels);
      expect((svc.spec as { ports: { name: string }[] }).ports.map((p) => p.name)).toEqual(
        service === 'rollouts' ? ['http', 'flag-sync'] : ['http'],
      );
    }
  });
});

describe('rejected values', () => {
  it.each(REJECTED.map(([set, message], i) => [set, message, i] as const))(
    'rejects %j',
    (_set, message, i) => {
      const result = rejections[i]!;
      expect(result.ok).toBe(false);
      expect(result.ok ? '' : result.error).toMatch(message);
    },
  );
});
