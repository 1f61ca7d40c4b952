import { isIPv4, isIPv6 } from 'node:net';
import isIBAN from 'validator/lib/isIBAN';
import { PLACEHOLDER, replaceAnchored, replaceMatches, replaceSpans, type RedactStep } from './replace';
import { asciiRunStart, charTest, isAsciiDigit, isAsciiLetter, runStart } from './scan';

/*
 * PII with a fixed shape: a cheap regex finds candidates, a check confirms them (validator's
 * IBAN country formats and mod-97 checksum, a Luhn check, Node's own IP parsers), so
 * look-alike numbers in ordinary text stay.
 */

/** Started only at the first character of a local part found by scanning back from an `@`. */
const EMAIL = /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]+@(?:[\p{L}\p{N}-]+\.)+\p{L}{2,}/uy;
/** A character of a local part: `[\p{L}\p{N}._%+-]`. */
const isLocalChar = charTest(
  (code) =>
    isAsciiLetter(code) ||
    isAsciiDigit(code) ||
    code === 46 ||
    code === 95 ||
    code === 37 ||
    code === 43 ||
    code === 45,
  /^[\p{L}\p{N}]$/u,
);

// Each step first checks for a character its pattern cannot match without (`@`, a digit, `:`):
// a scan for one character is many times cheaper than the pattern's scan.
const DIGIT = /\d/;

/**
 * Whether the domain characters after `at` hold a `.` followed by two letters, which every
 * address has (its top-level domain): most `@` in code and adversarial text fail this, and
 * skip the pattern. Non-ASCII characters count as letters here; the pattern decides.
 */
function mayHaveDomain(text: string, at: number): boolean {
  for (let i = at + 1; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 46) {
      const [a, b] = [text.charCodeAt(i + 1), text.charCodeAt(i + 2)];
      if ((isAsciiLetter(a) || a >= 128) && (isAsciiLetter(b) || b >= 128)) return true;
    } else if (!(code >= 128 || isAsciiLetter(code) || isAsciiDigit(code) || code === 45)) return false;
  }
  return false;
}

/**
 * Emails are found from their `@`: for each, back to where its local part starts, then the
 * pattern once from there (sticky). A scan of the whole text with the pattern tried at every
 * letter took ~100 ms per MiB of prose. Each character is scanned back over at most once
 * (runs between two `@` are disjoint), so this stays linear.
 */
export const redactEmails: RedactStep = (text) => {
  const spans: [number, number][] = [];
  let floor = 0;
  for (let at = text.indexOf('@'); at >= 0; at = text.indexOf('@', at + 1)) {
    if (!mayHaveDomain(text, at)) continue;
    EMAIL.lastIndex = runStart(text, at, floor, isLocalChar);
    const match = EMAIL.exec(text);
    if (match === null) continue;
    spans.push([match.index, EMAIL.lastIndex]);
    floor = EMAIL.lastIndex;
    at = floor - 1;
  }
  return spans.length === 0 ? text : replaceSpans(text, spans, PLACEHOLDER.email);
};

/** Country code, check digits, then 11–30 characters, optionally in space-separated groups. */
const IBAN_CANDIDATE = /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b/gi;
const SHORTEST_IBAN = 15;

/** `remainder` followed by the IBAN digits of `ch` (a digit, or a letter as 10–35), mod 97. */
function mod97(remainder: number, ch: number): number {
  return ch <= 57 ? (remainder * 10 + ch - 48) % 97 : (remainder * 100 + ch - 55) % 97;
}

/**
 * The prefix lengths of `compact` whose mod-97 check passes (country and check digits moved
 * to the end), longest first: one pass instead of a full check per length. About 1 in 97
 * lengths passes, and only those go to validator's country-format check.
 */
function checksumLengths(compact: string): number[] {
  const passing: number[] = [];
  let bban = 0;
  for (let len = 5; len <= compact.length; len++) {
    bban = mod97(bban, compact.charCodeAt(len - 1));
    let r = bban;
    for (let i = 0; i < 4; i++) r = mod97(r, compact.charCodeAt(i));
    if (r === 1 && len >= SHORTEST_IBAN) passing.unshift(len);
  }
  return passing;
}

