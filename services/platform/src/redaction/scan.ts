/*
 * Scanning back from a cheap anchor (an `@`, a street suffix) to where a match may start, so
 * a detector's pattern runs once per anchor (sticky) instead of being tried at every letter.
 */

/** The code point that ends just before `end`, and its width in UTF-16 units. */
function codePointBefore(text: string, end: number): [codePoint: number, width: number] {
  const low = text.charCodeAt(end - 1);
  if (low >= 0xdc00 && low <= 0xdfff && end >= 2) {
    const high = text.charCodeAt(end - 2);
    if (high >= 0xd800 && high <= 0xdbff) return [(high - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000, 2];
  }
  return [low, 1];
}

/**
 * A test for one code point: ASCII by `ascii` (no allocation), everything else by `other`
 * (a Unicode property class, applied to the character).
 */
export function charTest(ascii: (code: number) => boolean, other: RegExp): (codePoint: number) => boolean {
  return (codePoint) => (codePoint < 128 ? ascii(codePoint) : other.test(String.fromCodePoint(codePoint)));
}

/**
 * Start of the run of characters passing `accepts` that ends at `end`: not before `floor`
 * and at most `max` characters long.
 */
export function runStart(
  text: string,
  end: number,
  floor: number,
  accepts: (codePoint: number) => boolean,
  max = Number.MAX_SAFE_INTEGER,
): number {
  let start = end;
  for (let n = 0; n < max && start > floor; n++) {
    const [codePoint, width] = codePointBefore(text, start);
    if (!accepts(codePoint)) break;
    start -= width;
  }
  return start;
}

export const isAsciiLetter = (code: number): boolean =>
  (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
export const isAsciiDigit = (code: number): boolean => code >= 48 && code <= 57;

/**
 * Start of the run of ASCII characters passing `accepts` that ends at `end`, not before
 * `floor`: {@link runStart} for classes without non-ASCII members, one char code at a time.
 */
export function asciiRunStart(text: string, end: number, floor: number, accepts: (code: number) => boolean): number {
  let start = end;
  while (start > floor && accepts(text.charCodeAt(start - 1))) start--;
  return start;
}

/**
 * Where the next match of `pattern` (global, never empty) at or after `from` ends, or -1. A
 * `test`, not an `exec`: no match array per call.
 */
export function nextMatchEnd(text: string, pattern: RegExp, from: number): number {
  pattern.lastIndex = from;
  return pattern.test(text) ? pattern.lastIndex : -1;
}
