// An assertion while the reviewer edits it: every field as text, so switching the type keeps
// what was typed (a `contains` value becomes a `similar` value or an `llm-judge` rubric).
import type { Assertion, AssertionType } from '@flywheel/contracts';

export interface AssertionDraft {
  /** stable React key */
  key: number;
  type: AssertionType;
  /** value (equals, contains, not-contains, similar), pattern (regex) or rubric (llm-judge) */
  text: string;
  /** regex flags */
  flags: string;
  /** JSON Schema as JSON text; blank means the route variant's own output_schema */
  schema: string;
  /** similar: 0..1 */
  threshold: string;
  /** llm-judge: model id; blank means the runner's --judge-model */
  model: string;
}

/** Every assertion type (a Record, so a type added to the contracts must be named here). */
export const TYPE_LABELS: Record<AssertionType, string> = {
  equals: 'Equals',
  contains: 'Contains',
  'not-contains': 'Does not contain',
  regex: 'Matches regex',
  'json-schema': 'Valid JSON (schema)',
  similar: 'Similar to',
  'llm-judge': 'LLM judge',
};
export const ASSERTION_TYPES = Object.keys(TYPE_LABELS) as AssertionType[];

/** The label of the main text field for a type (none for json-schema). */
export const TEXT_LABELS: Record<AssertionType, string> = {
  equals: 'Exact answer',
  contains: 'Text the answer must contain',
  'not-contains': 'Text the answer must not contain',
  regex: 'Pattern',
  'json-schema': '',
  similar: 'Answer it should be similar to',
  'llm-judge': 'Rubric',
};

const DEFAULT_THRESHOLD = '0.6';
let nextKey = 1;

export function emptyDraft(type: AssertionType, text = ''): AssertionDraft {
  return { key: nextKey++, type, text, flags: '', schema: '', threshold: DEFAULT_THRESHOLD, model: '' };
}

export function toDraft(assertion: Assertion): AssertionDraft {
  const draft = emptyDraft(assertion.type);
  switch (assertion.type) {
    case 'equals':
    case 'contains':
    case 'not-contains':
      return { ...draft, text: assertion.value };
    case 'regex':
      return { ...draft, text: assertion.pattern, flags: assertion.flags ?? '' };
    case 'json-schema':
      return { ...draft, schema: assertion.schema ? JSON.stringify(assertion.schema, null, 2) : '' };
    case 'similar':
      return { ...draft, text: assertion.value, threshold: String(assertion.threshold) };
    case 'llm-judge':
      return { ...draft, text: assertion.rubric, model: assertion.model ?? '' };
  }
}

export type DraftResult =
  { ok: true; assertion: Assertion } | { ok: false; field: keyof AssertionDraft; error: string };

/**
 * The assertion a draft stands for, or the first problem a reviewer can fix. The curator checks
 * the full contract (lengths, names) and answers with the field path when this lets one through.
 */
export function fromDraft(draft: AssertionDraft): DraftResult {
  const fail = (field: keyof AssertionDraft, error: string): DraftResult => ({ ok: false, field, error });
  const needText = draft.type !== 'equals' && draft.type !== 'json-schema';
  if (needText && draft.text.trim() === '') return fail('text', `${TEXT_LABELS[draft.type]} is required.`);
  switch (draft.type) {
    case 'equals':
    case 'contains':
    case 'not-contains':
      return { ok: true, assertion: { type: draft.type, value: draft.text } };
    case 'regex': {
      if (!/^[imsu]*$/.test(draft.flags)) return fail('flags', 'Flags may only be i, m, s and u.');
      try {
        new RegExp(draft.text, draft.flags);
      } catch (err) {
        return fail('text', `Not a valid regular expression: ${(err as Error).message}`);
      }
      return {
        ok: true,
        assertion: { type: 'regex', pattern: draft.text, ...(draft.flags ? { flags: draft.flags } : {}) },
      };
    }
    case 'json-schema': {
      if (draft.schema.trim() === '') return { ok: true, assertion: { type: 'json-schema' } };
      let schema: unknown;
      try {
        schema = JSON.parse(draft.schema);
      } catch {
        return fail('schema', 'The schema is not valid JSON.');
      }
      if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
        return fail('schema', 'The schema must be a JSON object.');
      }
      return { ok: true, assertion: { type: 'json-schema', schema: schema as Record<string, unknown> } };
    }
    case 'similar': {
      const threshold = Number(draft.threshold);
      if (draft.threshold.trim() === '' || !(threshold >= 0 && threshold <= 1)) {
        return fail('threshold', 'The threshold is a number from 0 to 1.');
      }
      return { ok: true, assertion: { type: 'similar', value: draft.text, threshold } };
    }
    case 'llm-judge':
      return {
        ok: true,
        assertion: {
          type: 'llm-judge',
          rubric: draft.text,
          ...(draft.model.trim() ? { model: draft.model.trim() } : {}),
        },
      };
  }
}
