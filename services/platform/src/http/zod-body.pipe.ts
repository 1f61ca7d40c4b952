import { type PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { DomainError } from './domain-error';

export interface FieldIssue {
  path: string;
  message: string;
}

export function zodIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message }));
}

/** Parses a request body with a zod schema; failures become 400 invalid_request with field paths. */
export class ZodBody<S extends z.ZodType> implements PipeTransform<unknown, z.infer<S>> {
  constructor(private readonly schema: S) {}

  transform(value: unknown): z.infer<S> {
    if (value === undefined || value === null) {
      throw new DomainError('invalid_request', 'request body must be a JSON object');
    }
    const parsed = this.schema.safeParse(value);
    if (!parsed.success) {
      const issues = zodIssues(parsed.error);
      throw new DomainError('invalid_request', issues.map((i) => `${i.path}: ${i.message}`).join('; '), {
        issues,
      });
    }
    return parsed.data;
  }
}
