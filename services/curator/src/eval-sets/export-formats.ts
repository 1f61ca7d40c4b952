import type { Assertion, EvalCase, EvalSetCase } from '@flywheel/contracts';
import { stringify } from 'yaml';

export type JsonSchema = Record<string, unknown>;

/** An accepted case as one line of the eval set (`evals/<route>.jsonl`). */
export function toEvalSetCase(c: EvalCase): EvalSetCase {
  return {
    case_id: c.id,
    route: c.route,
    input: c.input,
    ...(c.expected !== undefined && { expected: c.expected }),
    assertions: c.assertions,
    variant: c.variant,
    model: c.model,
    count: c.count,
    reasons: c.reasons,
    lineage: { interaction_ids: c.lineage.interaction_ids, feedback_ids: c.lineage.feedback_ids },
  };
}

/** JSON Lines: one EvalSetCase per line, newline-terminated. */
export function toJsonl(cases: readonly EvalCase[]): string {
  return cases.map((c) => `${JSON.stringify(toEvalSetCase(c))}\n`).join('');
}

/** One promptfoo assertion (https://www.promptfoo.dev/docs/configuration/expected-outputs/). */
export interface PromptfooAssertion {
  type: string;
  value?: unknown;
  threshold?: number;
}

export interface PromptfooTest {
  description: string;
  vars: Record<string, unknown>;
  assert: PromptfooAssertion[];
  metadata: Record<string, unknown>;
}

/**
 * promptfoo renders every string assertion value as a Nunjucks template, so an expected answer
 * holding `{{ name }}` would be checked as "" and `{% … %}` would break the run. Text holding any
 * Nunjucks delimiter is wrapped in `{% raw %}…{% endraw %}`, which renders back to the literal; an
 * `{% endraw %}` inside it is closed and re-emitted as a string expression.
 */
