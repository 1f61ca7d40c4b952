import { EvalSetCase } from '@flywheel/contracts';

/** A regression set as JSONL: one `EvalSetCase` per line (`evals/<route>.jsonl`, the curator's export). */

export const SET_FORMATS = ['jsonl', 'promptfoo'] as const;
export type SetFormat = (typeof SET_FORMATS)[number];

/** A set that does not parse; the message names the source and the first bad lines. */
export class EvalSetError extends Error {
  override readonly name = 'EvalSetError';
}

const MAX_REPORTED = 5;

/** Parses JSONL text (blank lines allowed); throws {@link EvalSetError} listing bad lines. */
export function parseEvalSet(text: string, source: string): EvalSetCase[] {
  const cases: EvalSetCase[] = [];
  const problems: string[] = [];
  const lineOf = new Map<string, number>();
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (err) {
      problems.push(`line ${i + 1}: not JSON (${(err as Error).message})`);
      return;
    }
    const parsed = EvalSetCase.safeParse(json);
    if (parsed.success) {
      const first = lineOf.get(parsed.data.case_id);
      if (first !== undefined) {
        problems.push(
          `line ${i + 1}: case_id ${JSON.stringify(parsed.data.case_id)} is already on line ${first}`,
        );
        return;
      }
      lineOf.set(parsed.data.case_id, i + 1);
      cases.push(parsed.data);
      return;
    }
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : '(root)';
    problems.push(`line ${i + 1}: ${where}: ${issue?.message ?? 'invalid'}`);
  });
  if (problems.length > 0) {
    const more = problems.length > MAX_REPORTED ? [`… and ${problems.length - MAX_REPORTED} more`] : [];
    throw new EvalSetError(
      [
        `${source} is not a valid eval set (one EvalSetCase JSON per line):`,
        ...problems.slice(0, MAX_REPORTED),
        ...more,
      ].join('\n'),
    );
  }
  return cases;
}
