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
  return replaceFrom(text, pattern, 0, '', 0, replacement);
}

/**
 * {@link replaceMatches} from `from` on, `replacedUpTo` being the replaced text before
 * `resume`, where the original text resumes. An `exec` loop on `pattern` itself (`matchAll`
 * would copy it for every call), so `pattern` is global and not used by `replacement`.
 */
function replaceFrom(
  text: string,
  pattern: RegExp,
  from: number,
  replacedUpTo: string,
  resume: number,
  replacement: (match: RegExpExecArray) => string | undefined,
): string {
  let out = replacedUpTo;
  let last = resume;
  pattern.lastIndex = from;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    if (match[0] === '') {
      pattern.lastIndex = match.index + 1;
      continue;
    }
    const replaced = replacement(match);
    if (replaced === undefined) continue;
    out += text.slice(last, match.index) + replaced;
    last = match.index + match[0].length;
  }
  // Matches are never empty, so `last` moved if and only if something was replaced.
  return last === 0 ? text : out + text.slice(last);
}

/** Past one anchor per this many characters, trying the pattern at every position is cheaper. */
const DENSE_ANCHOR_SPACING = 32;
/** Anchors seen before their density is judged. */
const DENSE_ANCHOR_MIN = 256;

/**
 * {@link replaceMatches} for a pattern tried only where a match can start, with the matches a
 * global scan with `scan` (the same pattern, global) finds. `nextAnchor(from)` gives, in increasing order, a position
 * (at or after `from`) that every match holds one of, each match its own, or -1 when none
 * is left; `startAt(anchor, floor)` gives the one position, not before `floor` (the end of the
 * previous match), where a match holding that anchor can start, increasing with the anchor, or
 * -1 when none can. `pattern` (sticky) is tried there only. Linear when finding an anchor and
 * its start reads each character a bounded number of times and the pattern's work per start is
 * bounded. Where anchors are dense (adversarial runs, JSON full of `:`), trying `scan` at every
 * position costs less than visiting each anchor: past one per {@link DENSE_ANCHOR_SPACING}
 * characters, the rest of the text is scanned that way, from the end of the last match, which
 * gives the same matches.
 */
export function replaceAnchored(
  text: string,
  nextAnchor: (from: number) => number,
  startAt: (anchor: number, floor: number) => number,
  pattern: RegExp,
  scan: RegExp,
  replacement: (match: RegExpExecArray) => string | undefined,
): string {
  let out = '';
  let last = 0;
  let floor = 0;
  let anchors = 0;
  for (let anchor = nextAnchor(0); anchor >= 0; anchor = nextAnchor(Math.max(floor, anchor + 1))) {
    if (++anchors > DENSE_ANCHOR_MIN && anchors * DENSE_ANCHOR_SPACING > anchor) {
      return replaceFrom(text, scan, floor, out, last, replacement);
    }
    const start = startAt(anchor, floor);
    if (start < 0) continue;
    pattern.lastIndex = start;
    const match = pattern.exec(text);
    if (match === null || match[0] === '') continue;
    floor = pattern.lastIndex;
    const replaced = replacement(match);
    if (replaced === undefined) continue;
    out += text.slice(last, start) + replaced;
    last = floor;
  }
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