export function nunjucksLiteral(text: string): string {
  if (!/\{[{%#]/.test(text)) return text;
  const inner = text.replace(/\{%(-?\s*endraw\b)/g, '{% endraw %}{{ "{%" }}{% raw %}$1');
  return `{% raw %}${inner}{% endraw %}`;
}

/**
 * Flywheel's `similar` as a promptfoo `javascript` check: the Dice–Sørensen coefficient of the
 * two texts' character bigrams after lower-casing, trimming, Unicode NFC and whitespace collapsing
 * — the same score the `flywheel eval run` runner computes (cmpstr's `dice` with flags `itwu`),
 * so it needs no embeddings. One line: promptfoo takes a one-line value as an expression.
 */
export function similarAsJavascript(value: string, threshold: number): string {
  return (
    '((answer, expected, threshold) => {' +
    " const norm = (s) => s.toLowerCase().trim().normalize('NFC').replace(/\\s+/g, ' ');" +
    ' const a = norm(String(answer)), b = norm(expected);' +
    ' const bigrams = (s) => { const set = new Set(); for (let i = 0; i < s.length - 1; i++) set.add(s.substring(i, i + 2)); return set; };' +
    ' let score;' +
    ' if (a === b) score = 1;' +
    ' else if (!a.length || !b.length || (a.length < 2 && b.length < 2)) score = 0;' +
    ' else { const x = bigrams(a), y = bigrams(b); let common = 0; for (const g of x) if (y.has(g)) common++; score = x.size + y.size === 0 ? 1 : Math.min(1, (2 * common) / (x.size + y.size)); }' +
    ' const shown = score.toFixed(2);' +
    " return { pass: score >= threshold, score, reason: 'similarity ' + shown + (score >= threshold ? ' >= ' : ' < ') + threshold };" +
    ` })(output, ${JSON.stringify(value)}, ${JSON.stringify(threshold)})`
  );
}

/**
 * Our assertion → promptfoo's: equals, contains, not-contains, regex (with flags: a `javascript`
 * check, since promptfoo's regex takes no flags), json-schema → is-json (with the schema: the
 * assertion's own, else the variant's output_schema from `schemaOf`), similar → a `javascript`
 * check computing Flywheel's own lexical score ({@link similarAsJavascript}), llm-judge →
 * llm-rubric. Every string value is made literal for Nunjucks ({@link nunjucksLiteral}).
 */
export function toPromptfooAssertion(a: Assertion, variantSchema?: JsonSchema): PromptfooAssertion {
  const literal = (value: string) => nunjucksLiteral(value);
  switch (a.type) {
    case 'equals':
    case 'contains':
    case 'not-contains':
      return { type: a.type, value: literal(a.value) };
    case 'regex':
      return a.flags
        ? {
            type: 'javascript',
            value: literal(
              `new RegExp(${JSON.stringify(a.pattern)}, ${JSON.stringify(a.flags)}).test(output)`,
            ),
          }
        : { type: 'regex', value: literal(a.pattern) };
    case 'json-schema': {
      const schema = a.schema ?? variantSchema;
      return schema ? { type: 'is-json', value: schema } : { type: 'is-json' };
    }
    case 'similar':
      return { type: 'javascript', value: literal(similarAsJavascript(a.value, a.threshold)) };
    case 'llm-judge':
      return { type: 'llm-rubric', value: literal(a.rubric) };
  }
}

/**
 * A promptfoo test per accepted case. Template inputs become `vars`; chat inputs become one
 * `messages` var (the exported prompt renders it as `{{ messages | dump }}`). Lineage and the
 * expected answer go to `metadata`.
 */
export function toPromptfooTests(
  cases: readonly EvalCase[],
  schemaOf: (variant: string) => JsonSchema | undefined = () => undefined,
): PromptfooTest[] {
  return cases.map((c) => ({
    description: `${c.route} case ${c.id}${c.reasons.length ? ` (${c.reasons.join(', ')})` : ''}, disliked ${c.count}×`,
    vars: c.input.vars ?? { messages: c.input.messages ?? [] },
    assert: c.assertions.map((a) => toPromptfooAssertion(a, schemaOf(c.variant))),
    metadata: {
      case_id: c.id,
      route: c.route,
      variant: c.variant,
      model: c.model,
      count: c.count,
      reasons: c.reasons,
      ...(c.expected !== undefined && { expected: c.expected }),
      interaction_ids: c.lineage.interaction_ids,
      feedback_ids: c.lineage.feedback_ids,
    },
  }));
}

/** Where and how the exported config calls the gateway. */
export interface PromptfooTarget {
  /** base URL of the gateway, e.g. `http://localhost:8080` */
  gatewayUrl: string;
  /** force this variant (`x-flywheel-variant`; needs the admin token); the flag decides otherwise */
  variant?: string;
  /** the route's prompt template, for a route called with template variables */
  prompt?: string;
  /** the template variables the cases use (the invoke body's `input`) */
  varNames?: readonly string[];
}

/**
 * The promptfoo provider for the route: chat cases through the OpenAI provider at the gateway's
 * `/v1` (model `route:<name>`), template-variable cases through the HTTP provider at
 * `/v1/routes/<name>/invoke`. The key comes from the environment when promptfoo runs:
 * FLYWHEEL_ADMIN_TOKEN when a variant is forced (only the admin token may), else FLYWHEEL_API_KEY.
 */
export function promptfooProvider(route: string, target: PromptfooTarget): Record<string, unknown> {
  const base = target.gatewayUrl.replace(/\/+$/, '');
  const keyEnv = target.variant ? 'FLYWHEEL_ADMIN_TOKEN' : 'FLYWHEEL_API_KEY';
  const variantHeader = target.variant ? { 'x-flywheel-variant': target.variant } : {};
  const label = `flywheel route:${route}${target.variant ? ` (variant ${target.variant})` : ''}`;
  if (!target.varNames)
    return {
      id: `openai:chat:route:${route}`,
      label,
      config: { apiBaseUrl: `${base}/v1`, apiKeyEnvar: keyEnv, headers: variantHeader },
    };
  return {
    id: 'http',
    label,
    config: {
      url: `${base}/v1/routes/${encodeURIComponent(route)}/invoke`,
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer {{ env.${keyEnv} }}`,
        ...variantHeader,
      },
      body: { input: Object.fromEntries(target.varNames.map((name) => [name, `{{ ${name} }}`])) },
      transformResponse: 'typeof json.output === "string" ? json.output : JSON.stringify(json.output)',
    },
  };
}

/**
 * A promptfoo config for `route` that runs as-is (`promptfoo eval -c <file>`): the prompt, the
 * gateway as provider and the accepted cases as tests.
 */
export function toPromptfooYaml(
  route: string,
  cases: readonly EvalCase[],
  target: PromptfooTarget,
  schemaOf?: (variant: string) => JsonSchema | undefined,
): string {
  const usesVars = cases.some((c) => c.input.vars) || (cases.length === 0 && target.prompt !== undefined);
  const varNames = usesVars ? [...new Set(cases.flatMap((c) => Object.keys(c.input.vars ?? {})))] : undefined;
  const prompt = usesVars
    ? {
        label: `route ${route} prompt`,
        raw: target.prompt ?? varNames?.map((n) => `{{ ${n} }}`).join('\n') ?? '',
      }
    : { label: `route ${route} messages`, raw: '{{ messages | dump }}' };
  const config = {
    description: `Flywheel eval set of the route ${route}: ${cases.length} accepted case(s)`,
    prompts: [prompt],
    providers: [promptfooProvider(route, { ...target, varNames })],
    tests: toPromptfooTests(cases, schemaOf),
  };
  const key = target.variant ? 'FLYWHEEL_ADMIN_TOKEN' : 'FLYWHEEL_API_KEY';
  const header =
    `# promptfoo config for the route ${route}: the accepted Flywheel eval cases (${cases.length}).\n` +
    `# Run as-is: ${key}=… npx promptfoo eval -c ${route}.promptfooconfig.yaml\n`;
  return header + stringify(config, { lineWidth: 0 });
}
