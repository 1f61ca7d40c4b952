import { redactPhones } from './phone';
import { PLACEHOLDER, replaceMatches, type RedactStep } from './replace';
import { redactSecrets } from './secrets';
import { redactCards, redactEmails, redactIbans, redactIps, redactSsns } from './structured';

/**
 * Built-in detectors, in order. Secrets go first (tokens hold digit runs that look like
 * phone or card numbers, URLs with credentials hold an `@`), then the shapes with a
 * checksum or fixed layout, and phone numbers, the loosest shape, last.
 */
const BUILT_IN: readonly RedactStep[] = [
  redactSecrets,
  redactEmails,
  redactIbans,
  redactCards,
  redactSsns,
  redactIps,
  redactPhones,
];

const MAX_PASSES = 4;

function extraPatternStep(source: string, index: number): RedactStep {
  let pattern: RegExp;
  try {
    pattern = new RegExp(source, 'g');
  } catch (err) {
    throw new Error(
      `curator.redaction.extra_patterns[${index}] is not a valid regular expression: ${(err as Error).message}`,
    );
  }
  return (text) => replaceMatches(text, pattern, () => PLACEHOLDER.custom);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Replaces PII in text with typed placeholders (`[EMAIL]`, `[PHONE]`, `[CARD]`, `[IP]`,
 * `[SECRET]`, `[IBAN]`, `[SSN]`, and `[REDACTED]` for `extraPatterns`). Synchronous, offline,
 * and idempotent: redacting redacted text changes nothing.
 */
export class Redactor {
  private readonly steps: readonly RedactStep[];

  constructor(options: { enabled: boolean; extraPatterns: readonly string[] }) {
    // Our own patterns run first, so the built-in detectors cannot cut through them.
    this.steps = options.enabled ? [...options.extraPatterns.map(extraPatternStep), ...BUILT_IN] : [];
  }

  redact(text: string): string {
    // Replacing one match can expose PII that was glued to it (`a@b.deJOHN_DOE@c.org`), so
    // passes repeat until nothing changes: that makes redaction idempotent. Text without PII
    // takes one pass; the cap only guards against extra patterns that match their own placeholder.
    let out = text;
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      const next = this.steps.reduce((acc, step) => step(acc), out);
      if (next === out) break;
      out = next;
    }
    return out;
  }

  /**
   * Returns a copy of a JSON-like value with every string redacted; keys stay as they are.
   * A number whose digits are PII (a phone or card number sent as a JSON number) becomes
   * its placeholder string. Class instances (Date, Buffer…) are returned as they are.
   * Disabled, it returns `value` itself.
   */
  redactValue<T>(value: T): T {
    // The walk keeps the shape; only PII-bearing numbers change type, to a placeholder string.
    return this.steps.length === 0 ? value : (this.walk(value) as T);
  }

  private walk(value: unknown): unknown {
    if (typeof value === 'string') return this.redact(value);
    if (typeof value === 'number') {
      const digits = String(value);
      const redacted = this.redact(digits);
      return redacted === digits ? value : redacted;
    }
    if (Array.isArray(value)) return value.map((item: unknown) => this.walk(item));
    if (isPlainObject(value))
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, this.walk(item)]));
    return value;
  }
}
