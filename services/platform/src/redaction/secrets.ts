import { PLACEHOLDER, replaceAnchored, replaceMatches, type RedactStep } from './replace';
import { asciiRunStart, isAsciiDigit, isAsciiLetter, nextMatchEnd } from './scan';

/*
 * API keys, tokens and passwords. No npm library does this offline, synchronously and on
 * Node 20 (secretlint's rule packages are async, file-oriented and need Node 22), so these
 * are our own patterns, shaped after the providers' documented token formats (the same
 * shapes secret scanners such as gitleaks and GitHub secret scanning look for).
 */

const SECRET = PLACEHOLDER.secret;

/** Tokens whose prefix says what they are: redacted whole wherever they stand. */
const PREFIXED_TOKEN_PARTS: readonly string[] = [
  // PEM private keys, up to the END line or, when truncated, the end of the text.
  String.raw`-----BEGIN[A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END[A-Z ]*PRIVATE KEY-----|$)`,
  // JWT / JWS: base64url JSON header and payload (both start `{"` = `eyJ`), signature.
  // Anchored after a non-token character, so a run like `eyJ-eyJ-…` is tried once, not per `eyJ`.
  // Only the start is matched here; `tokenEnd` follows the segments (see there).
  String.raw`(?<![\w-])eyJ[\w-]{8}`,
  // OpenAI (`sk-`, `sk-proj-`, `sk-svcacct-`) and Anthropic (`sk-ant-api03-`): with a digit,
  // so hyphenated words after "sk-" stay (checked in `redactPrefixed`: a lookahead here would
  // rescan the rest of a run like `sk-sk-sk-…` at every `sk-`, quadratic time). The start only.
  String.raw`\bsk-[\w-]{20}`,
  // Stripe secret, restricted and publishable keys; webhook signing secrets.
  String.raw`\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,}`,
  String.raw`\bwhsec_[A-Za-z0-9]{20,}`,
  // AWS access key ids.
  String.raw`\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b`,
  // GitHub personal, OAuth, user-to-server, server-to-server and refresh tokens; fine-grained PATs.
  String.raw`\bgh[pousr]_[A-Za-z0-9]{36,}`,
  String.raw`\bgithub_pat_\w{22,}`,
  // GitLab personal access tokens.
  String.raw`\bglpat-[\w-]{20,}`,
  // Slack bot, user, app and refresh tokens; incoming webhook URLs.
  String.raw`\bxox[abeoprs]-[A-Za-z0-9-]{10,}`,
  String.raw`https://hooks\.slack\.com/services/[\w/-]+`,
  // Google API keys, npm tokens, Hugging Face tokens, SendGrid keys.
  String.raw`\bAIza[\w-]{35}`,
  String.raw`\bnpm_[A-Za-z0-9]{36}`,
  String.raw`\bhf_[A-Za-z0-9]{30,}`,
  String.raw`\bSG\.[\w-]{16,}\.[\w-]{16,}`,
];
/**
 * The parts as one pattern, those that start at a word boundary grouped behind one `\b`: no two
 * parts can match at the same position (their prefixes differ), so the order is free, and the
 * scan fails at once inside words (~1 ms per MiB of prose less than each part testing `\b`).
 */
const PREFIXED_TOKEN = new RegExp(
  [
    ...PREFIXED_TOKEN_PARTS.filter((part) => !part.startsWith(String.raw`\b`)),
    String.raw`\b(?:${PREFIXED_TOKEN_PARTS.filter((part) => part.startsWith(String.raw`\b`))
      .map((part) => part.slice(2))
      .join('|')})`,
  ].join('|'),
  'g',
);

/** `scheme://user:password@host`: the password goes, the rest of the URL stays. */
const URL_PASSWORD = /(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)([^\s@/[\]]+)(?=@)/gi;

/** Tried (sticky) once per `://`, from the start of the scheme before it; see {@link replaceAnchored}. */
const URL_PASSWORD_AT = new RegExp(URL_PASSWORD.source, 'iy');
const isSchemeChar = (code: number): boolean =>
  isAsciiLetter(code) || isAsciiDigit(code) || code === 43 || code === 46 || code === 45;

/** `Authorization: Bearer …` (header, JSON or code): the credential goes whatever its shape. */
const AUTHORIZATION =
  /\b(authorization["']?[ \t]*[:=][ \t]*["']?(?:(?:bearer|basic|token|digest)\s+)?)([^\s"',;[\]]{8,})/gi;

