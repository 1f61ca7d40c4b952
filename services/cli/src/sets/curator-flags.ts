import { CuratorClient } from '@flywheel/platform/eval';
import { baseUrl, numberFlag } from '../eval/flags';

/** What to check when the curator does not answer a CLI command. */
export const CURATOR_HINT = 'set --curator / FLYWHEEL_CURATOR_URL, or run from a file with --cases';

/** The curator of `--curator` (else FLYWHEEL_CURATOR_URL) with `--timeout-ms` (default 120 s). */
export function curatorFromFlags(
  flags: { curator?: string; 'timeout-ms'?: string },
  env: { FLYWHEEL_CURATOR_URL: string; FLYWHEEL_ADMIN_TOKEN: string },
): CuratorClient {
  return new CuratorClient({
    url: baseUrl(
      flags.curator ?? env.FLYWHEEL_CURATOR_URL,
      flags.curator ? '--curator' : 'FLYWHEEL_CURATOR_URL',
    ),
    token: env.FLYWHEEL_ADMIN_TOKEN,
    timeoutMs: numberFlag(flags['timeout-ms'], 'timeout-ms', {
      min: 100,
      max: 3_600_000,
      integer: true,
      fallback: 120_000,
    }),
    unreachableHint: CURATOR_HINT,
  });
}
