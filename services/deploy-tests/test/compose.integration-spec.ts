import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SERVICES } from '@flywheel/cli/src/start';
import { loadConfig, topicSpecs } from '@flywheel/platform';
import { parse } from 'yaml';
import {
  dockerComposeConfig,
  dockerComposePath,
  dockerComposeVersion,
} from '../../../test-support/docker-compose';

/**
 * docker-compose.yml as Docker would run it: `docker-compose config` (Debian's docker-compose,
 * no Docker engine needed) validates the file and prints it resolved, and the tests assert on
 * that output, on the files it mounts and on the Dockerfile targets it builds.
 */
const ROOT = path.resolve(__dirname, '../../..');
const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');
const FLYWHEEL = ['gateway', 'feedback', 'curator', 'rollouts', 'simulator'] as const;
const PORTS = { gateway: 8080, feedback: 8081, curator: 8082, rollouts: 8083, simulator: 8090 };

const SECRETS = {
  FLYWHEEL_FEEDBACK_SECRET: 'compose-test-feedback-secret-0123456789abcdef',
  FLYWHEEL_ADMIN_TOKEN: 'compose-test-admin-token',
  FLYWHEEL_API_KEYS: 'compose-test-key-1,compose-test-key-2',
};

interface Service {
  image?: string;
  build?: { context: string; target?: string; dockerfile?: string };
  profiles?: string[];
  user?: string;
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
  tmpfs?: string[] | string;
  environment?: Record<string, string | number | null>;
  healthcheck?: { test: string[] | string };
  depends_on?: Record<string, { condition: string }> | string[];
  ports?: (string | { host_ip?: string; published: number | string; target: number })[];
  volumes?: (string | { type: string; source?: string; target: string; read_only?: boolean })[];
  command?: string[] | string;
}
interface Compose {
  services: Record<string, Service>;
}

let bin: string;
let tmp: string;
let envFile: string;

async function config(profiles: string[] = [], env: Record<string, string> = SECRETS) {
  const result = await dockerComposeConfig({ bin, file: COMPOSE_FILE, envFile, profiles, env });
  return { ...result, compose: result.code === 0 ? (parse(result.stdout) as Compose) : undefined };
}

function service(compose: Compose | undefined, name: string): Service {
  const s = compose?.services[name];
  if (!s) throw new Error(`service ${name} missing from docker-compose config`);
  return s;
}

/** Volumes as {source, target, readOnly}, from either Compose's short or long syntax. */
function volumes(s: Service): { source: string; target: string; readOnly: boolean }[] {
  return (s.volumes ?? []).map((v) => {
    if (typeof v !== 'string')
      return { source: v.source ?? '', target: v.target, readOnly: v.read_only === true };
    const [source = '', target = '', mode = 'rw'] = v.split(':');
    return { source, target, readOnly: mode.split(',').includes('ro') };
  });
}

/** Published ports as {hostIp, published, target}, from either syntax. */
function ports(s: Service): { hostIp: string; published: number; target: number }[] {
  return (s.ports ?? []).map((p) => {
    if (typeof p !== 'string')
      return { hostIp: p.host_ip ?? '', published: Number(p.published), target: p.target };
    const parts = p.replace(/\/tcp$/, '').split(':');
    const target = Number(parts.pop());
    const published = Number(parts.pop());
    return { hostIp: parts.join(':'), published, target };
  });
}

function dependsOn(s: Service): Record<string, string> {
  const deps = s.depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d) => [d, 'service_started']));
  return Object.fromEntries(Object.entries(deps).map(([name, d]) => [name, d.condition]));
}

function healthcheck(s: Service): string {
  const test = s.healthcheck?.test;
  return Array.isArray(test) ? test.join(' ') : (test ?? '');
}

let base: Compose;