/** Length of the longest prefix of `candidate` that is a valid IBAN (it may run into the next words). */
function ibanLength(candidate: string): number {
  const compact = candidate.replace(/ /g, '').toUpperCase();
  for (const len of checksumLengths(compact)) {
    if (!isIBAN(compact.slice(0, len))) continue;
    // Map `len` compact characters back to a length in the spaced original.
    let seen = 0;
    for (let i = 0; i < candidate.length; i++) if (candidate[i] !== ' ' && ++seen === len) return i + 1;
  }
  return 0;
}

/**
 * A step for digit-bearing candidates of `pattern` whose first `length(candidate)` characters
 * (0: none) are PII, replaced by `placeholder`. A text that repeats a candidate (a log, a
 * pasted table, the same IBAN on every invoice line) checks it once.
 */
function checkedCandidates(pattern: RegExp, length: (candidate: string) => number, placeholder: string): RedactStep {
  return (text) => {
    if (!DIGIT.test(text)) return text;
    const lengths = new Map<string, number>();
    return replaceMatches(text, pattern, (m) => {
      let len = lengths.get(m[0]);
      if (len === undefined) lengths.set(m[0], (len = length(m[0])));
      return len === 0 ? undefined : placeholder + m[0].slice(len);
    });
  };
}

export const redactIbans: RedactStep = checkedCandidates(IBAN_CANDIDATE, ibanLength, PLACEHOLDER.iban);

/**
 * 13–19 digits, single spaces or dashes between them, first digit 2–6 (Mastercard, Amex,
 * Diners, JCB, Visa, Discover, UnionPay, Maestro; millisecond timestamps start with 1),
 * Luhn-valid. Not glued to other digits, words or decimal points. Dots separate digits only
 * in the printed 4-4-4-4 and Amex 4-6-5 layouts (`4111.1111.1111.1111`), so decimals stay.
 */
const CARD_CANDIDATE =
  /(?<![\w.+-])(?:[2-6]\d{3}(?:\.\d{4}){3}|3\d{3}\.\d{6}\.\d{5}|[2-6](?:[ -]?\d){12,18})(?!\w|[.-]\d)/g;

/** Whether the first `count` of `digits` (0–9 values) pass the Luhn check and are not all one digit. */
function isCardNumber(digits: readonly number[], count: number): boolean {
  if (count < 13 || count > 19) return false;
  let sum = 0;
  let same = true;
  for (let i = count - 1, double = false; i >= 0; i--, double = !double) {
    const d = digits[i] ?? 0;
    sum += double ? (d * 2 > 9 ? d * 2 - 9 : d * 2) : d;
    same &&= d === digits[0];
  }
  return sum % 10 === 0 && !same;
}

/**
 * Length of the longest card number in `candidate` ending at a group boundary (an expiry may
 * follow). One pass over the characters, no intermediate strings: a text of 27,000 candidates
 * (`4 4 4 …`) tries ~18 ends each. Luhn is inlined rather than taken from validator for that.
 */
function cardLength(candidate: string): number {
  const digits: number[] = [];
  /** [end offset, digits before it], longest first. */
  const ends: [number, number][] = [[candidate.length, 0]];
  for (let i = 0; i < candidate.length; i++) {
    const code = candidate.charCodeAt(i);
    if (code >= 48 && code <= 57) digits.push(code - 48);
    else if (i > 0) ends.push([i, digits.length]);
  }
  ends[0] = [candidate.length, digits.length];
  ends.sort((a, b) => b[0] - a[0]);
  return ends.find(([, count]) => isCardNumber(digits, count))?.[0] ?? 0;
}

export const redactCards: RedactStep = checkedCandidates(CARD_CANDIDATE, cardLength, PLACEHOLDER.card);

/** US SSN `AAA-GG-SSSS` (or spaced); never issued: area 000, 666 or 9xx, group 00, serial 0000. */
const SSN = /(?<![\w.-])(\d{3})([- ])(\d{2})\2(\d{4})(?!\w|[.-]\d)/g;
/**
 * Nine digits without separators are an SSN only where the text says so ("SSN 123456789",
 * "social security number: …"): elsewhere they are order numbers, ids, amounts.
 */
