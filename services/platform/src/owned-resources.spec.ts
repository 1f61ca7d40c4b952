import { OwnedResources } from './owned-resources';

describe('OwnedResources', () => {
  it('closes in reverse order, once, past a failing close', async () => {
    const closed: string[] = [];
    const owned = new OwnedResources();
    const a = owned.own({ close: async () => void closed.push('a') });
    owned.own({
      close: async () => {
        closed.push('b');
        throw new Error('b failed');
      },
    });
    owned.own({ close: async () => void closed.push('c') });
    expect(a).toHaveProperty('close');
    await owned.closeAll();
    await owned.closeAll();
    expect(closed).toEqual(['c', 'b', 'a']);
  });
});
