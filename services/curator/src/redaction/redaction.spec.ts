import fc from 'fast-check';
import { PII_CORPUS, Redactor } from './index';
import { NON_PII_SAMPLES } from './pii-corpus';

const redactor = new Redactor({ enabled: true, extraPatterns: [] });

describe('Redactor', () => {
  it('has a corpus of at least 30 samples covering every kind of PII', () => {
    expect(PII_CORPUS.length).toBeGreaterThanOrEqual(30);
    expect(new Set(PII_CORPUS.map((s) => s.type))).toEqual(
      new Set(['email', 'phone', 'card', 'ip', 'secret', 'iban', 'ssn']),
    );
    for (const sample of PII_CORPUS) for (const raw of sample.raw) expect(sample.text).toContain(raw);
  });

  it.each(PII_CORPUS.map((s) => [s.type, s.text, s]))('redacts %s in %j', (_type, _text, sample) => {
    const out = redactor.redact(sample.text);
    for (const raw of sample.raw) expect(out).not.toContain(raw);
    expect(out).toContain(`[${sample.type.toUpperCase()}]`);
  });

  it('keeps the text around what it redacts', () => {
    expect(redactor.redact('Mail jane.doe@example.com or call +1 202-555-0143, thanks!')).toBe(
      'Mail [EMAIL] or call [PHONE], thanks!',
    );
    expect(redactor.redact('DATABASE_URL=postgres://app:pw123456@db:5432/app')).toBe(
      'DATABASE_URL=postgres://app:[SECRET]@db:5432/app',
    );
    expect(redactor.redact('{"password": "hunter2", "user": "jdoe"}')).toBe(
      '{"password": "[SECRET]", "user": "jdoe"}',
    );
    expect(redactor.redact('card 4111 1111 1111 1111 12/27 cvc 123')).toBe('card [CARD] 12/27 cvc 123');
    expect(redactor.redact('Amsterdam: 0031 20 123 4567.')).toBe('Amsterdam: [PHONE].');
    expect(redactor.redact('IBAN DE89 3704 0044 0532 0130 00 please')).toBe('IBAN [IBAN] please');
  });

  it.each(NON_PII_SAMPLES.map((text) => [text]))('leaves ordinary text alone: %j', (text) => {
    expect(redactor.redact(text)).toBe(text);
  });

  it('rejects look-alikes that fail the checksum', () => {
    const text = 'card 4111 1111 1111 1112, iban DE88 3704 0044 0532 0130 00, ssn 666-12-3456, ip 999.1.2.3';
    expect(redactor.redact(text)).toBe(text);
  });

  it('is idempotent', () => {
    for (const sample of PII_CORPUS) {
      const once = redactor.redact(sample.text);
      expect(redactor.redact(once)).toBe(once);
    }
  });

  it('is idempotent on any mix of PII, ordinary text and noise', () => {
    const fragment = fc.oneof(
      fc.constantFrom(...PII_CORPUS.flatMap((s) => [s.text, ...s.raw]), ...NON_PII_SAMPLES),
      fc.string({ maxLength: 12 }),
      fc.stringMatching(/^[\d +().:-]{1,20}$/),
      fc.constantFrom(' ', '\n', ', ', '@', ':', '=', '"', '-', '.', '[', ']'),
    );
    fc.assert(
      fc.property(fc.array(fragment, { maxLength: 8 }), (parts) => {
        const once = redactor.redact(parts.join(''));
        return redactor.redact(once) === once;
      }),
      { numRuns: 300 },
    );
  });

  it('finds the corpus PII whatever text surrounds it', () => {
    const sample = fc.constantFrom(...PII_CORPUS);
    const filler = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom(...NON_PII_SAMPLES));
    fc.assert(
      fc.property(filler, sample, filler, (before, { text, raw }, after) => {
        const out = redactor.redact(`${before}\n${text}\n${after}`);
        return raw.every((r) => !out.includes(r));
      }),
      { numRuns: 300 },
    );
  });

  it('applies extra patterns as [REDACTED], before the built-in ones', () => {
    const custom = new Redactor({
      enabled: true,
      extraPatterns: [String.raw`\bACME-\d{6}\b`, 'Project Falcon'],
    });
    expect(custom.redact('Ticket ACME-123456 about Project Falcon, mail jane@example.com')).toBe(
      'Ticket [REDACTED] about [REDACTED], mail [EMAIL]',
    );
    // A pattern that matches the empty string inserts nothing.
    expect(new Redactor({ enabled: true, extraPatterns: ['x*'] }).redact('abc')).toBe('abc');
  });

  it('names the bad extra pattern', () => {
    expect(() => new Redactor({ enabled: true, extraPatterns: ['ok', '(unclosed'] })).toThrow(
      /extra_patterns\[1\]/,
    );
  });

  it('is the identity when disabled', () => {
    const off = new Redactor({ enabled: false, extraPatterns: ['secret'] });
    const value = { input: 'jane.doe@example.com secret' };
    for (const sample of PII_CORPUS) expect(off.redact(sample.text)).toBe(sample.text);
    expect(off.redactValue(value)).toBe(value);
  });

  it('redacts every string in nested objects and arrays without touching keys or the input', () => {
    const input = Object.freeze({
      'jane.doe@example.com': 'key stays',
      messages: Object.freeze([
        Object.freeze({ role: 'user', content: 'call 212.555.0187' }),
        'ip 203.0.113.42',
      ]),
      meta: Object.freeze({ count: 3, ok: true, none: null, card: 4111111111111111, at: new Date(0) }),
    });
    const out = redactor.redactValue(input);
    expect(out).toEqual({
      'jane.doe@example.com': 'key stays',
      messages: [{ role: 'user', content: 'call [PHONE]' }, 'ip [IP]'],
      meta: { count: 3, ok: true, none: null, card: '[CARD]', at: new Date(0) },
    });
    expect(out).not.toBe(input);
    expect(out.messages).not.toBe(input.messages);
    expect(input.messages[0]).toEqual({ role: 'user', content: 'call 212.555.0187' });
    expect(redactor.redactValue('+1 202-555-0143')).toBe('[PHONE]');
  });
});
