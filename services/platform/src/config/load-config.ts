import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import { checkReferences } from './check-references';
import { ConfigError, type ConfigProblem } from './config-error';
import { FlywheelConfigSchema, type FlywheelConfig } from './config.schema';
import { formatYamlPath, zodIssuesToProblems, type PathProblem } from './format-issues';
import { resolveOutputSchemas } from './output-schemas';

export const DEFAULT_CONFIG_PATH = 'infra/config/flywheel.yaml';

/**
 * Loads FLYWHEEL_CONFIG (default `infra/config/flywheel.yaml`, relative to the working
 * directory) at boot: YAML → zod → cross-references → `output_schema` files read (relative to
 * the config file's directory) and compiled as JSON Schema draft 2020-12. Throws a
 * {@link ConfigError} listing every problem, one per line, each starting with its YAML path.
 */
export function loadConfig(
  path: string = process.env.FLYWHEEL_CONFIG ?? DEFAULT_CONFIG_PATH,
): FlywheelConfig {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ConfigError(file, [
      { path: '(file)', message: `cannot read the config file: ${code} (set FLYWHEEL_CONFIG to its path)` },
    ]);
  }
  return parseConfig(text, file);
}

/** Like {@link loadConfig} on text already read; `file` names the source and anchors schema files. */
export function parseConfig(text: string, file: string): FlywheelConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => {
        const { line, col } = lineCounter.linePos(e.pos[0]);
        return { path: `line ${line}, column ${col}`, message: `YAML syntax: ${e.message.split('\n')[0]}` };
      }),
    );
  }

  let raw: unknown;
  try {
    raw = doc.toJS() ?? {};
  } catch (err) {
    throw new ConfigError(file, [{ path: '(root)', message: `YAML: ${(err as Error).message}` }]);
  }

  // Schema files first: they replace `{file}` in `raw`, so zod sees the schemas themselves.
  const schemaProblems = resolveOutputSchemas(raw, dirname(file));
  const parsed = FlywheelConfigSchema.safeParse(raw, { reportInput: true });
  const found: PathProblem[] = [
    ...(parsed.success ? [] : zodIssuesToProblems(parsed.error.issues)),
    ...schemaProblems,
    ...checkReferences(raw),
  ];
  if (!parsed.success || found.length > 0) {
    throw new ConfigError(
      file,
      found.map((p) => locate(doc, lineCounter, p)),
    );
  }
  // Every `{file}` output_schema was replaced by its JSON above, so the parsed data is loaded config.
  return parsed.data;
}

/** Adds the line of the deepest YAML node on the problem's path that exists. */
function locate(doc: Document, lines: LineCounter, problem: PathProblem): ConfigProblem {
  const located: ConfigProblem = { path: formatYamlPath(problem.path), message: problem.message };
  for (let depth = problem.path.length; depth > 0; depth--) {
    const node = doc.getIn(problem.path.slice(0, depth), true);
    if (isNode(node) && node.range) {
      located.line = lines.linePos(node.range[0]).line;
      break;
    }
  }
  return located;
}
