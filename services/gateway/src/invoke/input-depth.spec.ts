import { tooDeepPath } from './input-depth';

const nested = (depth: number, key = 'a'): unknown => {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth; i++) v = { [key]: v };
  return v;
};

describe('tooDeepPath', () => {
  it('is null for values within the bound, scalars included', () => {
    expect(tooDeepPath({ name: 'x', tags: ['a'], deep: nested(3) }, 64)).toBeNull();
    expect(tooDeepPath('text', 1)).toBeNull();
    expect(tooDeepPath(null, 1)).toBeNull();
  });

  it('names the keys down to the first object nested deeper than the bound', () => {
    expect(tooDeepPath({ ok: 1, doc: { items: [{ x: { y: {} } }] } }, 4)).toEqual(['doc', 'items', '0', 'x']);
    expect(tooDeepPath(nested(70), 64)).toEqual(Array.from({ length: 64 }, () => 'a'));
  });

  it('walks any depth without recursion', () => {
    expect(tooDeepPath(nested(200_000), 64)).toHaveLength(64);
  });
});
