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
 * Our assertion → promptfoo's: equals, contains, not-contains, regex (with flags: a
 * `javascript` check, since promptfoo's regex takes no flags), json-schema → is-json (with
 * the schema: the assertion's own, else the variant's output_schema from `schemaOf`),
 * similar → similar with its threshold (note: promptfoo compares embeddings, Flywheel's
 * runner compares lexically), llm-judge → llm-rubric.
 */
export function toPromptfooAssertion(a: Assertion, variantSchema?: JsonSchema): PromptfooAssertion {
  switch (a.type) {
    case 'equals':
    case 'contains':
    case 'not-contains':
      return { type: a.type, value: a.value };
    case 'regex':
      return a.flags
        ? {
            type: 'javascript',
            value: `new RegExp(${JSON.stringify(a.pattern)}, ${JSON.stringify(a.flags)}).test(output)`,
          }
        : { type: 'regex', value: a.pattern };
    case 'json-schema': {
      const schema = a.schema ?? variantSchema;
      return schema ? { type: 'is-json', value: schema } : { type: 'is-json' };
    }
    case 'similar':
      return { type: 'similar', value: a.value, threshold: a.threshold };
    case 'llm-judge':
      return { type: 'llm-rubric', value: a.rubric };
  }
}

/**
 * A promptfoo test per accepted case. Template inputs become `vars`; chat inputs become one
 * `messages` var (the prompt renders it, e.g. `{{ messages | dump }}`). Lineage and the
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

/** A promptfoo tests file (YAML: a list of tests) for `route`. */
export function toPromptfooYaml(
  route: string,
  cases: readonly EvalCase[],
  schemaOf?: (variant: string) => JsonSchema | undefined,
): string {
  const header =
    `# promptfoo tests for the route ${route}: the accepted Flywheel eval cases (${cases.length}).\n` +
    `# Use as \`tests: file://${route}.promptfoo.yaml\` in promptfooconfig.yaml.\n`;
  return header + stringify(toPromptfooTests(cases, schemaOf), { lineWidth: 0 });
}
