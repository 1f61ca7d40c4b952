/** The token each kind of PII is replaced with. Placeholders hold no digits, `@`, `:` or
 * `=`, so no detector matches one: redacting twice gives the same text as redacting once. */
export const PLACEHOLDER = {
  secret: '[SECRET]',
  email: '[EMAIL]',
  iban: '[IBAN]',
  card: '[CARD]',
  ssn: '[SSN]',
  ip: '[IP]',
  phone: '[PHONE]',
  dob: '[DOB]',
  address: '[ADDRESS]',
  custom: '[REDACTED]',
  /** What stood past a field's size cap (`max_field_chars`), replaced unread. */
  oversize: '[OVERSIZE]',
} as const;

export type PiiType = keyof typeof PLACEHOLDER;

/**
 * What one `redact()` call carries from pass to pass: the phone lookups' budget and answers
 * (see phone.ts), so a second pass over the same text neither repeats a lookup nor gets a
 * fresh budget, and how many phone-shaped runs were replaced unverified (a metric).
 */
export interface RedactRun {
  /** libphonenumber calls made for this text. */
  phoneCalls: number;
  /** Each looked-up candidate's numbers, as spans relative to the candidate (made on first use). */
  phoneAnswers: Map<string, readonly (readonly [number, number])[]> | undefined;
  /** Phone-shaped runs replaced by `[PHONE]` without a lookup, once the budget ran out. */
  unverifiedPhones: number;
}

export function newRedactRun(): RedactRun {
  return { phoneCalls: 0, phoneAnswers: undefined, unverifiedPhones: 0 };
}

/** One detector: takes text, returns it with what it found replaced by placeholders. */
export type RedactStep = (text: string, run: RedactRun) => string;

/**
 * Replaces every match of a global `pattern` with what `replacement` returns for it;
 * `undefined` keeps the match (a candidate the detector's check rejected). Empty matches
 * are always kept, so a pattern that can match nothing cannot insert placeholders.
 */
export function replaceMatches(
  text: string,
  pattern: RegExp,
  replacement: (match: RegExpExecArray) => string | undefined,
): string {
  let out = '';
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    if (match[0] === '') continue;
    const replaced = replacement(match);
    if (replaced === undefined) continue;
    out += text.slice(last, match.index) + replaced;
    last = match.index + match[0].length;
  }
  // Matches are never empty, so `last` moved if and only if something was replaced.
  return last === 0 ? text : out + text.slice(last);
}

/** Replaces the half-open character ranges `spans` (sorted, non-overlapping) with `placeholder`. */
export function replaceSpans(
  text: string,
  spans: readonly (readonly [number, number])[],
  placeholder: string,
): string {
  let out = '';
  let last = 0;
  for (const [start, end] of spans) {
    out += text.slice(last, start) + placeholder;
    last = end;
  }
  return out + text.slice(last);
}

const FULL_WIDTH_RUN = /[\uff01-\uff5e\u3000]+/g;

/** One run of full-width characters as ASCII, in one pass over its char codes. */
function foldRun(run: string): string {
  const codes = new Uint16Array(run.length);
  for (let i = 0; i < run.length; i++) {
    const code = run.charCodeAt(i);
    codes[i] = code === 0x3000 ? 0x20 : code - 0xfee0;
  }
  return Buffer.from(codes.buffer, codes.byteOffset, codes.byteLength).toString('utf16le');
}

/**
 * Full-width forms (U+FF01–U+FF5E: `１２３`, `＠`, `ｓｋ－`) as their ASCII twins, and the
 * ideographic space as a space: the same character count, so detectors written for ASCII
 * see `４１１１ １１１１ …` as the card number it is. Other text is returned as it is. Folded
 * a run at a time: a callback per character took 1.5 s for 1 MiB of full-width text.
 */
export function foldFullWidth(text: string): string {
  return text.replace(FULL_WIDTH_RUN, foldRun);
}
