import type { z } from 'zod';
import type { ConfigProblem } from './config-error';

type Segment = PropertyKey;

const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;

/**
 * `['routes', 'demo-chat', 'variants', 'x', 'chain', 1]` → `routes.demo-chat.variants.x.chain[1]`.
 * Keys with other characters (a model id like `gpt-4.1`) are quoted: `models["gpt-4.1"]`.
 */
export function formatYamlPath(path: readonly Segment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else {
      const key = String(segment);
      out += PLAIN_KEY.test(key) ? `${out ? '.' : ''}${key}` : `[${JSON.stringify(key)}]`;
    }
  }
  return out || '(root)';
}

export interface PathProblem {
  path: Segment[];
  message: string;
}

/** zod issues → one problem per bad key, with messages a config author can act on. */
export function zodIssuesToProblems(issues: readonly z.core.$ZodIssue[]): PathProblem[] {
  const problems: PathProblem[] = [];
  for (const issue of issues) {
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys) problems.push({ path: [...issue.path, key], message: 'unknown key' });
        break;
      case 'invalid_key': {
        const why = issue.issues.map((i) => i.message).join('; ');
        problems.push({ path: issue.path, message: `invalid name: ${why}` });
        break;
      }
      case 'invalid_type':
        problems.push({
          path: issue.path,
          message:
            'input' in issue && issue.input === undefined
              ? `required (expected ${issue.expected})`
              : issue.message,
        });
        break;
      default:
        problems.push({ path: issue.path, message: issue.message });
    }
  }
  return problems;
}

/**
 * Formats zod issues as `path: message` lines (the same shape `ConfigError` uses). Parse with
 * `{ reportInput: true }` to get "required" instead of "received undefined" for missing keys.
 */
export function formatZodIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return zodIssuesToProblems(issues).map((p) => `${formatYamlPath(p.path)}: ${p.message}`);
}

export function toConfigProblem(p: PathProblem): ConfigProblem {
  return { path: formatYamlPath(p.path), message: p.message };
}
