/** One thing wrong with a configuration: where (a YAML path or a variable name) and what. */
export interface ConfigProblem {
  /** e.g. `routes.demo-chat.variants.candidate.chain[1]`; `(root)` for the whole document */
  path: string;
  message: string;
  /** 1-based position in the source file, when known */
  line?: number;
  column?: number;
}

/** Renders one problem as a single line that starts with its path. */
export function formatProblem(p: ConfigProblem): string {
  const where =
    p.line === undefined ? '' : ` (line ${p.line}${p.column === undefined ? '' : `, column ${p.column}`})`;
  return `${p.path}: ${p.message}${where}`;
}

/**
 * A configuration (file or environment) that cannot be used. The message names the source and
 * lists every problem, one per line, each starting with its path, so a failed boot says
 * everything that needs fixing at once.
 */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  override readonly name = 'ConfigError';

  constructor(
    /** the config file path, or e.g. `environment` */
    readonly source: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super([`Invalid configuration in ${source} (${count}):`, ...problems.map(formatProblem)].join('\n'));
  }
}
