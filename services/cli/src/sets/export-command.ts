import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { baseUrl, type CommandIo, parseCommandEnv, parseFlags, requiredFlag } from '../eval/flags';
import { parseEvalSet, SET_FORMATS, type SetFormat, UsageError } from '@flywheel/platform/eval';
import { curatorFromFlags } from './curator-flags';

export const SETS_EXPORT_USAGE = `usage: flywheel sets export --route R [--format jsonl|promptfoo] [--out FILE] [--gateway URL] [--variant V]

Writes the route's accepted eval cases, as the curator exports them, to FILE (stdout without
--out), e.g. evals/R.jsonl to commit and gate CI with \`flywheel eval run --cases evals/R.jsonl\`.

options:
  --format jsonl|promptfoo  jsonl (default): one case per line, what \`eval run --cases\` reads;
                            promptfoo: a promptfoo config that runs as-is
                            (\`promptfoo eval -c FILE\`) against the gateway
  --gateway URL             promptfoo: the gateway the config calls (env FLYWHEEL_GATEWAY_URL,
                            default http://localhost:8080)
  --variant V               promptfoo: force variant V (x-flywheel-variant; promptfoo then needs
                            FLYWHEEL_ADMIN_TOKEN, else FLYWHEEL_API_KEY)
  --out FILE                where to write (directories are created)
  --curator URL             curator (env FLYWHEEL_CURATOR_URL, default http://127.0.0.1:8082)
  --timeout-ms N            default 120000

environment: FLYWHEEL_ADMIN_TOKEN (required: the curator's admin token).
`;

const Env = z.object({
  FLYWHEEL_ADMIN_TOKEN: z.string({ error: "required: the curator's admin token" }).min(1),
  FLYWHEEL_CURATOR_URL: z.string().default('http://127.0.0.1:8082'),
  FLYWHEEL_GATEWAY_URL: z.string().optional(),
});

/** `flywheel sets export`: resolves with the exit code; usage errors throw. */
export async function setsExportCommand(args: string[], io: CommandIo): Promise<number> {
  const v = parseFlags(args, {
    route: { type: 'string' },
    format: { type: 'string' },
    out: { type: 'string' },
    curator: { type: 'string' },
    gateway: { type: 'string' },
    variant: { type: 'string' },
    'timeout-ms': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) {
    io.stdout.write(SETS_EXPORT_USAGE);
    return 0;
  }
  const route = requiredFlag(v.route, 'route');
  const format = v.format ?? 'jsonl';
  if (!(SET_FORMATS as readonly string[]).includes(format))
    throw new UsageError(`--format must be one of ${SET_FORMATS.join(', ')}, got ${JSON.stringify(format)}`);
  const env = parseCommandEnv(Env, io.env);
  const curator = curatorFromFlags(v, env);

  const gateway = v.gateway ?? env.FLYWHEEL_GATEWAY_URL;
  const text = await curator.exportSet(route, format as SetFormat, {
    gatewayUrl: gateway && baseUrl(gateway, v.gateway ? '--gateway' : 'FLYWHEEL_GATEWAY_URL'),
    variant: v.variant,
  });
  // a JSONL set is checked before it is written: what lands in evals/ must load in `eval run --cases`
  const count =
    format === 'jsonl'
      ? `${parseEvalSet(text, `the curator's eval set of route ${route}`).length} cases`
      : format;
  if (v.out === undefined) {
    io.stdout.write(text);
    return 0;
  }
  mkdirSync(dirname(v.out), { recursive: true });
  writeFileSync(v.out, text);
  io.stderr.write(`flywheel sets: wrote ${count} of route ${route} to ${v.out}\n`);
  return 0;
}
