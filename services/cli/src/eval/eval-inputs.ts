import { readFileSync } from 'node:fs';
import { EvalRun, type EvalSetCase } from '@flywheel/contracts';
import { ConfigError, loadConfig } from '@flywheel/platform/config';
import { EvalSetError, parseEvalSet, UsageError } from '@flywheel/platform/eval';

/** What an eval run reads besides the gateway: a cases file, a baseline run, flywheel.yaml. */

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(
      `cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

/** `--cases evals/<route>.jsonl`: every line must parse and belong to `route`. */
export function readCasesFile(path: string, route: string): EvalSetCase[] {
  let cases: EvalSetCase[];
  try {
    cases = parseEvalSet(readText(path, 'the cases file'), path);
  } catch (err) {
    if (err instanceof EvalSetError) throw new UsageError(err.message);
    throw err;
  }
  const foreign = cases.filter((c) => c.route !== route);
  if (foreign.length > 0) {
    const ids = foreign.slice(0, 3).map((c) => `${c.case_id} (route ${c.route})`);
    throw new UsageError(
      `${path} holds cases of other routes than ${route}: ${ids.join(', ')}${foreign.length > 3 ? ', …' : ''}`,
    );
  }
  return cases;
}

/** `--baseline previous.json`: an EvalRun as `--json` wrote it. */
export function readBaseline(path: string): EvalRun {
  let json: unknown;
  try {
    json = JSON.parse(readText(path, 'the baseline'));
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`the baseline ${path} is not JSON: ${(err as Error).message}`);
  }
  const parsed = EvalRun.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : '(root)';
    throw new UsageError(
      `the baseline ${path} is not an eval run (--json output): ${where}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return parsed.data;
}

/**
 * The variant's output_schema from FLYWHEEL_CONFIG, for `json-schema` assertions that give none.
 * A config that does not load, or that lacks the route or variant, is a usage error; a variant
 * without output_schema is `undefined` (those assertions then fail, saying why).
 */
export function variantOutputSchema(
  route: string,
  variant: string,
  configPath?: string,
): Record<string, unknown> | undefined {
  const why = 'json-schema assertions without a schema check the variant output_schema from FLYWHEEL_CONFIG';
  let config;
  try {
    config = loadConfig(configPath);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(`${why}, which does not load:\n${err.message}`);
    throw err;
  }
  const routeConfig = config.routes[route];
  if (!routeConfig) throw new UsageError(`${why}; it has no route ${route}`);
  const variantConfig = routeConfig.variants[variant];
  if (!variantConfig) {
    const known = Object.keys(routeConfig.variants).join(', ');
    throw new UsageError(`${why}; route ${route} there has no variant ${variant} (it has: ${known})`);
  }
  return variantConfig.output_schema;
}
