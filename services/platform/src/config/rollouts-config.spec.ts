import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './config-error';
import { loadConfig } from './load-config';

const BASE = `
providers:
  sim: { kind: openai, base_url: http://127.0.0.1:8090/v1, api_key_env: SIM_API_KEY }
models:
  sim-fast: { provider: sim, model: sim-ok }
routes:
  demo-chat:
    flag: demo-chat
    default_variant: control
    variants:
      control: { chain: [sim-fast] }
      candidate: { chain: [sim-fast] }
`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'flywheel-rollouts-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function load(yaml: string) {
  const path = join(dir, 'flywheel.yaml');
  writeFileSync(path, yaml);
  return loadConfig(path);
}

function problems(yaml: string): string[] {
  try {
    load(yaml);
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n').slice(1);
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('rollouts section', () => {
  it('applies the plan defaults', () => {
    const config = load(
      `${BASE}rollouts:\n  demo-chat: { control: control, candidate: candidate, steps: [1, 5, 25, 50, 100] }\n`,
    );
    expect(config.rollouts['demo-chat']).toEqual({
      control: 'control',
      candidate: 'candidate',
      steps: [1, 5, 25, 50, 100],
      min_per_step: { interactions: 200, votes: 40, seconds: 600 },
      guardrails: { dislike_rate: { max_increase: 0.02 }, error_rate: { max_increase: 0.01 } },
      gate: { min_pass_rate: 0.9 },
      alpha: 0.05,
    });
    expect(load(BASE).rollouts).toEqual({});
  });

  it('names each bad value and unknown reference by its YAML path', () => {
    const lines = problems(`${BASE}rollouts:
  demo-chat:
    control: control
    candidate: candidat
    steps: [5, 1, 50]
    guardrails: { latency_p95_ms: { max_ratio: 0.5 }, dislike: { max_increase: 0.1 } }
    alpha: 2
  nowhere: { control: a, candidate: b, steps: [100] }
`);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^rollouts\.demo-chat\.steps: steps must be strictly increasing/),
        expect.stringMatching(/^rollouts\.demo-chat\.steps: the last step must be 100/),
        expect.stringMatching(/^rollouts\.demo-chat\.guardrails\.latency_p95_ms\.max_ratio: /),
        expect.stringMatching(/^rollouts\.demo-chat\.guardrails\.dislike: unknown key/),
        expect.stringMatching(/^rollouts\.demo-chat\.alpha: /),
        expect.stringMatching(
          /^rollouts\.demo-chat\.candidate: unknown variant "candidat" of route demo-chat \(variants: control, candidate\)/,
        ),
        expect.stringMatching(/^rollouts\.nowhere: unknown route "nowhere" \(routes: demo-chat\)/),
      ]),
    );
  });

  it('rejects a candidate equal to the control', () => {
    const lines = problems(
      `${BASE}rollouts:\n  demo-chat: { control: control, candidate: control, steps: [100] }\n`,
    );
    expect(lines).toEqual([
      expect.stringMatching(/^rollouts\.demo-chat\.candidate: candidate must differ from control/),
    ]);
  });
});
