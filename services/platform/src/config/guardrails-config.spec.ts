import { ConfigError } from './config-error';
import { parseConfig } from './load-config';

const yaml = (variant: string) => `
providers:
  sim: { kind: openai, base_url: 'http://127.0.0.1:8090/v1', api_key_env: SIM_API_KEY }
models:
  sim-fast: { provider: sim, model: sim-ok }
routes:
  support:
    flag: support
    default_variant: control
    variants:
      control: ${variant}
`;

function problems(variant: string): string {
  try {
    parseConfig(yaml(variant), '/etc/flywheel/flywheel.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const AT = 'routes.support.variants.control';

describe('variant guardrails', () => {
  it('loads a canary with its defaults (refuse) and a verbatim limit', () => {
    const config = parseConfig(
      yaml(
        `{ chain: [sim-fast], system: 'Marker CANARY-0123456. Be nice.', guardrails: { canary: CANARY-0123456, max_verbatim_chars: 40 } }`,
      ),
      '/etc/flywheel/flywheel.yaml',
    );
    expect(config.routes.support?.variants.control?.guardrails).toEqual({
      canary: 'CANARY-0123456',
      max_verbatim_chars: 40,
      on_leak: 'refuse',
    });
  });

  it('names the YAML path of each mistake at boot', () => {
    expect(problems(`{ chain: [sim-fast], guardrails: { canary: CANARY-0123456 } }`)).toContain(
      `${AT}.guardrails: guardrails protect \`system\`: set it`,
    );
    expect(
      problems(`{ chain: [sim-fast], system: 'no marker here', guardrails: { canary: CANARY-0123456 } }`),
    ).toContain(`${AT}.guardrails.canary: the canary must appear in \`system\``);
    expect(
      problems(
        `{ chain: [sim-fast], system: 'CANARY-0123456', guardrails: { canary: CANARY-0123456, on_leak: replace } }`,
      ),
    ).toContain(`${AT}.guardrails.replacement: required with on_leak: replace`);
    expect(problems(`{ chain: [sim-fast], system: 'x', guardrails: { on_leak: refuse } }`)).toContain(
      `${AT}.guardrails: set canary, max_verbatim_chars or both`,
    );
    expect(problems(`{ chain: [sim-fast], system: 'abcdefgh', guardrails: { canary: abc } }`)).toMatch(
      new RegExp(`^${AT.replaceAll('.', '\\.')}\\.guardrails\\.canary: `, 'm'),
    );
    expect(
      problems(
        `{ chain: [sim-fast], system: 'CANARY-0123456', output_schema: { type: object }, guardrails: { canary: CANARY-0123456, on_leak: replace, replacement: no } }`,
      ),
    ).toContain(`${AT}.guardrails.on_leak: a variant with output_schema must refuse`);
  });
});