const SSN_NO_SEPARATOR =
  /\b((?:ssn|ss#|social[ -]security(?:[ -](?:number|no\.?|#))?)[^\w\n]{0,6}(?:(?:is|was|number|no\.?)[^\w\n]{0,6})?)(\d{3})(\d{2})(\d{4})(?![\w]|[.-]\d)/gi;

function issuedSsn(area: string, group: string, serial: string): boolean {
  return !(area === '000' || area === '666' || area.startsWith('9') || group === '00' || serial === '0000');
}

export const redactSsns: RedactStep = (text) => {
  if (!DIGIT.test(text)) return text;
  const out = replaceMatches(text, SSN, ([, area = '', , group = '', serial = '']) =>
    issuedSsn(area, group, serial) ? PLACEHOLDER.ssn : undefined,
  );
  return replaceMatches(out, SSN_NO_SEPARATOR, ([, context = '', area = '', group = '', serial = '']) =>
    issuedSsn(area, group, serial) ? context + PLACEHOLDER.ssn : undefined,
  );
};

const IPV4_CANDIDATE = /(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?!\w|\.\d)/g;
const IPV6_CANDIDATE =
  /(?<![\w:.])(?:[0-9a-f]{0,4}:){2,7}(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f]{0,4})(?![\w:])/gi;
/**
 * The candidate pattern, tried (sticky) only where a match can start: at the start of the run
 * of at most four hex digits before a colon (its first), where no `[\w:.]` precedes. Tried
 * at every hex digit of a text, the pattern took ~4 ms per MiB of prose.
 */
const IPV6_AT = new RegExp(IPV6_CANDIDATE.source, 'iy');
const isHexDigit = (code: number): boolean =>
  isAsciiDigit(code) || (code >= 65 && code <= 70) || (code >= 97 && code <= 102);
const isWordDotOrColon = (code: number): boolean =>
  isAsciiLetter(code) || isAsciiDigit(code) || code === 95 || code === 46 || code === 58;

function ipv6Start(text: string, colon: number, floor: number): number {
  const start = asciiRunStart(text, colon, Math.max(floor, colon - 5), isHexDigit);
  if (colon - start > 4) return -1;
  return start > 0 && isWordDotOrColon(text.charCodeAt(start - 1)) ? -1 : start;
}
/** "version 1.2.3.4" is a four-part version number, not an address (`v1.2.3.4` never matches). */
const VERSION_BEFORE = /\b(?:version|ver\.?|release|build)\s*$/i;
/** Loopback and unspecified addresses identify no one; keep them for technical questions. */
const NOT_PERSONAL_IP = /^(?:127\.|0\.0\.0\.0$|::1?$)/;

export const redactIps: RedactStep = (text) => {
  if (!DIGIT.test(text) && !text.includes(':')) return text;
  const v4 = replaceMatches(text, IPV4_CANDIDATE, (m) => {
    if (!isIPv4(m[0]) || NOT_PERSONAL_IP.test(m[0])) return undefined;
    return VERSION_BEFORE.test(text.slice(Math.max(0, m.index - 12), m.index)) ? undefined : PLACEHOLDER.ip;
  });
  if (!text.includes(':')) return v4;
  return replaceAnchored(
    v4,
    (from) => v4.indexOf(':', from),
    (colon, floor) => ipv6Start(v4, colon, floor),
    IPV6_AT,
    IPV6_CANDIDATE,
    (m) => (isIPv6(m[0]) && !NOT_PERSONAL_IP.test(m[0]) ? PLACEHOLDER.ip : undefined),
  );
};

/** Every pattern above, for the linear-time check (redaction.patterns.spec.ts). */
export const STRUCTURED_PATTERNS: readonly RegExp[] = [
  new RegExp(EMAIL.source, 'gu'),
  IBAN_CANDIDATE,
  CARD_CANDIDATE,
  SSN,
  SSN_NO_SEPARATOR,
  IPV4_CANDIDATE,
  IPV6_CANDIDATE,
  VERSION_BEFORE,
];
