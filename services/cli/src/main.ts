#!/usr/bin/env tsx
import { parseArgs } from 'node:util';
import { start } from './start';

const USAGE = `usage: flywheel <command>

commands:
  start      run every Flywheel component in this process on embedded defaults
`;

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { help: { type: 'boolean', short: 'h' } },
  });
  const [command] = positionals;
  if (values.help || !command) {
    process.stdout.write(USAGE);
    return command || values.help ? 0 : 2;
  }
  if (command !== 'start') {
    process.stderr.write(`flywheel: unknown command "${command}"\n${USAGE}`);
    return 2;
  }
  const running = await start({ env: process.env, log: (l) => console.log(l) });
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await running.stop();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`flywheel: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
