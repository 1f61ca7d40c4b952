import { parseArgs } from 'node:util';
import { subjectHash } from '@flywheel/platform';
import { z } from 'zod';
import { type CommandIo, parseCommandEnv } from '../eval/flags';
import { UsageError } from '@flywheel/platform/eval';
import { curatorFromFlags } from '../sets/curator-flags';

export const SUBJECTS_ERASE_USAGE = `usage: flywheel subjects erase <targeting key> | --hash <subject hash> [--curator URL]

Erases one subject (GDPR) from the curator: its interactions, votes and case lineage; cases it
alone stood for are deleted; a tombstone goes to flywheel.subjects.v1 for other consumers; its
later or replayed events are dropped. Prints the curator's answer (counts, case ids) as JSON.
Idempotent: running it again prints zero counts.

  <targeting key>      the gateway's \`user\` / x-flywheel-user value. With
                       FLYWHEEL_FEEDBACK_SECRET set here, it is hashed here and only the hash
                       is sent; else the curator hashes it (it needs the secret then)
  --hash H             erase by subject hash instead (64 hex characters, the events' subject_hash)
  --curator URL        curator (env FLYWHEEL_CURATOR_URL, default http://127.0.0.1:8082)
  --timeout-ms N       default 120000

environment: FLYWHEEL_ADMIN_TOKEN (required: the curator's admin token),
FLYWHEEL_FEEDBACK_SECRET (optional: the gateway's HMAC key, to hash the key locally).
See README "Erasing a subject" for what is not covered (eval sets exported to git, Kafka logs
until retention, spools).
`;

const Env = z.object({
  FLYWHEEL_ADMIN_TOKEN: z.string({ error: "required: the curator's admin token" }).min(1),
  FLYWHEEL_CURATOR_URL: z.string().default('http://127.0.0.1:8082'),
  FLYWHEEL_FEEDBACK_SECRET: z
    .string()
    .refine((s) => Buffer.byteLength(s, 'utf8') >= 32, 'must be at least 32 bytes long')
    .optional(),
});

/** `flywheel subjects erase`: resolves with the exit code; usage errors throw. */
export async function subjectsEraseCommand(args: string[], io: CommandIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        hash: { type: 'string' },
        curator: { type: 'string' },
        'timeout-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values: v, positionals } = parsed;
  if (v.help) {
    io.stdout.write(SUBJECTS_ERASE_USAGE);
    return 0;
  }
  if (positionals.length + (v.hash === undefined ? 0 : 1) !== 1)
    throw new UsageError('give exactly one targeting key, or --hash <subject hash>');
  const env = parseCommandEnv(Env, io.env);
  const key = positionals[0];
  if (key === '') throw new UsageError('the targeting key is empty');
  // with the secret, the key never leaves this machine: the curator gets its hash only
  const secret = env.FLYWHEEL_FEEDBACK_SECRET;
  const byHash = key === undefined || secret !== undefined;
  const subject = key === undefined ? v.hash! : secret !== undefined ? subjectHash(key, secret) : key;
  const curator = curatorFromFlags(v, env);
  const erasure = await curator.eraseSubject(subject, { byHash });
  io.stdout.write(JSON.stringify(erasure, null, 2) + '\n');
  const d = erasure.deleted;
  io.stderr.write(
    `flywheel subjects: erased ${erasure.subject_hash}: ${d.interactions} interactions, ${d.votes} votes, ` +
      `${d.cases} cases deleted, ${erasure.changed_cases} cases changed; tombstone ${erasure.tombstone_id}\n`,
  );
  return 0;
}
