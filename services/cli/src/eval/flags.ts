import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, parseEnv } from '@flywheel/platform/config';
import type { z } from 'zod';
import type { ProgressStream } from './progress';
import { UsageError } from '@flywheel/platform/eval';

/** Flag and environment parsing shared by the `eval` and `sets` commands; every problem is a UsageError. */

/** What a command may touch of its process: tests pass their own. */
export interface CommandIo {
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream;
  /** progress and warnings */
  stderr: ProgressStream;
}

type Options = NonNullable<ParseArgsConfig['options']>;

export function parseFlags<O extends Options>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: false, strict: true }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export function requiredFlag(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new UsageError(`--${flag} is required`);
  return value;
}

/** A numeric flag within [min, max] (an integer when `integer`), or `fallback` when absent. */
export function numberFlag(
  value: string | undefined,
  flag: string,
  { min, max, integer = false, fallback }: { min: number; max: number; integer?: boolean; fallback: number },
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
    const what = integer ? 'an integer' : 'a number';
    throw new UsageError(`--${flag} must be ${what} from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** An http(s) base URL from a flag or a variable. */
export function baseUrl(value: string, source: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${source} is not a URL: ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`${source} must be an http(s) URL, got ${JSON.stringify(value)}`);
  return value.replace(/\/+$/, '');
}

/** The command's environment through platform `parseEnv`; values are never echoed. */
export function parseCommandEnv<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  try {
    return parseEnv(schema, env);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}
