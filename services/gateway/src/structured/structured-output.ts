import type { ChatMessage, LlmResponse } from '../llm/llm.types';
import type { CompiledSchema, ValidationIssue } from './schema-validator';

/**
 * The structured-output decision: parse → (on a parse failure) repair with jsonrepair →
 * validate; then accept, re-ask the same model with the errors, or give up on the model.
 */

export type OutputCheck =
  | {
      valid: true;
      value: unknown;
      repaired: boolean;
      /** the JSON text to return (the repaired one if repaired) */ text: string;
    }
  | { valid: false; repaired: boolean; errors: ValidationIssue[] };

const NOT_JSON: ValidationIssue[] = [{ path: '/', message: 'output is not JSON and could not be repaired' }];
const CUT_OFF: ValidationIssue[] = [
  { path: '/', message: 'output was cut off at the token limit (finish_reason: length); it is incomplete' },
];

/**
 * jsonrepair ships ESM-only types, which tsc refuses to `require` from CommonJS under node16;
 * a dynamic import is accepted (and only the rare repair path pays for it, once per call).
 */
async function repair(text: string): Promise<string> {
  const { jsonrepair } = await import('jsonrepair');
  return jsonrepair(text);
}

/**
 * Checks an answer against `schema`. Output that fails is never reported valid, nor is output
 * the model stopped at its token limit: jsonrepair would close a truncated object into valid
 * JSON that silently lacks the rest of the answer.
 */
export async function checkOutput(response: LlmResponse, schema: CompiledSchema): Promise<OutputCheck> {
  if (response.finish_reason === 'length') return { valid: false, repaired: false, errors: CUT_OFF };
  if (response.json !== undefined) return judge(response.json, response.text, false, schema);
  let value: unknown;
  try {
    value = JSON.parse(response.text);
  } catch {
    let repairedText: string;
    try {
      repairedText = await repair(response.text);
      value = JSON.parse(repairedText);
    } catch {
      return { valid: false, repaired: false, errors: NOT_JSON };
    }
    return judge(value, repairedText, true, schema);
  }
  return judge(value, response.text, false, schema);
}

function judge(value: unknown, text: string, repaired: boolean, schema: CompiledSchema): OutputCheck {
  const errors = schema.validate(value);
  return errors === undefined ? { valid: true, value, repaired, text } : { valid: false, repaired, errors };
}

export type NextStep = 'accept' | 'reask' | 'next_model';

/** After a check: accept valid output, re-ask while this model has re-asks left, else move on. */
export function nextStep(check: OutputCheck, reasksUsed: number, maxReasks: number): NextStep {
  if (check.valid) return 'accept';
  return reasksUsed < maxReasks ? 'reask' : 'next_model';
}

/** How many issues a re-ask lists; the rest are summarized. */
const MAX_LISTED_ISSUES = 10;

/**
 * The two messages appended for a re-ask: the model's own answer, then what is wrong with it.
 */
export function reaskMessages(output: string, errors: readonly ValidationIssue[]): ChatMessage[] {
  const listed = errors.slice(0, MAX_LISTED_ISSUES).map((e) => `- ${e.path}: ${e.message}`);
  if (errors.length > MAX_LISTED_ISSUES) listed.push(`- …and ${errors.length - MAX_LISTED_ISSUES} more`);
  return [
    { role: 'assistant', content: output },
    {
      role: 'user',
      content:
        'Your previous answer does not match the required JSON schema:\n' +
        `${listed.join('\n')}\n` +
        'Answer again with only the corrected JSON, nothing else.',
    },
  ];
}
