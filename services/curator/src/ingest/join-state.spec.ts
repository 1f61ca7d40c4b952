import { caseEffect, decideVote, parkCutoff, unlinkOutcome } from './join-state';

describe('decideVote', () => {
  it('stores a first vote as joined when its interaction is there, else waiting', () => {
    expect(decideVote(null, 1, true)).toEqual({ kind: 'store', state: 'joined' });
    expect(decideVote(null, 1, false)).toEqual({ kind: 'store', state: 'waiting' });
  });

  it('treats a redelivered or older revision as a duplicate', () => {
    expect(decideVote({ revision: 2, state: 'joined' }, 2, true)).toEqual({ kind: 'duplicate' });
    expect(decideVote({ revision: 2, state: 'waiting' }, 1, false)).toEqual({ kind: 'duplicate' });
  });

  it('lets a newer revision replace the vote and keep its join state', () => {
    expect(decideVote({ revision: 1, state: 'waiting' }, 2, false)).toEqual({
      kind: 'store',
      state: 'waiting',
    });
    expect(decideVote({ revision: 1, state: 'parked' }, 2, false)).toEqual({
      kind: 'store',
      state: 'parked',
    });
    // joined stays joined even after retention removed the interaction
    expect(decideVote({ revision: 1, state: 'joined' }, 2, false)).toEqual({
      kind: 'store',
      state: 'joined',
    });
  });

  it('joins a parked vote whose interaction has arrived', () => {
    expect(decideVote({ revision: 1, state: 'parked' }, 2, true)).toEqual({ kind: 'store', state: 'joined' });
  });
});

describe('caseEffect', () => {
  it('links an unlinked dislike on a routed interaction', () => {
    expect(caseEffect({ rating: 'down', linked: false, routed: true })).toBe('link');
  });
  it('does nothing for a dislike already linked, or on a direct model call', () => {
    expect(caseEffect({ rating: 'down', linked: true, routed: true })).toBe('none');
    expect(caseEffect({ rating: 'down', linked: false, routed: false })).toBe('none');
  });
  it('unlinks a vote changed to a like, and ignores other likes', () => {
    expect(caseEffect({ rating: 'up', linked: true, routed: true })).toBe('unlink');
    expect(caseEffect({ rating: 'up', linked: false, routed: true })).toBe('none');
  });
});

describe('unlinkOutcome', () => {
  it('keeps triaged cases as they are', () => {
    expect(unlinkOutcome('accepted', 1)).toBe('frozen');
    expect(unlinkOutcome('rejected', 3)).toBe('frozen');
  });
  it('drops one vote of a new case with others, and withdraws a new case with only this one', () => {
    expect(unlinkOutcome('new', 2)).toBe('unlink');
    expect(unlinkOutcome('new', 1)).toBe('withdraw');
  });
});

describe('parkCutoff', () => {
  it('is the join TTL before now', () => {
    expect(parkCutoff(Date.UTC(2026, 0, 1, 0, 10), 600).toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });
});