beforeAll(async () => {
  bin = dockerComposePath(); // installs Debian's docker-compose once when missing (as root)
  await dockerComposeVersion(bin); // profiles need 1.28+
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flywheel-compose-'));
  envFile = path.join(tmp, 'empty.env'); // a developer's own .env must not change the result
  fs.writeFileSync(envFile, '');
  const result = await config();
  if (!result.compose)
    throw new Error(`docker-compose config failed (exit ${result.code}):\n${result.stderr}`);
  base = result.compose;
}, 300_000);

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('docker-compose config', () => {
  it('accepts the file, with every profile enabled too', async () => {
    const all = await config(['simulator', 'observability']);
    expect(all.stderr).not.toMatch(/error|invalid/i);
    expect(all.code).toBe(0);
    expect(Object.keys(all.compose!.services).sort()).toEqual(
      [
        'curator',
        'feedback',
        'gateway',
        'grafana',
        'kafka',
        'postgres',
        'prometheus',
        'redis',
        'rollouts',
        'simulator',
        'topic-init',
      ].sort(),
    );
  });

  it('puts the simulator and Prometheus + Grafana behind profiles, everything else always on', () => {
    const profiles = Object.fromEntries(
      Object.entries(base.services).map(([name, s]) => [name, (s.profiles ?? []).join(',')]),
    );
    expect(profiles).toEqual({
      kafka: '',
      'topic-init': '',
      redis: '',
      postgres: '',
      gateway: '',
      feedback: '',
      curator: '',
      rollouts: '',
      simulator: 'simulator',
      prometheus: 'observability',
      grafana: 'observability',
    });
  });

  it('refuses to run without the secrets, naming the missing variable', async () => {
    const { FLYWHEEL_API_KEYS, FLYWHEEL_ADMIN_TOKEN } = SECRETS;
    const result = await config([], { FLYWHEEL_API_KEYS, FLYWHEEL_ADMIN_TOKEN });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/FLYWHEEL_FEEDBACK_SECRET/);
  });

  it('runs Kafka 3.9.1 in KRaft mode from the official image, reachable by containers and the host', () => {
    const kafka = service(base, 'kafka');
    expect(kafka.image).toBe('apache/kafka:3.9.1');
    expect(kafka.environment).toMatchObject({
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_ADVERTISED_LISTENERS: 'INTERNAL://kafka:9092,EXTERNAL://localhost:9092',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
    });
    expect(ports(kafka)).toEqual([{ hostIp: '127.0.0.1', published: 9092, target: 9094 }]);
    // the Flywheel services too: with the demo on by default, a public gateway is an open LLM proxy
    for (const name of ['redis', 'postgres', 'gateway', 'feedback', 'curator', 'rollouts']) {
      for (const p of ports(service(base, name))) expect([name, p.hostIp]).toEqual([name, '127.0.0.1']);
    }
  });

  it("creates exactly infra/kafka/topics.json's topics, partitions and configs before any service starts", () => {
    const init = service(base, 'topic-init');
    expect(init.image).toBe('apache/kafka:3.9.1');
    expect(dependsOn(init)).toEqual({ kafka: 'service_healthy' });
    const script = [init.command ?? []].flat().join('\n');
    const created = [
      ...script.matchAll(/^topic --topic (\S+) --partitions (\d+)((?: --config \S+=\S+)+)$/gm),
    ].map(([, name, partitions, configs]) => ({
      name,
      partitions: Number(partitions),
      config: Object.fromEntries([...configs!.matchAll(/--config (\S+?)=(\S+)/g)].map(([, k, v]) => [k, v])),
    }));
    expect(created).toEqual(
      topicSpecs().map((t) => ({ name: t.name, partitions: t.partitions, config: t.config })),
    );
    expect(script).toMatch(/kafka-topics\.sh --bootstrap-server kafka:9092 --create --if-not-exists/);
  });

  it.each(FLYWHEEL)('builds %s from its Dockerfile target and runs it unprivileged and read-only', (name) => {
    const s = service(base, name);
    expect(s.build).toMatchObject({ context: ROOT, target: name });
    expect(s.user).toBe('1000:1000');
    expect(s.read_only).toBe(true);
    expect(s.cap_drop).toEqual(['ALL']);
    expect(s.security_opt).toEqual(['no-new-privileges:true']);
    expect([s.tmpfs].flat()).toEqual(['/tmp']);
    // writable: only its own named data volume at FLYWHEEL_DATA_DIR
    const writable = volumes(s).filter((v) => !v.readOnly);
    expect(writable).toEqual(
      name === 'simulator' ? [] : [{ source: `${name}-data`, target: '/var/lib/flywheel', readOnly: false }],
    );
  });

  it.each(FLYWHEEL)('health-checks %s on its own port', (name) => {
    const s = service(base, name);
    const route = name === 'simulator' ? 'healthz' : 'readyz';
    expect(healthcheck(s)).toContain(`http://127.0.0.1:${PORTS[name]}/${route}`);
    expect(String(s.environment?.[`${name === 'simulator' ? 'SIM' : name.toUpperCase()}_PORT`])).toBe(
      String(PORTS[name]),
    );
  });

  it('starts each service after what it needs, and only waits on services with a healthcheck', () => {
    expect(dependsOn(service(base, 'gateway'))).toEqual({
      redis: 'service_healthy',
      'topic-init': 'service_completed_successfully',
    });
    expect(dependsOn(service(base, 'feedback'))).toEqual({
      redis: 'service_healthy',
      'topic-init': 'service_completed_successfully',
    });
    expect(dependsOn(service(base, 'curator'))).toEqual({
      postgres: 'service_healthy',
      'topic-init': 'service_completed_successfully',
    });
    expect(dependsOn(service(base, 'rollouts'))).toEqual({
      postgres: 'service_healthy',
      'topic-init': 'service_completed_successfully',
    });
    expect(dependsOn(service(base, 'grafana'))).toEqual({ prometheus: 'service_healthy' });
    for (const s of Object.values(base.services)) {
      for (const [dep, condition] of Object.entries(dependsOn(s))) {
        if (condition === 'service_healthy')
          expect([dep, healthcheck(service(base, dep))]).not.toEqual([dep, '']);
      }
    }
  });

  it('wires the backends and shares each secret between exactly the services that need it', () => {
    const env = (name: string) => service(base, name).environment ?? {};
    for (const name of ['gateway', 'feedback', 'curator', 'rollouts']) {
      expect(env(name)).toMatchObject({
        KAFKA_BROKERS: 'kafka:9092',
        FLYWHEEL_DATA_DIR: '/var/lib/flywheel',
      });
    }
    expect(env('feedback').REDIS_URL).toBe('redis://redis:6379');
    // per-key limits are shared by every gateway replica through Redis
    expect(env('gateway').REDIS_URL).toBe('redis://redis:6379');
    // the demo page's key is the gateway's scoped api_keys.demo key, not one of FLYWHEEL_API_KEYS
    expect(env('gateway').FLYWHEEL_DEMO_API_KEY).toBe(env('feedback').FEEDBACK_DEMO_GATEWAY_KEY);
    expect(env('curator').DATABASE_URL).toBe('postgres://flywheel:flywheel@postgres:5432/flywheel');
    expect(env('rollouts').DATABASE_URL).toBe(env('curator').DATABASE_URL);
    expect(env('rollouts').FLYWHEEL_ADMIN_TOKEN).toBe(SECRETS.FLYWHEEL_ADMIN_TOKEN);
    expect(env('rollouts').FLYWHEEL_FEEDBACK_SECRET).toBeUndefined();
    // every gateway evaluates the controller's flags, with the same FLAGS_FILE mounted in both
    expect(env('gateway').FLAGS_SYNC_ADDRESS).toBe(`rollouts:${env('rollouts').ROLLOUTS_SYNC_PORT}`);
    expect(env('rollouts').FLAGS_FILE).toBe(env('gateway').FLAGS_FILE);
    // the regression gate reaches the gateway and the curator; the console reaches the controller
    expect(env('rollouts').FLYWHEEL_GATEWAY_URL).toBe(`http://gateway:${env('gateway').GATEWAY_PORT}`);
    expect(env('rollouts').FLYWHEEL_CURATOR_URL).toBe(`http://curator:${env('curator').CURATOR_PORT}`);
    expect(env('curator').CURATOR_ROLLOUTS_URL).toBe(`http://rollouts:${env('rollouts').ROLLOUTS_PORT}`);
    expect(env('curator').FLYWHEEL_ADMIN_TOKEN).toBe(env('rollouts').FLYWHEEL_ADMIN_TOKEN);
    expect(service(base, 'postgres').environment).toMatchObject({
      POSTGRES_USER: 'flywheel',
      POSTGRES_DB: 'flywheel',
    });
    expect(env('gateway')).toMatchObject(SECRETS);
    expect(env('feedback').FLYWHEEL_FEEDBACK_SECRET).toBe(SECRETS.FLYWHEEL_FEEDBACK_SECRET);
    expect(env('curator').FLYWHEEL_ADMIN_TOKEN).toBe(SECRETS.FLYWHEEL_ADMIN_TOKEN);
    expect(env('feedback').FLYWHEEL_ADMIN_TOKEN).toBeUndefined();
    expect(env('curator').FLYWHEEL_FEEDBACK_SECRET).toBeUndefined();
  });

  it('mounts a config that Flywheel loads and that routes to the simulator service', () => {
    const mounts = volumes(service(base, 'gateway'));
    const hostPath = (containerPath: string) => {
      const mount = mounts.find((m) => containerPath.startsWith(`${m.target}/`));
      if (!mount) throw new Error(`${containerPath} is not on a mounted volume`);
      expect(mount.readOnly).toBe(true);
      return path.join(mount.source, path.relative(mount.target, containerPath));
    };
    const env = service(base, 'gateway').environment ?? {};
    const config = loadConfig(hostPath(String(env.FLYWHEEL_CONFIG)));
    const flags = JSON.parse(fs.readFileSync(hostPath(String(env.FLAGS_FILE)), 'utf8')) as { flags: object };
    expect(Object.keys(flags.flags)).toEqual(
      expect.arrayContaining(Object.values(config.routes).map((r) => r.flag)),
    );
    const simulated = Object.values(config.providers).filter((p) => p.api_key_env === 'SIM_API_KEY');
    expect(simulated.length).toBeGreaterThan(0);
    for (const p of simulated) expect(new URL(p.base_url!).host).toBe(`simulator:${PORTS.simulator}`);
    expect(env.SIM_API_KEY).toBeTruthy();
  });

  it('lists every variable the file reads in .env.example', () => {
    const used = new Set(
      [...fs.readFileSync(COMPOSE_FILE, 'utf8').matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1]!),
    );
    const example = new Set(
      [...fs.readFileSync(path.join(ROOT, '.env.example'), 'utf8').matchAll(/^([A-Z0-9_]+)=/gm)].map(
        (m) => m[1]!,
      ),
    );
    expect([...used].filter((v) => !example.has(v))).toEqual([]);
    expect(used.size).toBeGreaterThan(3);
  });
});

