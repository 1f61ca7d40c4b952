import { base64Vector } from './embeddings-format';

describe('base64Vector', () => {
  it('is little-endian float32, as OpenAI encodes it', () => {
    const vector = [0.5, -1, 1e-8, 0.123456789];
    const bytes = Buffer.from(base64Vector(vector), 'base64');
    expect(bytes.length).toBe(16);
    const back = Array.from({ length: 4 }, (_, i) => bytes.readFloatLE(i * 4));
    expect(back).toEqual(vector.map((x) => Math.fround(x)));
    expect(Buffer.from(base64Vector([1]), 'base64')).toEqual(Buffer.from([0, 0, 0x80, 0x3f]));
    expect(base64Vector([])).toBe('');
  });
});
