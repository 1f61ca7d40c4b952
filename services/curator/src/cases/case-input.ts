import { createHash } from 'node:crypto';
import type { CaseInput, InteractionEvent } from '@flywheel/contracts';

/**
 * A case's input, from the interaction's request: the template variables when the route was
 * invoked with `input` (the eval runner invokes it the same way), else the chat messages.
 */
export function caseInput(request: InteractionEvent['request']): CaseInput {
  return request.input !== undefined ? { vars: request.input } : { messages: request.messages };
}

/**
 * Text normalised for near-duplicate detection: Unicode NFKC, lower case, apostrophes
 * dropped, other punctuation and symbols turned into spaces, whitespace collapsed. "What's  the refund policy?" and "whats the REFUND
 * policy" normalise alike.
 */
export function normalizeText(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/['\u2018\u2019`]/gu, '')
    .replace(/[\p{P}\p{S}]+/gu, ' ')
    .replace(/\s+/gu, ' ')
    .trim();
}

/** One canonical text for an input: `role: content` per message, or `name: value` per variable (sorted). */
export function inputText(input: CaseInput): string {
  if (input.vars !== undefined) {
    return Object.keys(input.vars)
      .sort()
      .map((name) => `${name}: ${valueText(input.vars![name])}`)
      .join('\n');
  }
  return (input.messages ?? []).map((m) => `${m.role}: ${m.content}`).join('\n');
}

/**
 * The merge key of a case within its route: sha256 of the normalised input text. Callers pass
 * the REDACTED input, so inputs that differ only in redacted PII (two email addresses) merge.
 * Template inputs and chat inputs never share a key.
 */
export function inputHash(input: CaseInput): string {
  const kind = input.vars !== undefined ? 'vars' : 'messages';
  const lines = inputText(input)
    .split('\n')
    .map(normalizeText)
    .filter((line) => line.length > 0);
  return createHash('sha256')
    .update(`${kind}\n${lines.join('\n')}`)
    .digest('hex');
}

function valueText(value: unknown): string {
  return typeof value === 'string' ? value : stableJson(value);
}

/** JSON with object keys sorted, so equal values give equal text. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
