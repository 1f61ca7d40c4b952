import { PLACEHOLDER, replaceMatches, replaceSpans, type RedactStep } from './replace';
import { charTest, runStart } from './scan';

/*
 * Dates of birth and street addresses. Both are ordinary text in most places (a date, a
 * number followed by words), so each needs its tell: a date is a date of birth only after
 * words that say so; an address is a house number, one to four capitalised words and a
 * street-type word (US/UK/Canada/Australia), or a German/Dutch/Scandinavian street name
 * ending in `straße`/`weg`/`laan`/`gatan`… followed by a house number. Bounded repetitions
 * and anchored starts keep both linear (redaction.patterns.spec.ts checks that).
 */

const MONTH = String.raw`(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?`;
const DATE = [
  String.raw`\d{4}[-/.]\d{1,2}[-/.]\d{1,2}`,
  String.raw`\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})`,
  String.raw`${MONTH} \d{1,2}(?:st|nd|rd|th)?,? \d{4}`,
  String.raw`\d{1,2}(?:st|nd|rd|th)?(?: of)? ${MONTH},? \d{4}`,
].join('|');

/** "date of birth: 1984-03-12", "DOB 03/12/1984", "born on 12 March 1984", "birthday is March 12, 1984". */
const DATE_OF_BIRTH = new RegExp(
  String.raw`\b((?:date[ _-]?of[ _-]?birth|birth[ _-]?date|dob|born(?: on| in)?|birthday|geburtsdatum|geboren(?: am)?)` +
    // `: `, `=`, `": "`, ` is `: one short run of separators, so no two runs trade characters.
    String.raw`[ \t:="]{0,6}(?:(?:is|was)[ \t]{1,3})?)(${DATE})(?![\w]|[./-]\d)`,
  'gi',
);

/** `street` → `[Ss]treet`: the address pattern is case-sensitive (its names are capitalised). */
function capitalisable(word: string): string {
  return `[${word.charAt(0).toUpperCase()}${word.charAt(0)}]${word.slice(1)}`;
}

const STREET_TYPE = [
  'street',
  'st',
  'avenue',
  'ave',
  'road',
  'rd',
  'boulevard',
  'blvd',
  'lane',
  'ln',
  'drive',
  'dr',
  'court',
  'ct',
  'way',
  'place',
  'pl',
  'terrace',
  'parkway',
  'pkwy',
  'circle',
  'cir',
  'highway',
  'hwy',
  'square',
  'sq',
  'close',
  'crescent',
]
  .map(capitalisable)
  .join('|');

/** `1600 Pennsylvania Avenue NW`, `221B Baker Street`, `10 Downing St., Apt 4`. */
const STREET_ADDRESS_EN = new RegExp(
  String.raw`(?<![\w.,/-])\d{1,6}[A-Za-z]?(?: [A-Z][A-Za-z'-]{0,30}){1,4} (?:${STREET_TYPE})\b\.?` +
    String.raw`(?: (?:N|S|E|W|NE|NW|SE|SW)\b)?(?:,? (?:${['apt', 'apartment', 'suite', 'ste', 'unit'].map(capitalisable).join('|')}|#) ?[\w-]{1,8})?`,
  'g',
);

const EU_SUFFIX =
  'straße|strasse|str\\.|weg|gasse|allee|platz|ring|damm|ufer|laan|straat|gracht|plein|gatan|vägen|gade|vej';

/** `Hauptstraße 12`, `Kastanienallee 3a`, `Keizersgracht 123`, `Drottninggatan 5`. Sticky: see below. */
const STREET_ADDRESS_EU = new RegExp(
  String.raw`(?<![\p{L}\p{N}])\p{Lu}[\p{Ll}-]{1,40}(?:${EU_SUFFIX}) \d{1,4}[a-z]?(?![\p{L}\p{N}])`,
  'uy',
);
/** Where a European street name can end: its suffix, a space and a digit. No Unicode classes. */
const EU_SUFFIX_NUMBER = new RegExp(String.raw`(?:${EU_SUFFIX}) \d`, 'g');
const MAX_EU_NAME_LOWER = 40;
const isLowerOrHyphen = charTest((code) => (code >= 97 && code <= 122) || code === 45, /^\p{Ll}$/u);

/**
 * The European pattern, tried at every capital letter of a text, took ~35 ms per MiB; instead
 * each `<suffix> <digit>` is found with a plain pattern, the name is followed back over its
 * lower-case letters to its capital, and the full pattern runs once from there.
 */
function euAddressSpans(text: string): [number, number][] {
  const spans: [number, number][] = [];
  let floor = 0;
  for (const m of text.matchAll(EU_SUFFIX_NUMBER)) {
    if (m.index < floor) continue;
    const lower = runStart(text, m.index, floor, isLowerOrHyphen, MAX_EU_NAME_LOWER);
    // The capital: one UTF-16 unit, or two for a letter outside the BMP.
    for (const start of [lower - 1, lower - 2]) {
      if (start < floor) continue;
      STREET_ADDRESS_EU.lastIndex = start;
      if (STREET_ADDRESS_EU.exec(text) === null) continue;
      spans.push([start, STREET_ADDRESS_EU.lastIndex]);
      floor = STREET_ADDRESS_EU.lastIndex;
      break;
    }
  }
  return spans;
}

const DIGIT = /\d/;

export const redactDatesOfBirth: RedactStep = (text) =>
  !DIGIT.test(text) ? text : replaceMatches(text, DATE_OF_BIRTH, (m) => `${m[1] ?? ''}${PLACEHOLDER.dob}`);

export const redactStreetAddresses: RedactStep = (text) => {
  if (!DIGIT.test(text)) return text;
  const out = replaceMatches(text, STREET_ADDRESS_EN, () => PLACEHOLDER.address);
  const spans = euAddressSpans(out);
  return spans.length === 0 ? out : replaceSpans(out, spans, PLACEHOLDER.address);
};

/** Every pattern above, for the linear-time check (redaction.patterns.spec.ts). */
export const PERSONAL_PATTERNS: readonly RegExp[] = [
  DATE_OF_BIRTH,
  STREET_ADDRESS_EN,
  new RegExp(STREET_ADDRESS_EU.source, 'gu'),
  EU_SUFFIX_NUMBER,
];
