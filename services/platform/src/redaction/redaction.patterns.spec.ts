import { check } from 'recheck';
import { PERSONAL_PATTERNS } from './personal';
import { PHONE_PATTERNS } from './phone';
import { SECRET_PATTERNS } from './secrets';
import { STRUCTURED_PATTERNS } from './structured';

/*
 * Linear time without timing: recheck (a ReDoS checker that analyses the pattern's automaton
 * and fuzzes it with attack strings) must find every built-in pattern `safe`, i.e. free of
 * polynomial and exponential backtracking. The patterns this replaced (`\bsk-(?=[\w-]*\d)`, the
 * `\b(?:[a-z0-9]+[_.-])*?` secret-name prefix, `\s*:?\s+`) are reported `vulnerable`, which
 * the first test checks, so the check can fail.
 */

const BUILT_IN: readonly RegExp[] = [
  ...SECRET_PATTERNS,
  ...STRUCTURED_PATTERNS,
  ...PERSONAL_PATTERNS,
  ...PHONE_PATTERNS,
];

const TIMEOUT_MS = 120_000;

async function complexity(pattern: RegExp): Promise<string> {
  const result = await check(pattern.source, pattern.flags, { timeout: TIMEOUT_MS - 10_000 });
  return result.status === 'vulnerable' ? `vulnerable (${result.complexity.type})` : result.status;
}

describe('built-in redaction patterns', () => {
  it(
    'tells the old quadratic patterns apart',
    async () => {
      expect(await complexity(/\bsk-(?=[\w-]*\d)[\w-]{20,}/g)).toBe('vulnerable (polynomial)');
      expect(await complexity(/\b((?:password|pin)\s+(?:is|was)\s*:?\s+)(\S+)/gi)).toBe(
        'vulnerable (polynomial)',
      );
    },
    TIMEOUT_MS,
  );

  it.each(BUILT_IN.map((pattern) => [pattern.source.slice(0, 60), pattern]))(
    'is linear: %s',
    async (_name, pattern) => {
      expect(await complexity(pattern)).toBe('safe');
    },
    TIMEOUT_MS,
  );
});
