import { debianProgram } from './apt';

/** Debian's promtool (package `prometheus`), which checks and unit-tests alert rules. */
export const PROMTOOL_PATH = '/usr/bin/promtool';

/** The path of promtool, installed with apt-get first when it is missing (root only). */
export function promtoolPath(): string {
  return debianProgram(
    PROMTOOL_PATH,
    'prometheus',
    'run `apt-get install prometheus` (Debian ships /usr/bin/promtool with it)',
  );
}
