import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError } from './config-error';
import { loadConfig } from './load-config';

const SHIPPED = resolve(__dirname, '../../../../infra/config/flywheel.yaml');

const VALID = `
providers:
  sim:
    kind: openai
    base_url: http://127.0.0.1:8090/v1
    api_key_env: SIM_API_KEY
models:
  sim-fast: { provider: sim, model: sim-ok }
  sim-backup: { provider: sim, model: sim-ok }
routes:
  demo-chat:
    flag: demo-chat
    default_variant: control
    variants:
      control: { chain: [sim-fast] }
      candidate: { chain: [sim-fast, sim-backup] }
`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'flywheel-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

/** Loads `yaml` and returns the ConfigError it must throw. */
function errorFor(yaml: string): ConfigError {
  const path = write('flywheel.yaml', yaml);
  try {
    loadConfig(path);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected loadConfig to throw a ConfigError');
}

describe('loadConfig: the shipped infra/config/flywheel.yaml', () => {
  it('loads, with the demo and structured-output routes wired to the simulator', () => {
    const config = loadConfig(SHIPPED);

    expect(config.providers['sim-openai']).toEqual({
      kind: 'openai',
      base_url: 'http://127.0.0.1:8090/v1',
      api_key_env: 'SIM_API_KEY',
      timeout_ms: 30000,
    });
    expect(config.providers['sim-anthropic']?.kind).toBe('anthropic');
    expect(config.models['sim-fast']).toMatchObject({ provider: 'sim-openai', model: 'sim-ok' });
    expect(config.models['sim-claude']).toMatchObject({ provider: 'sim-anthropic', model: 'sim-ok' });

    const demo = config.routes['demo-chat'];
    expect(demo?.flag).toBe('demo-chat');
    expect(demo?.default_variant).toBe('control');
    expect(demo?.variants.control?.chain).toEqual(['sim-fast', 'sim-claude']);
    expect(demo?.variants.candidate?.chain).toEqual(['sim-claude', 'sim-fast']);
    expect(demo?.variants.control?.system).not.toEqual(demo?.variants.candidate?.system);

    const triage = config.routes['ticket-triage']?.variants.control;
    expect(triage?.prompt).toContain('{{ticket}}');
    expect(triage?.repair).toEqual({ reask: 1 });
    // the {file: …} reference is replaced by the schema itself
    expect(triage?.output_schema).toMatchObject({
      type: 'object',
      required: expect.arrayContaining(['category']),
    });

    expect(config.feedback.allowed_origins).toEqual(
      expect.arrayContaining(['http://localhost:8081', 'http://127.0.0.1:8081']),
    );
  });

  it('reads FLYWHEEL_CONFIG when no path is given', () => {
    const path = write('elsewhere.yaml', VALID);
    const saved = process.env.FLYWHEEL_CONFIG;
    process.env.FLYWHEEL_CONFIG = path;
    try {
      expect(Object.keys(loadConfig().routes)).toEqual(['demo-chat']);
    } finally {
      if (saved === undefined) delete process.env.FLYWHEEL_CONFIG;
      else process.env.FLYWHEEL_CONFIG = saved;
    }
  });
});

describe('loadConfig: valid files', () => {
  it('applies defaults, including for sections left out entirely', () => {
    const config = loadConfig(write('flywheel.yaml', VALID));

    expect(config.providers.sim?.timeout_ms).toBe(30000);
    expect(config.models['sim-fast']?.price).toEqual({ input_per_mtok: 0, output_per_mtok: 0 });
    expect(config.routes['demo-chat']?.variants.control?.allow_client_system).toBe(false);
    expect(config.feedback).toEqual({
      allowed_origins: [],
      token_ttl_s: 604800,
      reasons: ['incorrect', 'unhelpful', 'wrong_format', 'unsafe', 'other'],
    });
    expect(config.curator).toEqual({
      join_ttl_s: 600,
      retention_days: 30,
      redaction: { enabled: true, extra_patterns: [], max_field_chars: 262_144 },
    });
  });

  it('treats an empty file as all defaults', () => {
    expect(loadConfig(write('flywheel.yaml', '# nothing yet\n'))).toMatchObject({
      providers: {},
      models: {},
      routes: {},
    });
  });

  it('resolves output_schema files relative to the config file, not the working directory', () => {
    write('conf/schemas/answer.json', JSON.stringify({ type: 'object', required: ['answer'] }));
    const path = write(
      'conf/flywheel.yaml',
      VALID.replace(
        'control: { chain: [sim-fast] }',
        'control: { chain: [sim-fast], output_schema: { file: schemas/answer.json } }',
      ),
    );

    const config = loadConfig(path);

    expect(config.routes['demo-chat']?.variants.control?.output_schema).toEqual({
      type: 'object',
      required: ['answer'],
    });
  });

  it('keeps inline output schemas, and lets two variants share a schema with an $id', () => {
    const schema = '{ $id: "https://example.com/answer", type: object }';
    const yaml = VALID.replace(
      'control: { chain: [sim-fast] }',
      `control: { chain: [sim-fast], output_schema: ${schema} }`,
    ).replace(
      'candidate: { chain: [sim-fast, sim-backup] }',
      `candidate: { chain: [sim-fast, sim-backup], output_schema: ${schema} }`,
    );

    const config = loadConfig(write('flywheel.yaml', yaml));

    expect(config.routes['demo-chat']?.variants.candidate?.output_schema).toEqual({
      $id: 'https://example.com/answer',
      type: 'object',
    });
  });
});

describe('loadConfig: invalid files', () => {
  it('lists every problem in one error, one per line, each starting with its YAML path, and names the file', () => {
    const err = errorFor(`
providers:
  openai:
    kind: openia
    api_key_env: OPENAI_API_KEY
models:
  sim-fast: { provider: openai, model: sim-ok }
  sim-backup: { provider: nowhere, model: sim-ok }
routes:
  demo-chat:
    flag: demo-chat
    default_variant: contrl
    variants:
      control: { chain: [sim-fast] }
      candidate: { chain: [sim-fast, gpt-9], temprature: 0.2 }
`);
    const lines = err.message.split('\n');

    expect(lines[0]).toContain(join(dir, 'flywheel.yaml'));
    expect(lines.slice(1)).toEqual([
      'routes.demo-chat.variants.candidate.temprature: unknown key (line 15)',
      'models.sim-backup.provider: unknown provider "nowhere" (providers: openai) (line 8)',
      'routes.demo-chat.default_variant: unknown variant "contrl" (variants: control, candidate) (line 12)',
      'routes.demo-chat.variants.candidate.chain[1]: unknown model "gpt-9" (models: sim-fast, sim-backup) (line 15)',
    ]);
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.problems).toHaveLength(4);
  });

  it('checks api_keys: scope references, limits, reserved names and the env variable name, by YAML path', () => {
    const err = errorFor(`${VALID}
api_keys:
  demo:
    key_env: DEMO_KEY
    routes: [demo-chat, ticket-triage]
    models: [sim-fast, gpt-9]
    limits: { max_tokens: 500, tokens_per_min: 400, concurrent: 0 }
  env:sneaky: { key_env: SNEAKY }
  wide: { key_env: WIDE_KEY, role: root, routes: '*', models: '*' }
  bad: { key_env: lower-case }
`);
    expect(err.message.split('\n').slice(1).sort()).toEqual(
      [
        'api_keys.demo.limits.concurrent: Too small: expected number to be >0 (line 23)',
        'api_keys.demo.limits.max_tokens: at most limits.tokens_per_min (400), or no request could pass (line 23)',
        'api_keys.demo.routes[1]: unknown route "ticket-triage" (routes: demo-chat) (line 21)',
        'api_keys.demo.models[1]: unknown model "gpt-9" (models: sim-fast, sim-backup) (line 22)',
        'api_keys["env:sneaky"]: invalid name: names starting with "env:" are reserved (line 24)',
        'api_keys.wide.role: Invalid option: expected one of "client"|"admin" (line 25)',
        'api_keys.bad.key_env: an environment variable name (A-Z, 0-9, _) (line 26)',
      ].sort(),
    );
  });

  it('defaults an api_keys entry to a client key with no routes, no models, no system message, no limits', () => {
    const config = loadConfig(write('flywheel.yaml', `${VALID}\napi_keys:\n  k: { key_env: K }\n`));
    expect(config.api_keys.k).toEqual({
      key_env: 'K',
      role: 'client',
      routes: [],
      models: [],
      allow_system: false,
      limits: {},
    });
    expect(loadConfig(SHIPPED).api_keys.demo).toMatchObject({
      routes: ['demo-chat'],
      models: [],
      allow_system: false,
    });
  });

  it('says a missing key is required instead of "received undefined"', () => {
    const err = errorFor('models:\n  m: { model: x }\n');

    expect(err.message).toContain('models.m.provider: required (expected string) (line 2)');
  });

  it('quotes keys that are not plain names in paths', () => {
    const err = errorFor(
      VALID.replace('sim-backup: { provider: sim, model: sim-ok }', 'gpt-4.1: { provider: sim, model: "" }'),
    );

    expect(err.message).toContain('models["gpt-4.1"].model: Too small');
  });

  it('rejects names, URLs, origins and regexes of the wrong shape', () => {
    const err = errorFor(`
providers:
  "bad name":
    kind: openai
    api_key_env: KEY
  lower:
    kind: openai
    api_key_env: lower_case
  ok:
    kind: openai
    base_url: ftp://example.com
    api_key_env: KEY
feedback:
  allowed_origins: [https://app.example.com/]
curator:
  redaction: { extra_patterns: ["(unclosed"] }
`);

    expect(err.problems.map((p) => p.path)).toEqual([
      'providers["bad name"]',
      'providers.lower.api_key_env',
      'providers.ok.base_url',
      'feedback.allowed_origins[0]',
      'curator.redaction.extra_patterns[0]',
    ]);
    expect(err.message).toContain('providers["bad name"]: invalid name: letters, digits and . _ : / - only');
    expect(err.message).toContain('providers.lower.api_key_env: an environment variable name');
    expect(err.message).toContain('providers.ok.base_url: an http(s) URL');
    expect(err.message).toContain('feedback.allowed_origins[0]: an origin like');
    expect(err.message).toContain('curator.redaction.extra_patterns[0]: invalid regular expression');
  });

  it('reports YAML syntax errors with line and column', () => {
    const err = errorFor('providers: {}\nroutes: demo-chat: x\nmodels: {}\n');

    expect(err.message.split('\n')[1]).toBe(
      'line 2, column 9: YAML syntax: Nested mappings are not allowed in compact mappings',
    );
  });

  it('reports duplicate keys (a route defined twice) as a syntax error', () => {
    const err = errorFor(
      'routes:\n  a: { flag: a, default_variant: v, variants: {} }\n  a: { flag: b, default_variant: v, variants: {} }\n',
    );

    expect(err.message).toMatch(/^line 3, column 3: YAML syntax: Map keys must be unique/m);
  });

  it('reports a missing or unreadable output_schema file with the path it tried', () => {
    const err = errorFor(
      VALID.replace(
        'control: { chain: [sim-fast] }',
        'control: { chain: [sim-fast], output_schema: { file: schemas/nope.json } }',
      ),
    );

    expect(err.message).toContain(
      `routes.demo-chat.variants.control.output_schema.file: cannot read ${join(dir, 'schemas/nope.json')}: ENOENT`,
    );
  });

  it('reports an output_schema file that is not JSON, or not an object', () => {
    write('schemas/broken.json', '{ "type": "object", ');
    write('schemas/array.json', '[]');
    const err = errorFor(
      VALID.replace(
        'control: { chain: [sim-fast] }',
        'control: { chain: [sim-fast], output_schema: { file: schemas/broken.json } }',
      ).replace(
        'candidate: { chain: [sim-fast, sim-backup] }',
        'candidate: { chain: [sim-fast], output_schema: { file: schemas/array.json } }',
      ),
    );

    expect(err.message).toMatch(
      /^routes\.demo-chat\.variants\.control\.output_schema\.file: .*broken\.json is not valid JSON/m,
    );
    expect(err.message).toMatch(
      /^routes\.demo-chat\.variants\.candidate\.output_schema\.file: .*array\.json must hold a JSON object/m,
    );
  });

  it('compiles every output schema: a typo in a keyword, a bad type, a foreign draft', () => {
    write('schemas/typo.json', JSON.stringify({ type: 'object', requried: ['a'] }));
    const err = errorFor(
      VALID.replace(
        'control: { chain: [sim-fast] }',
        'control: { chain: [sim-fast], output_schema: { file: schemas/typo.json } }',
      ).replace(
        'candidate: { chain: [sim-fast, sim-backup] }',
        'candidate: { chain: [sim-fast], output_schema: { type: objekt } }',
      ).concat(`  other:
    flag: other
    default_variant: v
    variants:
      v:
        chain: [sim-fast]
        output_schema: { $schema: "http://json-schema.org/draft-07/schema#", type: object }
`),
    );

    expect(err.message).toMatch(
      /^routes\.demo-chat\.variants\.control\.output_schema: invalid JSON Schema: strict mode: unknown keyword: "requried" \(schema: schemas\/typo\.json\)/m,
    );
    expect(err.message).toMatch(
      /^routes\.demo-chat\.variants\.candidate\.output_schema: invalid JSON Schema: .*\(schema: inline\)/m,
    );
    expect(err.message).toMatch(
      /^routes\.other\.variants\.v\.output_schema: unsupported \$schema .*draft 2020-12/m,
    );
  });

  it('rejects an output_schema that is neither an object nor a file reference', () => {
    const err = errorFor(
      VALID.replace(
        'control: { chain: [sim-fast] }',
        'control: { chain: [sim-fast], output_schema: "schemas/x.json" }',
      ),
    );

    expect(err.message).toContain(
      'routes.demo-chat.variants.control.output_schema: expected a JSON Schema object, or {file: path}',
    );
  });

  it('says which file is missing when the config file itself cannot be read', () => {
    const missing = join(dir, 'missing.yaml');

    expect(() => loadConfig(missing)).toThrow(ConfigError);
    expect(() => loadConfig(missing)).toThrow(`Invalid configuration in ${missing}`);
    expect(() => loadConfig(missing)).toThrow('cannot read the config file: ENOENT');
  });
});
