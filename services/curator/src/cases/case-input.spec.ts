import { caseInput, inputHash, inputText, normalizeText } from './case-input';

describe('normalizeText', () => {
  it('ignores case, punctuation, symbols and runs of whitespace', () => {
    expect(normalizeText("  What's the   REFUND policy?!\n")).toBe('whats the refund policy');
    expect(normalizeText('what\u2019s the refund-policy')).toBe('whats the refund policy');
  });

  it('folds compatibility forms (NFKC)', () => {
    expect(normalizeText('ｆｕｌｌ\u00a0width')).toBe('full width');
  });
});

describe('inputHash', () => {
  const chat = (content: string) => ({ messages: [{ role: 'user' as const, content }] });

  it('is equal for inputs that differ only in case, punctuation and spacing', () => {
    expect(inputHash(chat('How do I reset my password?'))).toBe(
      inputHash(chat('how do i   reset my PASSWORD')),
    );
  });

  it('is equal for inputs whose redacted PII was different', () => {
    // the caller hashes redacted text: both emails became the same placeholder
    expect(inputHash(chat('Mail [EMAIL] the invoice'))).toBe(inputHash(chat('mail [email] the invoice.')));
  });

  it('differs for different words, roles or message boundaries', () => {
    const base = inputHash(chat('reset my password'));
    expect(inputHash(chat('reset my username'))).not.toBe(base);
    expect(inputHash({ messages: [{ role: 'system', content: 'reset my password' }] })).not.toBe(base);
    expect(
      inputHash({
        messages: [
          { role: 'user', content: 'reset my' },
          { role: 'user', content: 'password' },
        ],
      }),
    ).not.toBe(base);
  });

  it('orders template variables by name and never collides with a chat input', () => {
    const a = inputHash({ vars: { ticket: 'Printer is on fire', lang: 'en' } });
    expect(inputHash({ vars: { lang: 'EN', ticket: 'printer is on fire!' } })).toBe(a);
    expect(inputHash({ vars: { ticket: 'Printer is on fire', lang: 'de' } })).not.toBe(a);
    expect(
      inputHash({ messages: [{ role: 'user', content: 'lang: en\nticket: Printer is on fire' }] }),
    ).not.toBe(a);
  });

  it('hashes structured variables by value, whatever the key order', () => {
    expect(inputHash({ vars: { order: { id: 7, items: ['a', 'b'] } } })).toBe(
      inputHash({ vars: { order: { items: ['a', 'b'], id: 7 } } }),
    );
    expect(inputText({ vars: { order: { b: 1, a: [true, null] } } })).toBe('order: {"a":[true,null],"b":1}');
  });
});

describe('caseInput', () => {
  const messages = [{ role: 'user' as const, content: 'hi' }];
  it('takes the template variables of an invoke with input, else the messages', () => {
    expect(caseInput({ messages, input: { ticket: 't' }, stream: false })).toEqual({ vars: { ticket: 't' } });
    expect(caseInput({ messages, stream: true })).toEqual({ messages });
  });
});
