import { RetryableError, UnrecoverableError } from '@flywheel/platform';
import { classifyConsumerError } from './sql-errors';

const sqlError = (code: string) => Object.assign(new Error(`sqlstate ${code}`), { code });

describe('classifyConsumerError', () => {
  it('retries (never dead-letters) while the database is unreachable or a lock conflicted', () => {
    for (const err of [
      sqlError('08006'),
      sqlError('57P01'),
      sqlError('40P01'),
      sqlError('53300'),
      sqlError('3D000'),
      sqlError('28P01'),
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      new Error('timeout exceeded when trying to connect'),
      new Error('Connection terminated unexpectedly'),
    ]) {
      expect(classifyConsumerError(err)).toBeInstanceOf(RetryableError);
    }
  });

  it('dead-letters at once what the database refuses as data', () => {
    for (const code of ['22001', '23502', '42703']) {
      expect(classifyConsumerError(sqlError(code))).toBeInstanceOf(UnrecoverableError);
    }
  });

  it('passes other errors and already-classified ones through', () => {
    const bug = new TypeError('x is undefined');
    expect(classifyConsumerError(bug)).toBe(bug);
    const other = sqlError('P0001');
    expect(classifyConsumerError(other)).toBe(other);
    const retry = new RetryableError('later');
    expect(classifyConsumerError(retry)).toBe(retry);
  });
});
