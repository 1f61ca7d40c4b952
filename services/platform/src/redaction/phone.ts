import { type CountryCode, findPhoneNumbersInText, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { PLACEHOLDER, replaceSpans, type RedactStep } from './replace';

/*
 * Phone numbers: libphonenumber-js (a port of Google's libphonenumber with its full
 * metadata) decides what is a valid number. It is precise but slow (0.02–0.5 ms per number-like
 * string it examines), so a cheap regex first picks out runs of at least 7 digits with phone
 * punctuation, and only those are handed to it, one at a time.
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

type Span = [start: number, end: number];

interface Candidate {
  /** Offset of the candidate in the text. */
  readonly start: number;
  /** What libphonenumber sees: the candidate, with a leading `00` written as `+`. */
  readonly lookup: string;
  /** Characters `lookup` lost at its start (1 for `00` → `+`). */
  readonly shift: number;
}

function countDigits(text: string): number {
  let n = 0;
  for (const ch of text) if (ch >= '0' && ch <= '9') n++;
  return n;
}

function candidates(text: string): Candidate[] {
  const found: Candidate[] = [];
  for (const m of text.matchAll(CANDIDATE)) {
    if (countDigits(m[0]) < MIN_DIGITS || DATE.test(m[0])) continue;
    const shift = INTERNATIONAL_00.test(m[0]) ? 1 : 0;
    found.push({ start: m.index, lookup: shift ? `+${m[0].slice(2)}` : m[0], shift });
  }
  return found;
}

/** Numbers libphonenumber finds in the candidate, as spans of the text. */
function search(c: Candidate, defaultCountry: CountryCode): Span[] {
  // Usually the candidate is exactly one number: a parse confirms that in 20–100 µs. Only
  // otherwise does the matcher, several times slower, look for numbers inside it.
  if (parsePhoneNumberFromString(c.lookup, { defaultCountry, extract: false })?.isValid()) {
    return [[c.start, c.start + c.shift + c.lookup.length]];
  }
  return findPhoneNumbersInText(c.lookup, { defaultCountry })
    .filter((found) => countDigits(c.lookup.slice(found.startsAt, found.endsAt)) >= MIN_DIGITS)
    .map((found) => [
      c.start + (found.startsAt === 0 ? 0 : found.startsAt + c.shift),
      c.start + found.endsAt + c.shift,
    ]);
}

export const redactPhones: RedactStep = (text) => {
  if (!/\d/.test(text)) return text;
  // Candidates are disjoint and in order, and each yields the numbers of one search, so the
  // spans are too.
  const spans: Span[] = [];
  for (const c of candidates(text)) {
    // North American numbers never start with 0: trunk-prefixed runs are European or nothing.
    for (const country of TRUNK_PREFIX.test(c.lookup) ? TRUNK_COUNTRIES : [DEFAULT_COUNTRY]) {
      const found = search(c, country);
      spans.push(...found);
      if (found.length > 0) break;
    }
  }
  return spans.length === 0 ? text : replaceSpans(text, spans, PLACEHOLDER.phone);
};

/** Every pattern above, for the linear-time check (redaction.patterns.spec.ts). */
export const PHONE_PATTERNS: readonly RegExp[] = [CANDIDATE, DATE, INTERNATIONAL_00, TRUNK_PREFIX];
