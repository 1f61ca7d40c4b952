import { embeddingsAnswer, parseEmbeddings, simVector } from './embeddings';

const norm = (v: readonly number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

describe('simulated embeddings', () => {
  it('gives each text its own deterministic unit vector of the asked length', () => {
    const a = simVector('hello', 64);
    expect(a).toHaveLength(64);
    expect(norm(a)).toBeCloseTo(1, 10);
    expect(simVector('hello', 64)).toEqual(a);
    expect(simVector('hello!', 64)).not.toEqual(a);
    expect(new Set(a).size).toBe(64);
  });

  it('parses the OpenAI request and refuses bad fields by name', () => {
    expect(parseEmbeddings({ model: 'sim-ok', input: 'x' })).toEqual({
      model: 'sim-ok',
      input: ['x'],
      dimensions: 256,
      base64: false,
    });
    expect(parseEmbeddings({ model: 'sim-ok', input: [[1, 2]] })).toMatchObject({
      status: 400,
      param: 'input',
    });
    expect(parseEmbeddings({ model: 'sim-ok', input: 'x', dimensions: 0 })).toMatchObject({
      param: 'dimensions',
    });
    expect(parseEmbeddings({ model: 'sim-ok', input: 'x', encoding_format: 'int8' })).toMatchObject({
      param: 'encoding_format',
    });
  });

  it('answers in OpenAI’s shape, base64 as little-endian float32', () => {
    const answer = embeddingsAnswer({ model: 'm', input: ['a', 'bb'], dimensions: 8, base64: true }) as {
      data: { index: number; embedding: string }[];
      usage: { prompt_tokens: number };
    };
    expect(answer.data.map((d) => d.index)).toEqual([0, 1]);
    const bytes = Buffer.from(answer.data[1]?.embedding as string, 'base64');
    expect(Array.from({ length: 8 }, (_, i) => bytes.readFloatLE(i * 4))).toEqual(
      simVector('bb', 8).map((x) => Math.fround(x)),
    );
    expect(answer.usage.prompt_tokens).toBe(2);
  });
});