/** A bare `Bearer <token>` in prose or logs. */
const BEARER = /\b(bearer\s+)([\w.~+/-]{16,}=*)/gi;

/** Names whose value is a secret in `name=value`, `name: value`, `"name": "value"`, `name => value`. */
const SECRET_NAMES = [
  'password',
  'passwd',
  'passphrase',
  'passcode',
  String.raw`(?:client|api|app)[_-]?secret`,
  String.raw`secret(?:[_-]?key)?`,
  String.raw`api[_-]?key`,
  'apikey',
  String.raw`access[_-]?key(?:[_-]?id)?`,
  String.raw`(?:access|refresh|auth|id|session)[_-]?token`,
  'token',
  String.raw`session[_-]?id`,
  String.raw`private[_-]?key`,
  'credentials?',
].join('|');

const ASSIGNMENT = new RegExp(
  // group 1: optional name prefix (`aws_`, `x-`, `OPENAI_`), the name (group 2) and the separator.
  // Starts only where no name character precedes: `\b` would restart inside every segment of
  // `a-a-a-…` and rescan the rest, quadratic time.
  String.raw`(?<![a-z0-9_.-])((?:[a-z0-9]+[_.-])*?(${SECRET_NAMES})["']?[ \t]*(?::|=>|=)[ \t]*)` +
    // group 3: a quoted value (kept whole, spaces included) or an unquoted run.
    String.raw`("[^"\n]*"|'[^'\n]*'|[^\s"'\`,;&<>()[\]{}]+)`,
  'gi',
);

/**
 * A match's name is followed by a separator and ends a run of name characters
 * (`[a-z0-9_.-]`), which the match starts: the pattern is tried (sticky) once per name found
 * before a separator, at its run's start, instead of at every word (~4 ms per MiB of prose).
 */
const ASSIGNMENT_AT = new RegExp(ASSIGNMENT.source, 'iy');
const NAME_BEFORE_SEPARATOR = new RegExp(String.raw`(?:${SECRET_NAMES})(?=["']?[ \t]*(?::|=>|=))`, 'gi');
const isNameChar = (code: number): boolean =>
  isAsciiLetter(code) || isAsciiDigit(code) || code === 95 || code === 46 || code === 45;

