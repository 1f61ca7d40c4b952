import { isIPv4, isIPv6 } from 'node:net';
import isIBAN from 'validator/lib/isIBAN';
import isLuhnNumber from 'validator/lib/isLuhnNumber';
import { PLACEHOLDER, replaceMatches, type RedactStep } from './replace';

/*
 * PII with a fixed shape: a cheap regex finds candidates, a check confirms them (validator's
 * IBAN country formats and mod-97 checksum, its Luhn check, Node's own IP parsers), so
 * look-alike numbers in ordinary text stay.
 */

const EMAIL = /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]+@(?:[\p{L}\p{N}-]+\.)+\p{L}{2,}/gu;

// Each step first checks for a character its pattern cannot match without (`@`, a digit, `:`):
// a scan for one character is many times cheaper than the pattern's scan.
const DIGIT = /\d/;

export const redactEmails: RedactStep = (text) =>
  text.includes('@') ? replaceMatches(text, EMAIL, () => PLACEHOLDER.email) : text;

/** Country code, check digits, then 11–30 characters, optionally in space-separated groups. */
const IBAN_CANDIDATE = /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b/gi;
const SHORTEST_IBAN = 15;

/** Length of the longest prefix of `candidate` that is a valid IBAN (it may run into the next words). */
function ibanLength(candidate: string): number {
  const compact = candidate.replace(/ /g, '').toUpperCase();
  for (let len = compact.length; len >= SHORTEST_IBAN; len--) {
    if (!isIBAN(compact.slice(0, len))) continue;
    // Map `len` compact characters back to a length in the spaced original.
    let seen = 0;
    for (let i = 0; i < candidate.length; i++) if (candidate[i] !== ' ' && ++seen === len) return i + 1;
  }
  return 0;
}

export const redactIbans: RedactStep = (text) =>
  !DIGIT.test(text)
    ? text
    : replaceMatches(text, IBAN_CANDIDATE, (m) => {
        const len = ibanLength(m[0]);
        return len === 0 ? undefined : PLACEHOLDER.iban + m[0].slice(len);
      });

/**
 * 13–19 digits, single spaces or dashes between them, first digit 2–6 (Mastercard, Amex,
 * Diners, JCB, Visa, Discover, UnionPay, Maestro; millisecond timestamps start with 1),
 * Luhn-valid. Not glued to other digits, words or decimal points. Dots separate digits only
 * in the printed 4-4-4-4 and Amex 4-6-5 layouts (`4111.1111.1111.1111`), so decimals stay.
 */
const CARD_CANDIDATE =
  /(?<![\w.+-])(?:[2-6]\d{3}(?:\.\d{4}){3}|3\d{3}\.\d{6}\.\d{5}|[2-6](?:[ -]?\d){12,18})(?!\w|[.-]\d)/g;
const CARD_SEPARATOR = /[ .-]/g;

function isCardNumber(digits: string): boolean {
  return digits.length >= 13 && digits.length <= 19 && isLuhnNumber(digits) && !/^(\d)\1+$/.test(digits);
}

/** Length of the longest card number in `candidate` ending at a group boundary (an expiry may follow). */
function cardLength(candidate: string): number {
  const ends = [candidate.length];
  for (let i = candidate.length - 1; i > 0; i--)
    if (candidate[i] === ' ' || candidate[i] === '-' || candidate[i] === '.') ends.push(i);
  return ends.find((end) => isCardNumber(candidate.slice(0, end).replace(CARD_SEPARATOR, ''))) ?? 0;
}

export const redactCards: RedactStep = (text) =>
  !DIGIT.test(text)
    ? text
    : replaceMatches(text, CARD_CANDIDATE, (m) => {
        const len = cardLength(m[0]);
        return len === 0 ? undefined : PLACEHOLDER.card + m[0].slice(len);
      });

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
  return replaceMatches(v4, IPV6_CANDIDATE, (m) =>
    isIPv6(m[0]) && !NOT_PERSONAL_IP.test(m[0]) ? PLACEHOLDER.ip : undefined,
  );
};

/** Every pattern above, for the linear-time check (redaction.patterns.spec.ts). */
export const STRUCTURED_PATTERNS: readonly RegExp[] = [
  EMAIL,
  IBAN_CANDIDATE,
  CARD_CANDIDATE,
  SSN,
  SSN_NO_SEPARATOR,
  IPV4_CANDIDATE,
  IPV6_CANDIDATE,
  VERSION_BEFORE,
];
