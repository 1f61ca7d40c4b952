import { isDeepStrictEqual } from 'node:util';
import type { Assertion, AssertionResult, CaseInput } from '@flywheel/contracts';
import { createJsonSchemaValidator } from '../config';
import { CmpStr } from 'cmpstr';
import { RE2JS } from 're2js';

/**
 * The checks an eval case makes on a fresh answer. Pure apart from the two things a case may
 * need from outside, passed in as {@link AssertionDeps}: the route variant's output_schema and
 * an LLM judge.
 */

/** One answer of the gateway to a case. */
export interface Answer {
  /** the answer text; for a structured invoke answer, its JSON text */
  text: string;
  /** the parsed output of an invoke answer whose variant has an output_schema */
  json?: unknown;
}

export interface JudgeRequest {
  rubric: string;
  /** the assertion's own judge model; the runner's default when absent */
  model?: string;
  input: CaseInput;
  expected?: string;
  answer: string;
}

export interface Verdict {
  pass: boolean;
  /** in [0, 1] */
  score: number;
  reason: string;
}

export interface AssertionDeps {
  /** the route variant's output_schema, for `json-schema` without `schema`; undefined when it has none */
  variantSchema(): Record<string, unknown> | undefined;
  /** grades an answer against a rubric (`llm-judge`); throws when no verdict could be had */
  judge(request: JudgeRequest): Promise<Verdict>;
}

/** What the case says besides its assertions. */
export interface CaseContext {
  input: CaseInput;
  expected?: string;
}

/** Checks every assertion of a case against one answer, in order. A judge failure rejects. */
export async function checkAssertions(
  assertions: readonly Assertion[],
  answer: Answer,
  context: CaseContext,
  deps: AssertionDeps,
): Promise<AssertionResult[]> {
  const results: AssertionResult[] = [];
  for (const assertion of assertions) {
    if (assertion.type === 'llm-judge') {
      const verdict = await deps.judge({
        rubric: assertion.rubric,
        model: assertion.model,
        input: context.input,
        expected: context.expected,
        answer: answer.text,
      });
      results.push({
        type: assertion.type,
        pass: verdict.pass,
        score: verdict.score,
        message: verdict.reason,
      });
    } else {
      results.push(checkAssertion(assertion, answer, deps));
    }
  }
  return results;
}

type LocalAssertion = Exclude<Assertion, { type: 'llm-judge' }>;

const RE2_FLAGS: Readonly<Record<string, number>> = {
  i: RE2JS.CASE_INSENSITIVE,
  m: RE2JS.MULTILINE,
  s: RE2JS.DOTALL,
  u: 0, // RE2 matches code points always
};

/**
 * An admin-supplied pattern, compiled with RE2 (re2js): matching takes time linear in the
 * answer whatever the pattern, so `(a+)+$` cannot hang a CI run. Patterns RE2 cannot run in
 * linear time (lookaround, backreferences) fail the assertion with a message saying so.
 */
function compileRegex(pattern: string, flags: string): RE2JS | string {
  try {
    const bits = [...flags].reduce((acc, flag) => acc | (RE2_FLAGS[flag] ?? 0), 0);
    return RE2JS.compile(pattern, bits);
  } catch (err) {
    return `the pattern /${pattern}/${flags} cannot be matched in linear time (RE2 syntax: no lookaround or backreferences): ${(err as Error).message}`;
  }
}

