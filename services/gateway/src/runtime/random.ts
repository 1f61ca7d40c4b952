/** Randomness as an injectable dependency (backoff jitter), so tests can fix it. */
export interface Random {
  /** A number in [0, 1). */
  next(): number;
}

export const mathRandom: Random = { next: () => Math.random() };
