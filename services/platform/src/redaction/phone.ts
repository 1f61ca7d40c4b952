import { type CountryCode, findPhoneNumbersInText, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { PLACEHOLDER, replaceSpans, type RedactStep } from './replace';

/*
 * Phone numbers: libphonenumber-js (a port of Google's libphonenumber with its full
 * metadata) decides what is a valid number. It is precise but slow (0.02–0.5 ms per number-like
 * string it examines, up to 2 ms for a trunk-prefixed run tried against seven countries), so:
 * - a cheap regex first picks out runs of at least 7 digits with phone punctuation;
 * - a run with no `+`/`00`/trunk prefix is read as a US number, and one with fewer than 10
 *   digits cannot hold one (checked against libphonenumber on random runs): never looked up;
 * - a run seen before in the same text reuses its answer (logs repeat numbers);
 * - past {@link MAX_LOOKUPS} library calls for one text, the remaining runs are replaced
 *   unverified: a text made of 35,000 phone-shaped runs would otherwise take a minute. That
 *   errs towards redacting too much, never too little.
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

type Span = [start: number, end: number];

interface Candidate {
  /** Offset of the candidate in the text. */
  readonly start: number;
  /** What libphonenumber sees: the candidate, with a leading `00` written as `+`. */
  readonly lookup: string;
  /** Characters `lookup` lost at its start (1 for `00` → `+`). */
  readonly shift: number;
  readonly digits: number;
}

function countDigits(text: string): number {
  let n = 0;
  for (const ch of text) if (ch >= '0' && ch <= '9') n++;
  return n;
}

function candidates(text: string): Candidate[] {
  const found: Candidate[] = [];
  for (const m of text.matchAll(CANDIDATE)) {
    const digits = countDigits(m[0]);
    if (digits < MIN_DIGITS || DATE.test(m[0])) continue;
    const shift = INTERNATIONAL_00.test(m[0]) ? 1 : 0;
    found.push({ start: m.index, lookup: shift ? `+${m[0].slice(2)}` : m[0], shift, digits });
  }
  return found;
}

/** Counts library calls for one text; {@link MAX_LOOKUPS} bounds them. */
interface Budget {
  calls: number;
}

/** Numbers libphonenumber finds in the candidate, as spans relative to its start. */
function search(c: Candidate, defaultCountry: CountryCode, budget: Budget): Span[] {
  // Usually the candidate is exactly one number: a parse confirms that in 20–100 µs. Only
  // otherwise does the matcher, several times slower, look for numbers inside it.
  budget.calls++;
  if (parsePhoneNumberFromString(c.lookup, { defaultCountry, extract: false })?.isValid()) {
    return [[0, c.shift + c.lookup.length]];
  }
  budget.calls++;
  return findPhoneNumbersInText(c.lookup, { defaultCountry })
    .filter((found) => countDigits(c.lookup.slice(found.startsAt, found.endsAt)) >= MIN_DIGITS)
    .map((found) => [found.startsAt === 0 ? 0 : found.startsAt + c.shift, found.endsAt + c.shift]);
}

/** The numbers in one candidate (relative spans): looked up, or the whole run once over budget. */
function numbersIn(c: Candidate, budget: Budget): Span[] {
  const trunk = TRUNK_PREFIX.test(c.lookup);
  if (!trunk && !c.lookup.startsWith('+') && c.digits < US_DIGITS) return [];
  if (budget.calls >= MAX_LOOKUPS) return [[0, c.shift + c.lookup.length]];
  // North American numbers never start with 0: trunk-prefixed runs are European or nothing.
  for (const country of trunk ? TRUNK_COUNTRIES : [DEFAULT_COUNTRY]) {
    const found = search(c, country, budget);
    if (found.length > 0) return found;
  }
  return [];
}

export const redactPhones: RedactStep = (text) => {
  if (!/\d/.test(text)) return text;
  // Candidates are disjoint and in order, and each yields the numbers of one search, so the
  // spans are too.
  const spans: Span[] = [];
  const seen = new Map<string, Span[]>();
  const budget: Budget = { calls: 0 };
  for (const c of candidates(text)) {
    let found = seen.get(c.lookup);
    if (found === undefined) {
      found = numbersIn(c, budget);
      seen.set(c.lookup, found);
    }
    for (const [start, end] of found) spans.push([c.start + start, c.start + end]);
  }
  return spans.length === 0 ? text : replaceSpans(text, spans, PLACEHOLDER.phone);
};

/** Every pattern above, for the linear-time check (redaction.patterns.spec.ts). */
export const PHONE_PATTERNS: readonly RegExp[] = [CANDIDATE, DATE, INTERNATIONAL_00, TRUNK_PREFIX];
