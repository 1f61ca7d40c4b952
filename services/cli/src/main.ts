#!/usr/bin/env tsx
import { parseArgs } from 'node:util';
import type { CommandIo } from './eval/flags';

const USAGE = `usage: flywheel <command>

commands:
  start         run every Flywheel component in this process on embedded defaults (--only <service>: one)
  eval run      run a route's eval cases through the gateway and gate on the result (CI)
  sets export   write a route's eval set from the curator, e.g. to evals/<route>.jsonl
  subjects erase  erase one user's data from the curator (GDPR) and tombstone it for other consumers

"flywheel <command> --help" says more.
`;

type Subcommand = (args: string[], io: CommandIo) => Promise<number>;

/**
 * Each command's module loads only when that command runs (dynamic `import()`, lazy in the
 * bundle too): `start --only gateway` never loads the eval runner's reporters (XML, progress
 * bars), and `eval run` never loads the services.
 */
const SUBCOMMANDS: Record<string, Record<string, () => Promise<{ run: Subcommand; usage: string }>>> = {
  eval: {
    run: async () => {
      const m = await import('./eval/eval-command.js');
      return { run: m.evalRunCommand, usage: m.EVAL_RUN_USAGE };
    },
  },
  sets: {
    export: async () => {
      const m = await import('./sets/export-command.js');
      return { run: m.setsExportCommand, usage: m.SETS_EXPORT_USAGE };
    },
  },
  subjects: {
    erase: async () => {
      const m = await import('./subjects/erase-command.js');
      return { run: m.subjectsEraseCommand, usage: m.SUBJECTS_ERASE_USAGE };
    },
  },
};

async function main(argv: string[]): Promise<number> {
  const [command, sub, ...rest] = argv;
  const group = command === undefined ? undefined : SUBCOMMANDS[command];
  if (group) {
    const load = sub === undefined ? undefined : group[sub];
    if (!load) {
      const known = Object.keys(group).map((s) => `flywheel ${command} ${s}`);
      if (sub === '--help' || sub === '-h') {
        const usages = await Promise.all(Object.values(group).map(async (l) => (await l()).usage));
        process.stdout.write(usages.join('\n'));
        return 0;
      }
      const what = sub === undefined ? 'missing subcommand' : `unknown subcommand "${sub}"`;
      process.stderr.write(`flywheel: ${what}; use ${known.join(' or ')}\n`);
      return 2;
    }
    const subcommand = await load();
    const { UsageError } = await import('@flywheel/platform/eval');
    const io: CommandIo = { env: process.env, stdout: process.stdout, stderr: process.stderr };
    try {
      return await subcommand.run(rest, io);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      process.stderr.write(
        `flywheel ${command} ${sub}: ${err.message}\n(see flywheel ${command} ${sub} --help)\n`,
      );
      return 2;
    }
  }

  if (command === 'start') {
    // tracing before the services load: its HTTP instrumentation must wrap their modules
    const only = parseArgs({ args: argv.slice(1), options: { only: { type: 'string' } }, strict: false })
      .values.only;
    const { startTracing } = await import('@flywheel/platform/tracing');
    const tracing = await startTracing(typeof only === 'string' ? only : 'flywheel');
    const { startCommand } = await import('./start-command.js');
    return startCommand(argv.slice(1), tracing);
  }

  const { values } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: false,
    options: { help: { type: 'boolean', short: 'h' } },
  });
  if (values.help || command === undefined) {
    process.stdout.write(USAGE);
    return values.help ? 0 : 2;
  }
  process.stderr.write(`flywheel: unknown command "${command}"\n${USAGE}`);
  return 2;
}

main(process.argv.slice(2)).then(
  // exit once stdout is flushed (a piped `sets export` may still be writing)
  (code) => process.stdout.write('', () => process.exit(code)),
  (err: unknown) => {
    console.error(`flywheel: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
