import { isUniqueViolation } from './sql-database';

describe('isUniqueViolation', () => {
  it.each([null, undefined, 'duplicate key', 23505, new Error('duplicate key'), { code: '23503' }])(
    'is false for %p',
    (err) => {
      expect(isUniqueViolation(err)).toBe(false);
    },
  );

  it('matches SQLSTATE 23505, and the constraint when one is named', () => {
    const err = Object.assign(new Error('duplicate key value violates unique constraint "votes_pkey"'), {
      code: '23505',
      constraint: 'votes_pkey',
    });
    expect(isUniqueViolation(err)).toBe(true);
    expect(isUniqueViolation(err, 'votes_pkey')).toBe(true);
    expect(isUniqueViolation(err, 'cases_pkey')).toBe(false);
  });
});