/** "my password is hunter2": natural language, so only values that are no plain word. */
const PASSWORD_IN_PROSE =
  /\b((?:password|passcode|passwd|pin)\s+(?:is|was)(?:\s*:)?\s+)([^\s"'`,;]*[^\s"'`,;.!?])/gi;

const PASSWORD_NAME = /^pass/i;
const NOT_A_VALUE = /^(?:true|false|null|none|undefined|required|optional|string|\*+)$/i;
const DOTTED_PATH = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/;
const PLACEHOLDERS: ReadonlySet<string> = new Set(Object.values(PLACEHOLDER));

/** Random-looking: letters and digits mixed, or long with both cases (base64 without digits). */
function looksRandom(value: string): boolean {
  const digits = /\d/.test(value);
  const letters = /[A-Za-z]/.test(value);
  return (
    (value.length >= 8 && digits && letters) ||
    (value.length >= 20 && /[a-z]/.test(value) && /[A-Z]/.test(value))
  );
}

/** In code, `password: req.body.password` and `password = input(…)` hold no secret. */
function isCodeReference(match: RegExpExecArray, value: string): boolean {
  return DOTTED_PATH.test(value) || match.input.charAt(match.index + match[0].length) === '(';
}

function redactAssignedValue(match: RegExpExecArray): string | undefined {
  const [, prefix = '', name = '', raw = ''] = match;
  const quote = raw.startsWith('"') || raw.startsWith("'") ? raw.charAt(0) : '';
  const value = quote ? raw.slice(1, -1) : raw;
  if (value === '' || PLACEHOLDERS.has(value) || NOT_A_VALUE.test(value)) return undefined;
  if (!quote && isCodeReference(match, value)) return undefined;
  // Any password is a secret; for other names only a random-looking value is (not `token: 5`).
  const secret = PASSWORD_NAME.test(name) ? value.length >= 3 : looksRandom(value);
  return secret ? `${prefix}${quote}${SECRET}${quote}` : undefined;
}

/** Every pattern above, for the linear-time check (redaction.patterns.spec.ts). */
export const SECRET_PATTERNS: readonly RegExp[] = [
  // One alternative at a time: each is tried on its own at a position, so the alternation is
  // linear when each alternative is (and the checker times out on the whole).
  ...PREFIXED_TOKEN_PARTS.map((part) => new RegExp(part, PREFIXED_TOKEN.flags)),
  URL_PASSWORD,
  AUTHORIZATION,
  BEARER,
  ASSIGNMENT,
  NAME_BEFORE_SEPARATOR,
  PASSWORD_IN_PROSE,
];

function isTokenChar(code: number): boolean {
  return isAsciiLetter(code) || isAsciiDigit(code) || code === 95 || code === 45;
}

/** End of the run of `[\w-]` characters starting at `from`. */
function runEnd(text: string, from: number): number {
  let end = from;
  while (end < text.length && isTokenChar(text.charCodeAt(end))) end++;
  return end;
}

/**
 * Where the token whose start `match` found ends, or -1 when it is none. `sk-` keys and JWT
 * segments are followed with a loop over char codes, not a pattern: a pattern's `[\w-]{20,}`
 * over a 1 MiB run (`sk-sk-sk-…`, `eyJ-eyJ-…`) records a backtracking point per character,
 * and took 100–200 ms where this loop takes 2.
 */
function tokenEnd(text: string, match: RegExpExecArray): number {
  const end = match.index + match[0].length;
  if (match[0].startsWith('sk-')) return runEnd(text, end);
  if (!match[0].startsWith('eyJ')) return end;
  // JWT: header `eyJ[\w-]{8,}`, `.`, payload `eyJ[\w-]{8,}`, `.`, signature `[\w-]*`.
  const header = runEnd(text, end);
  if (!text.startsWith('.eyJ', header)) return -1;
  const payload = runEnd(text, header + 4);
  if (payload - (header + 4) < 8 || text.charAt(payload) !== '.') return -1;
  return runEnd(text, payload + 1);
}

/** Prefixed tokens; `sk-` keys hold a digit, `sk-learn-style-words` do not. */
function redactPrefixed(text: string): string {
  let out = '';
  let last = 0;
  PREFIXED_TOKEN.lastIndex = 0;
  for (let match = PREFIXED_TOKEN.exec(text); match !== null; match = PREFIXED_TOKEN.exec(text)) {
    const end = tokenEnd(text, match);
    if (end < 0) continue;
    PREFIXED_TOKEN.lastIndex = end;
    if (match[0].startsWith('sk-') && !/\d/.test(text.slice(match.index, end))) continue;
    out += text.slice(last, match.index) + SECRET;
    last = end;
  }
  return last === 0 ? text : out + text.slice(last);
}

/** The start of the run ending at `end` of characters passing `accepts`, if the run can start a match. */
function runStartAfter(text: string, end: number, floor: number, accepts: (code: number) => boolean): number {
  const start = asciiRunStart(text, end, floor, accepts);
  // The patterns' look-behind: no run character before the start.
  return start > 0 && accepts(text.charCodeAt(start - 1)) ? -1 : start;
}

/** Passwords in URLs, tried at the start of the scheme before each `://`. */
function redactUrlPasswords(text: string): string {
  return replaceAnchored(
    text,
    (from) => text.indexOf('://', from),
    (separator, floor) => runStartAfter(text, separator, floor, isSchemeChar),
    URL_PASSWORD_AT,
    URL_PASSWORD,
    (m) => `${m[1]}${SECRET}`,
  );
}

/** Secret assignments, tried at the start of each run of name characters that ends in a name. */
function redactAssignments(text: string): string {
  return replaceAnchored(
    text,
    (from) => nextMatchEnd(text, NAME_BEFORE_SEPARATOR, from),
    (nameEnd, floor) => runStartAfter(text, nameEnd, floor, isNameChar),
    ASSIGNMENT_AT,
    ASSIGNMENT,
    redactAssignedValue,
  );
}

export const redactSecrets: RedactStep = (text) => {
  let out = redactPrefixed(text);
  if (out.includes('://')) out = redactUrlPasswords(out);
  out = replaceMatches(out, AUTHORIZATION, (m) =>
    PLACEHOLDERS.has(m[2] ?? '') ? undefined : `${m[1]}${SECRET}`,
  );
  out = replaceMatches(out, BEARER, (m) => (looksRandom(m[2] ?? '') ? `${m[1]}${SECRET}` : undefined));
  // A name=value or name: value needs `=` or `:`.
  if (/[:=]/.test(out)) out = redactAssignments(out);
  return replaceMatches(out, PASSWORD_IN_PROSE, (m) =>
    /[^A-Za-z]/.test(m[2] ?? '') ? `${m[1]}${SECRET}` : undefined,
  );
};
