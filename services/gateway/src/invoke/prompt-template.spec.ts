import { PromptTemplate } from './prompt-template';

describe('PromptTemplate', () => {
  it('fills {{var}} placeholders, with or without inner spaces, repeated or not', () => {
    const t = new PromptTemplate('Hi {{name}}, about {{ topic }}: {{name}}!');
    expect(t.variables).toEqual(['name', 'topic']);
    expect(t.render({ name: 'Ada', topic: 'billing' })).toEqual({ text: 'Hi Ada, about billing: Ada!' });
  });

  it('inserts non-string values as JSON', () => {
    const t = new PromptTemplate('{{n}} {{obj}} {{flag}} {{nothing}}');
    expect(t.render({ n: 3, obj: { a: [1] }, flag: false, nothing: null })).toEqual({
      text: '3 {"a":[1]} false null',
    });
  });

  it('names every missing variable, and never reads inherited properties', () => {
    const t = new PromptTemplate('{{ticket}} {{customer}} {{constructor}} {{toString}}');
    expect(t.render({ ticket: 'x' })).toEqual({ missing: ['customer', 'constructor', 'toString'] });
    expect(t.render({ ticket: 'x', customer: undefined, constructor: 'c', toString: 's' })).toEqual({
      missing: ['customer'],
    });
  });

  it('leaves text that is not a placeholder alone', () => {
    const t = new PromptTemplate('{ {a} } {{ }} {{1x}} {{a b}} {{{c}}}');
    expect(t.variables).toEqual(['c']);
    expect(t.render({ c: 'C' })).toEqual({ text: '{ {a} } {{ }} {{1x}} {{a b}} {C}' });
  });

  it('renders a template without placeholders as it is', () => {
    expect(new PromptTemplate('plain').render({})).toEqual({ text: 'plain' });
    expect(new PromptTemplate('').render({ x: 1 })).toEqual({ text: '' });
  });
});
