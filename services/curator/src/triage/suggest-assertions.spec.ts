import { Assertion } from '@flywheel/contracts';
import { RUBRICS, suggestAssertions } from './suggest-assertions';

describe('suggestAssertions', () => {
  it('checks the output schema for wrong_format', () => {
    expect(suggestAssertions(['wrong_format'])).toEqual([{ type: 'json-schema' }]);
  });

  it('expects a short correction to be contained in the answer', () => {
    expect(suggestAssertions(['incorrect'], ' 1969 ')).toEqual([{ type: 'contains', value: '1969' }]);
  });

  it('expects the answer to be similar to a long correction', () => {
    const correction = 'The first crewed Moon landing was Apollo 11, in July 1969.';
    expect(suggestAssertions(['incorrect'], correction)).toEqual([
      { type: 'similar', value: correction, threshold: 0.6 },
    ]);
  });

  it('asks a judge for correctness when incorrect comes without a correction', () => {
    expect(suggestAssertions(['incorrect'])).toEqual([{ type: 'llm-judge', rubric: RUBRICS.correct }]);
    expect(suggestAssertions(['incorrect'], '   ')).toEqual([{ type: 'llm-judge', rubric: RUBRICS.correct }]);
  });

  it('uses a correction even when the reason is not incorrect', () => {
    expect(suggestAssertions(['other'], 'Paris')).toEqual([{ type: 'contains', value: 'Paris' }]);
  });

  it('asks a judge with a rubric for unhelpful and unsafe answers', () => {
    expect(suggestAssertions(['unhelpful', 'unsafe'])).toEqual([
      { type: 'llm-judge', rubric: RUBRICS.helpful },
      { type: 'llm-judge', rubric: RUBRICS.safe },
    ]);
  });

  it('combines reasons in a fixed order, and suggests nothing for other reasons alone', () => {
    expect(suggestAssertions(['unsafe', 'wrong_format', 'incorrect'], '42').map((a) => a.type)).toEqual([
      'json-schema',
      'contains',
      'llm-judge',
    ]);
    expect(suggestAssertions(['other'])).toEqual([]);
    expect(suggestAssertions([])).toEqual([]);
  });

  it('only suggests assertions the contract accepts', () => {
    const all = suggestAssertions(['wrong_format', 'incorrect', 'unhelpful', 'unsafe'], 'x'.repeat(300));
    for (const a of all) expect(Assertion.parse(a)).toEqual(a);
  });
});
