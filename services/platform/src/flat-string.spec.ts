import { randomUUID } from 'node:crypto';
import { retainedHeapPer } from './testing/retained-heap';
import { flatString } from './flat-string';

describe('flatString', () => {
  it('returns the same text', () => {
    const parts = Array.from({ length: 50 }, (_, i) => `piece-${i}`);
    const built = parts.reduce((a, b) => `${a}:${b}`);
    expect(flatString(built)).toBe(parts.join(':'));
    expect(flatString('')).toBe('');
  });

  it('keeps a UUID built by concatenation in about the bytes its text needs', async () => {
    const n = 20_000;
    // randomUUID() returns a string concatenated from ~20 pieces: ~490 bytes each unflattened
    const perUuid = await retainedHeapPer(n, () => Array.from({ length: n }, () => flatString(randomUUID())));
    expect(perUuid).toBeLessThan(150);
  });
});
