import type * as PhoneLibrary from 'libphonenumber-js/max';
import type { CountryCode } from 'libphonenumber-js/max';
import { PLACEHOLDER, replaceSpans, type RedactRun, type RedactStep } from './replace';

/*
 * Phone numbers: libphonenumber-js (a port of Google's libphonenumber with its full
 * metadata) decides what is a valid number. It is precise but slow (0.02–0.5 ms per number-like
 * string it examines, up to 2 ms for a trunk-prefixed run tried against seven countries), so:
 * - a cheap regex first picks out runs of at least 7 digits with phone punctuation;
 * - a run with no `+`/`00`/trunk prefix is read as a US number, and one with fewer than 10
 *   digits cannot hold one (checked against libphonenumber on random runs): never looked up;
 * - a run seen before in the same text reuses its answer (logs repeat numbers), in every pass
 *   of the same `redact()` call;
 * - past {@link MAX_LOOKUPS} library calls for one text (all its passes together), the
 *   remaining runs are replaced unverified and counted: a text made of 35,000 phone-shaped
 *   runs would otherwise take a minute. That errs towards redacting too much, never too little.
 * Candidates are read with char codes off the text: no string per candidate unless it is looked up.
 */

/** `+`/`(`, then digits, spaces, dots, dashes, slashes and parentheses, ending in a digit. */
const CANDIDATE = /(?<![\w.+/-])(?:\+[ \t]?)?\(?\d[\d \t\u00a0()./-]{5,28}\d(?!\w)/g;
const MIN_DIGITS = 7;
/** Dates have enough digits to look like phone numbers: never hand them over. */
const DATE = /^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})$/;
/** `0049 30 …` is `+49 30 …` written with the international prefix. */
const INTERNATIONAL_00 = /^00[1-9]/;
/** Starts with a national trunk prefix (`030 …`, `07911 …`, `(06) …`): try European countries too. */
const TRUNK_PREFIX = /^\(?0[1-9]/;
/** International numbers (`+…`, `00…`) are found with any default; national ones need their country. */
const DEFAULT_COUNTRY: CountryCode = 'US';
/** Only for trunk-prefixed candidates: their numbering plans accept many plain digit runs. */
const TRUNK_COUNTRIES: readonly CountryCode[] = ['GB', 'DE', 'FR', 'NL', 'BE', 'AT', 'CH'];
/** A national significant US number has 10 digits: shorter runs without a prefix are no number. */
const US_DIGITS = 10;
/** libphonenumber calls (parse or search) per text, about 0.03–0.3 ms each; see the top. */
export const MAX_LOOKUPS = 256;

type Span = readonly [start: number, end: number];

let library: typeof PhoneLibrary | undefined;
/**
 * libphonenumber-js with its full metadata (~9 MB of RSS), loaded by the first enabled Redactor,
 * not by importing the platform: a gateway without `redaction: at_source` routes never loads it.
 */
export function phoneLibrary(): typeof PhoneLibrary {
  // a synchronous require: redaction is synchronous (Redactor's constructor calls this first)
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  library ??= require('libphonenumber-js/max') as typeof PhoneLibrary;
  return library;
}
const ZERO = 48;
const PLUS = 43;

function countDigits(text: string, start = 0, end = text.length): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code >= ZERO && code <= ZERO + 9) n++;
  }
  return n;
}

/** The candidate `raw` as libphonenumber sees it: a leading `00` written as `+`. */
interface Candidate {
  readonly lookup: string;
  /** Characters `lookup` lost at its start (1 for `00` → `+`). */
  readonly shift: number;
}

/** Numbers libphonenumber finds in the candidate, as spans relative to its start. */
function search(c: Candidate, defaultCountry: CountryCode, run: RedactRun): Span[] {
  // Usually the candidate is exactly one number: a parse confirms that in 20–100 µs. Only
  // otherwise does the matcher, several times slower, look for numbers inside it.
  const { findPhoneNumbersInText, parsePhoneNumberFromString } = phoneLibrary();
  run.phoneCalls++;
  if (parsePhoneNumberFromString(c.lookup, { defaultCountry, extract: false })?.isValid()) {
    return [[0, c.shift + c.lookup.length]];
  }
  run.phoneCalls++;
  return findPhoneNumbersInText(c.lookup, { defaultCountry })
    .filter((found) => countDigits(c.lookup, found.startsAt, found.endsAt) >= MIN_DIGITS)
    .map((found) => [found.startsAt === 0 ? 0 : found.startsAt + c.shift, found.endsAt + c.shift]);
}

/** Looks the candidate up (for each country its prefix allows) until a number is found. */
function lookUp(c: Candidate, trunk: boolean, run: RedactRun): Span[] {
  // North American numbers never start with 0: trunk-prefixed runs are European or nothing.
  for (const country of trunk ? TRUNK_COUNTRIES : [DEFAULT_COUNTRY]) {
    const found = search(c, country, run);
    if (found.length > 0) return found;
  }
  return [];
}

/**
 * The numbers in the candidate `raw` (relative spans): its memoised answer, a lookup, the
 * whole run once the budget is spent, or none when it cannot be a number.
 */
function numbersIn(raw: string, run: RedactRun): readonly Span[] {
  const trunk = TRUNK_PREFIX.test(raw);
  const international = INTERNATIONAL_00.test(raw);
  if (!trunk && !international && raw.charCodeAt(0) !== PLUS && countDigits(raw) < US_DIGITS) return [];
  if (DATE.test(raw)) return [];
  const shift = international ? 1 : 0;
  const lookup = international ? `+${raw.slice(2)}` : raw;
  const answers = (run.phoneAnswers ??= new Map());
  let found = answers.get(lookup);
  if (found !== undefined) return found;
  if (run.phoneCalls >= MAX_LOOKUPS) {
    run.unverifiedPhones++;
    return [[0, raw.length]];
  }
  found = lookUp({ lookup, shift }, trunk, run);
  answers.set(lookup, found);
  return found;
}

export const redactPhones: RedactStep = (text, run) => {
  if (!/\d/.test(text)) return text;
  // Candidates are disjoint and in order, and each yields the numbers of one search, so the
  // spans are too.
  const spans: Span[] = [];
  CANDIDATE.lastIndex = 0;
  for (let m = CANDIDATE.exec(text); m !== null; m = CANDIDATE.exec(text)) {
    const start = m.index;
    if (countDigits(text, start, CANDIDATE.lastIndex) < MIN_DIGITS) continue;
    for (const [from, to] of numbersIn(m[0], run)) spans.push([start + from, start + to]);
  }
  return spans.length === 0 ? text : replaceSpans(text, spans, PLACEHOLDER.phone);
};

/** Every pattern above, for the linear-time check (redaction.patterns.spec.ts). */
export const PHONE_PATTERNS: readonly RegExp[] = [CANDIDATE, DATE, INTERNATIONAL_00, TRUNK_PREFIX];
