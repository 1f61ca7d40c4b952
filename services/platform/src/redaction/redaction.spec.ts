import fc from 'fast-check';
import { PII_CORPUS, Redactor } from './index';
import { NON_PII_SAMPLES } from './pii-corpus';

const redactor = new Redactor({ enabled: true, extraPatterns: [] });

describe('Redactor', () => {
  it('has a corpus of at least 30 samples covering every kind of PII', () => {
    expect(PII_CORPUS.length).toBeGreaterThanOrEqual(30);
    expect(new Set(PII_CORPUS.map((s) => s.type))).toEqual(
      new Set(['email', 'phone', 'card', 'ip', 'secret', 'iban', 'ssn', 'dob', 'address']),
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

  it('redacts every string and every key in nested objects and arrays without touching the input', () => {
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
      '[EMAIL]': 'key stays',
      messages: [{ role: 'user', content: 'call [PHONE]' }, 'ip [IP]'],
      meta: { count: 3, ok: true, none: null, card: '[CARD]', at: new Date(0) },
    });
    expect(out).not.toBe(input);
    expect(out.messages).not.toBe(input.messages);
    expect(input.messages[0]).toEqual({ role: 'user', content: 'call 212.555.0187' });
    expect(redactor.redactValue('+1 202-555-0143')).toBe('[PHONE]');
  });

  it('keeps keys that become the same placeholder apart, and a __proto__ key an own key', () => {
    const input = JSON.parse(
      '{"a@example.com": 1, "b@example.com": 2, "[EMAIL] #2": 3, "__proto__": {"x": "jane@example.com"}}',
    ) as Record<string, unknown>;
    const out = redactor.redactValue(input);
    expect(Object.keys(out)).toEqual(['[EMAIL]', '[EMAIL] #2', '[EMAIL] #2 #2', '__proto__']);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual({ x: '[EMAIL]' });
    expect(redactor.redactValue(out)).toEqual(out);
  });

  it('walks 10,000 levels of nesting (arrays and objects) without overflowing the stack', () => {
    const depth = 10_000;
    let nested: unknown = 'mail jane@example.com';
    for (let i = 0; i < depth; i++) nested = i % 2 === 0 ? [nested] : { [`k${i}`]: nested, n: i };
    let out: unknown = redactor.redactValue(nested);
    for (let i = depth - 1; i >= 0; i--) {
      if (i % 2 === 0) {
        expect(Array.isArray(out)).toBe(true);
        out = (out as unknown[])[0];
      } else {
        expect((out as Record<string, unknown>).n).toBe(i);
        out = (out as Record<string, unknown>)[`k${i}`];
      }
    }
    expect(out).toBe('mail [EMAIL]');
  });

  it('reads a string up to max_field_chars, replaces the rest unread and counts it', () => {
    const dropped: number[] = [];
    const capped = new Redactor({
      enabled: true,
      extraPatterns: [],
      maxFieldChars: 1024,
      onOversize: (n) => dropped.push(n),
    });
    const head = `${'word '.repeat(200)}mail jane@example.com `; // 1,022 characters
    const text = `${head}then john.smith@example.org${' more text'.repeat(100_000)}`;
    const out = capped.redact(text);
    expect(out).toBe(`${'word '.repeat(200)}mail [EMAIL] [OVERSIZE]`);
    // The cut moved back to the last space, so no half of the second address is kept.
    expect(out).not.toContain('john');
    expect(dropped).toEqual([text.length - head.length]);
    // Idempotent, and strings within the cap are not counted.
    expect(capped.redact(out)).toBe(out);
    expect(capped.redact('short jane@example.com')).toBe('short [EMAIL]');
    expect(dropped).toHaveLength(1);
  });

  it('cuts a string with no whitespace at the cap, never inside a surrogate pair', () => {
    const capped = new Redactor({ enabled: true, extraPatterns: [], maxFieldChars: 1025 });
    const out = capped.redact('😀'.repeat(2000));
    expect(out).toBe(`${'😀'.repeat(512)}[OVERSIZE]`);
  });

  it('folds full-width forms to ASCII, so full-width PII is found', () => {
    expect(redactor.redact('ｍａｉｌ ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ　ｐｌｅａｓｅ')).toBe(
      'mail [EMAIL] please',
    );
  });

  it('tells separator-less SSNs, dates of birth and addresses by their context only', () => {
    expect(redactor.redact('SSN 123456789; order 123456789')).toBe('SSN [SSN]; order 123456789');
    expect(redactor.redact('ssn: 900051120')).toBe('ssn: 900051120'); // area 9xx is never issued
    expect(redactor.redact('DOB 1984-03-12, visit 1984-03-12')).toBe('DOB [DOB], visit 1984-03-12');
    expect(redactor.redact('meet at 10 Downing Street or at 10 Downing')).toBe(
      'meet at [ADDRESS] or at 10 Downing',
    );
  });

  it('redacts a 120 KB adversarial prompt to the same text a clean run gives', () => {
    // The shapes that made the old patterns quadratic, each 20 KB, with real PII at the end.
    const adversarial = [
      'a-'.repeat(10_000),
      'sk-'.repeat(7_000),
      'eyJ-'.repeat(5_000),
      'a.'.repeat(10_000),
      `password is${' '.repeat(20_000)}!`,
      `${'x'.repeat(20_000)}@`,
    ].join('\n');
    expect(adversarial.length).toBeGreaterThanOrEqual(120_000);
    const out = redactor.redact(
      `${adversarial}\nmail jane@example.com, key sk-proj-a1b2c3d4e5f6g7h8i9j0k1l2`,
    );
    expect(out).toBe(`${adversarial}\nmail [EMAIL], key [SECRET]`);
  });
});