describe('observability profile', () => {
  it("scrapes every service's /metrics at its compose name and port", () => {
    const prometheus = service(base, 'prometheus');
    const mount = volumes(prometheus).find((v) => v.target === '/etc/prometheus/prometheus.yml');
    const scrape = parse(fs.readFileSync(mount!.source, 'utf8')) as {
      scrape_configs: { job_name: string; metrics_path?: string; static_configs: { targets: string[] }[] }[];
    };
    const targets = Object.fromEntries(
      scrape.scrape_configs.map((c) => [c.job_name, c.static_configs.flatMap((s) => s.targets)]),
    );
    for (const name of ['gateway', 'feedback', 'curator', 'rollouts'] as const) {
      expect(targets[name]).toEqual([`${name}:${PORTS[name]}`]);
    }
  });

  it('provisions the Prometheus datasource and the dashboard from the mounted folders', () => {
    const grafana = service(base, 'grafana');
    const mounts = volumes(grafana);
    const provisioning = mounts.find((v) => v.target === '/etc/grafana/provisioning')!.source;
    const providers = parse(
      fs.readFileSync(path.join(provisioning, 'dashboards', 'flywheel.yaml'), 'utf8'),
    ) as {
      providers: { options: { path: string } }[];
    };
    const dashboards = mounts.find((v) => v.target === providers.providers[0]!.options.path);
    expect(dashboards).toBeDefined();
    expect(fs.readdirSync(dashboards!.source)).toContain('flywheel.json');
    const datasources = parse(
      fs.readFileSync(path.join(provisioning, 'datasources', 'prometheus.yaml'), 'utf8'),
    ) as {
      datasources: { type: string; url: string }[];
    };
    expect(datasources.datasources).toEqual([
      expect.objectContaining({ type: 'prometheus', url: 'http://prometheus:9090' }),
    ]);
  });
});