/** The assertions that need no model: text, pattern, schema and lexical similarity checks. */
export function checkAssertion(
  assertion: LocalAssertion,
  answer: Answer,
  deps: Pick<AssertionDeps, 'variantSchema'>,
): AssertionResult {
  const { type } = assertion;
  switch (assertion.type) {
    case 'equals': {
      const pass = equalsAnswer(answer, assertion.value);
      return pass
        ? { type, pass }
        : { type, pass, message: `expected the answer to equal ${preview(assertion.value)}` };
    }
    case 'contains':
      return answer.text.includes(assertion.value)
        ? { type, pass: true }
        : { type, pass: false, message: `expected the answer to contain ${preview(assertion.value)}` };
    case 'not-contains':
      return answer.text.includes(assertion.value)
        ? { type, pass: false, message: `expected the answer not to contain ${preview(assertion.value)}` }
        : { type, pass: true };
    case 'regex': {
      const re = compileRegex(assertion.pattern, assertion.flags ?? '');
      if (typeof re === 'string') return { type, pass: false, message: re };
      return re.test(answer.text)
        ? { type, pass: true }
        : {
            type,
            pass: false,
            message: `expected the answer to match /${assertion.pattern}/${assertion.flags ?? ''}`,
          };
    }
    case 'json-schema':
      return checkJsonSchema(
        answer,
        assertion.schema ?? deps.variantSchema(),
        assertion.schema === undefined,
      );
    case 'similar': {
      const score = similarity(answer.text, assertion.value);
      const shown = score.toFixed(2);
      return score >= assertion.threshold
        ? { type, pass: true, score, message: `similarity ${shown} ≥ ${assertion.threshold}` }
        : {
            type,
            pass: false,
            score,
            message: `similarity ${shown} < ${assertion.threshold} to ${preview(assertion.value)}`,
          };
    }
  }
}

/**
 * `equals`: the whole answer, ignoring surrounding whitespace. A structured answer also equals a
 * value that is the same JSON written differently (key order, spacing).
 */
function equalsAnswer(answer: Answer, value: string): boolean {
  if (answer.text.trim() === value.trim()) return true;
  if (answer.json === undefined) return false;
  try {
    return isDeepStrictEqual(answer.json, JSON.parse(value));
  } catch {
    return false;
  }
}

const comparer = CmpStr.create().setMetric('dice').setFlags('itwu');

/**
 * `similar`: the Dice–Sørensen coefficient of the two texts' character bigrams, after lower-casing,
 * Unicode NFC and whitespace collapsing (cmpstr). 1 means the same bigrams; word order matters
 * little, so a reworded sentence with the same words still scores high.
 */
export function similarity(a: string, b: string): number {
  return comparer.compare(a, b);
}

type Validate = ReturnType<ReturnType<typeof createJsonSchemaValidator>['compile']>;
let validator: ReturnType<typeof createJsonSchemaValidator> | undefined;
const compiled = new WeakMap<object, Validate | { error: string }>();

/** Compiled once per schema object, with the options the config loader and the gateway use. */
function compile(schema: Record<string, unknown>): Validate | { error: string } {
  let entry = compiled.get(schema);
  if (!entry) {
    validator ??= createJsonSchemaValidator();
    try {
      entry = validator.compile(schema);
    } catch (err) {
      entry = { error: (err as Error).message };
    }
    compiled.set(schema, entry);
  }
  return entry;
}

function checkJsonSchema(
  answer: Answer,
  schema: Record<string, unknown> | undefined,
  fromVariant: boolean,
): AssertionResult {
  const type = 'json-schema';
  if (!schema) {
    return {
      type,
      pass: false,
      message: 'no schema to check against: the assertion has none and the variant has no output_schema',
    };
  }
  let value = answer.json;
  if (value === undefined) {
    try {
      value = JSON.parse(answer.text);
    } catch (err) {
      return { type, pass: false, message: `the answer is not JSON: ${(err as Error).message}` };
    }
  }
  const validate = compile(schema);
  if ('error' in validate) {
    return {
      type,
      pass: false,
      message: `invalid JSON Schema${fromVariant ? ' (variant output_schema)' : ''}: ${validate.error}`,
    };
  }
  if (validate(value)) return { type, pass: true };
  const problems = (validate.errors ?? [])
    .slice(0, 5)
    .map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
  return {
    type,
    pass: false,
    message: `does not match the ${fromVariant ? "variant's output_schema" : 'schema'}: ${problems.join('; ')}`,
  };
}

/** A value quoted for a message, cut to 80 characters. */
export function preview(text: string, max = 80): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(cut);
}
