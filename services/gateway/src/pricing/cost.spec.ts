import { addUsage, costUsd } from './cost';

describe('costUsd', () => {
  it('prices input and output tokens per million', () => {
    const usage = { input_tokens: 1_000, output_tokens: 500, total_tokens: 1_500 };
    expect(costUsd(usage, { input_per_mtok: 2.5, output_per_mtok: 10 })).toBe(0.0075);
  });

  it('is exact for small amounts, without float noise', () => {
    const usage = { input_tokens: 1, output_tokens: 2, total_tokens: 3 };
    expect(costUsd(usage, { input_per_mtok: 0.1, output_per_mtok: 0.1 })).toBe(0.0000003);
  });

  it('is zero for a free model or no tokens', () => {
    expect(
      costUsd(
        { input_tokens: 10, output_tokens: 10, total_tokens: 20 },
        { input_per_mtok: 0, output_per_mtok: 0 },
      ),
    ).toBe(0);
    expect(
      costUsd(
        { input_tokens: 0, output_tokens: 0, total_tokens: 0 },
        { input_per_mtok: 3, output_per_mtok: 15 },
      ),
    ).toBe(0);
  });
});

describe('addUsage', () => {
  it('sums each count', () => {
    expect(
      addUsage(
        { input_tokens: 1, output_tokens: 2, total_tokens: 3 },
        { input_tokens: 10, output_tokens: 20, total_tokens: 30 },
      ),
    ).toEqual({ input_tokens: 11, output_tokens: 22, total_tokens: 33 });
  });
});