describe('Dockerfile', () => {
  const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n\s*/g, ' ');
  /** Each stage's instructions, by stage name. */
  const stages = new Map<string, string[]>();
  let current = '';
  for (const line of dockerfile.split('\n').map((l) => l.trim())) {
    const from = /^FROM\s+\S+\s+AS\s+(\S+)$/i.exec(line);
    if (from) stages.set((current = from[1]!), []);
    else if (current && line && !line.startsWith('#')) stages.get(current)!.push(line);
  }

  it.each(FLYWHEEL)(
    'has a %s target that runs `flywheel start --only` as the unprivileged node user',
    (name) => {
      expect(dockerfile).toMatch(new RegExp(`FROM runtime AS ${name}\\b`));
      expect(stages.get('runtime')).toContain('USER node');
      const cmd = stages.get(name)!.find((l) => l.startsWith('CMD '));
      const argv = JSON.parse(cmd!.slice(4)) as string[];
      // the compiled bundle (npm run build) with plain node: no tsx in production
      expect(argv.slice(0, 4)).toEqual(['node', 'services/cli/dist/flywheel.js', 'start', '--only']);
      expect(SERVICES).toContain(argv[4]);
      expect(argv[4]).toBe(name === 'simulator' ? 'sim' : name);
      expect(stages.get(name)).toContain(`EXPOSE ${PORTS[name]}`);
      expect(stages.get(name)).toContain(
        `ENV ${name === 'simulator' ? 'SIM' : name.toUpperCase()}_PORT=${PORTS[name]}`,
      );
    },
  );

  it('builds with the commands CI runs, and installs only production dependencies into the image', () => {
    const run = (stage: string) =>
      (stages.get(stage) ?? [])
        .filter((l) => l.startsWith('RUN '))
        .map((l) => l.replace(/^RUN (--mount=\S+ )*/, ''));
    const npmSteps = run('build').filter((l) => l.startsWith('npm '));
    expect(npmSteps).toEqual(['npm ci --no-audit --no-fund', 'npm run build']);
    expect(run('prod-deps')).toEqual(['npm ci --omit=dev --no-audit --no-fund']);
    // CI (.ci/run) is `npm ci && npm test`, and `npm test` runs `npm run build`
    expect(fs.readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8')).toMatch(/^npm ci && npm test$/m);
    const scripts = (
      JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    expect(scripts.test!.split(' && ')).toContain('npm run build');
    // `npm run build` also compiles the services: the bundle the targets run
    expect(scripts.build!.split(' && ')).toContain('npm run -s build:services');
    expect(scripts['build:services']).toContain('services/cli/scripts/build-services.ts');
  });
});
