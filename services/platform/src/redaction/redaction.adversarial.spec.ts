import { Registry } from 'prom-client';
import { MAX_LOOKUPS } from './phone';
import { PII_CORPUS, Redactor, redactionMetrics } from './index';

/*
 * Real PII after long runs of the characters each detector starts from (`@`, digits with
 * separators, street suffixes, `sk-`, `=`…): the anchored and budgeted detectors must still
 * find it, and give the same text as on its own. No timing here: bench/redaction.bench.ts
 * measures these shapes.
 */

const redactor = new Redactor({ enabled: true, extraPatterns: [], maxFieldChars: 4 * 1024 * 1024 });

/** [what, noise, text between, PII value, its placeholder] */
const CASES: [string, string, string, string, string][] = [
  ['an email after 100k `@`', '@'.repeat(100_000), ' ', 'jane.doe@example.com', '[EMAIL]'],
  ['an email after 50k `a@`', 'a@'.repeat(50_000), ' ', 'jane.doe@example.com', '[EMAIL]'],
  ['an email after 25k `a@b.`', 'a@b.'.repeat(25_000), ' ', 'jane.doe@example.com', '[EMAIL]'],
  ['an email after 100k local-part characters', 'x'.repeat(100_000), ' ', 'jane.doe@example.com', '[EMAIL]'],
  ['an email with a non-ASCII local part', 'ü@'.repeat(50_000), ' ', 'jürgen.müller@beispiel.de', '[EMAIL]'],
  ['a card after 50k `4 `', '4 '.repeat(50_000), 'x ', '4111 1111 1111 1111', '[CARD]'],
  ['a card after 10k `4111-1111-`', '4111-1111-'.repeat(10_000), ' ', '5555-5555-5555-4444', '[CARD]'],
  ['an IBAN after 20k `DE89 `', 'DE89 '.repeat(20_000), 'x ', 'DE89 3704 0044 0532 0130 00', '[IBAN]'],
  ['an address after 10k `Hauptstraße `', 'Hauptstraße '.repeat(10_000), 'x ', 'Ringstraße 5', '[ADDRESS]'],
  ['an address after 20k `Main `', `12 ${'Main '.repeat(20_000)}`, 'x ', '221B Baker Street', '[ADDRESS]'],
  ['an SSN after 10k `ssn 123 `', 'ssn 123 '.repeat(10_000), 'SSN ', '078-05-1120', '[SSN]'],
  ['an IP after 50k `1.`', '1.'.repeat(50_000), 'x ', '203.0.113.42', '[IP]'],
  ['a phone number after 25k `(1) `', '(1) '.repeat(25_000), 'call ', '+1 202-555-0143', '[PHONE]'],
  ['a key after 30k `sk-`', 'sk-'.repeat(30_000), ' ', 'sk-proj-a1b2c3d4e5f6g7h8i9j0k1l2', '[SECRET]'],
  [
    'a JWT after 25k `eyJ-`',
    'eyJ-'.repeat(25_000),
    ' ',
    `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.${'s'.repeat(5000)}`,
    '[SECRET]',
  ],
  ['a 100k-character key', '', 'key ', `sk-proj-${'a1'.repeat(50_000)}`, '[SECRET]'],
  ['a password after 100k `=`', '='.repeat(100_000), ' password=', 'hunter2!', '[SECRET]'],
  [
    'a token after 10k `Authorization: `',
    'Authorization: '.repeat(10_000),
    '\nBearer ',
    'a1B2c3D4e5F6g7H8i9J0k1L2',
    '[SECRET]',
  ],
  [
    'an email after 50k full-width `＠１`',
    '＠１'.repeat(50_000),
    ' ',
    'ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ',
    '[EMAIL]',
  ],
];

describe('Redactor on adversarial text', () => {
  it.each(CASES)('finds %s', (_name, noise, between, pii, placeholder) => {
    expect(redactor.redact(`${noise}${between}${pii}`)).toBe(
      `${redactor.redact(noise)}${between}${placeholder}`,
    );
  });

  it('keeps thousands of short order numbers, which no US phone number fits, without looking them up', () => {
    // Were they looked up, 5,000 runs would exhaust the budget and be replaced.
    const text = Array.from({ length: 5000 }, (_, i) => `order ${100 + (i % 900)}-${1000 + i} shipped`).join(
      ', ',
    );
    expect(redactor.redact(`${text}, call 212.555.0187`)).toBe(`${text}, call [PHONE]`);
  });

  it('past its lookup budget redacts the remaining phone-shaped runs unverified, never keeps them', () => {
    // Distinct trunk-prefixed runs: each is looked up for seven countries and none is valid.
    const runs = Array.from(
      { length: MAX_LOOKUPS * 2 },
      (_, i) => `0${String(1_000_000 + i * 7919).slice(1)} 9`,
    );
    const out = redactor.redact(`${runs.join(' x ')} x call +1 202-555-0143`);
    expect(out.endsWith('x call [PHONE]')).toBe(true);
    const kept = out.split(' x ').filter((part) => /^0\d+ 9$/.test(part));
    // The first runs were looked up and kept; once the budget ran out the rest were replaced.
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(runs.length);
    expect(out).toContain('x [PHONE] x');
    expect(redactor.redact(out)).toBe(out);
  });

  it('counts the runs it replaced unverified in flywheel_redaction_unverified_phones_total', async () => {
    const registry = new Registry();
    const counted = new Redactor({ enabled: true, extraPatterns: [], ...redactionMetrics(registry) });
    const unverified = async () =>
      (await registry.getSingleMetric('flywheel_redaction_unverified_phones_total')?.get())?.values[0]?.value;
    expect(counted.redact('call +1 202-555-0143 or 212.555.0187')).toBe('call [PHONE] or [PHONE]');
    expect(await unverified()).toBe(0);
    // +999 is no country calling code: the looked-up runs are kept, so every [PHONE] is unverified.
    const runs = Array.from({ length: MAX_LOOKUPS * 2 }, (_, i) => `+999 ${1_000_000 + i * 7919}`);
    const out = counted.redact(runs.join(' x '));
    const replaced = out.split('[PHONE]').length - 1;
    expect(replaced).toBeGreaterThan(0);
    expect(replaced).toBeLessThan(runs.length);
    expect(await unverified()).toBe(replaced);
  });

  it('reads `version` across a line break before an IPv4 address anywhere in a long text', () => {
    // The detectors after secrets run on chunks cut at line breaks; none may fall in between.
    const text = `${'w '.repeat(7)}version\n 203.0.113.9\n`.repeat(20_000);
    expect(redactor.redact(text)).toBe(text);
    expect(redactor.redact(`${text}ip 203.0.113.9`)).toBe(`${text}ip [IP]`);
  });

  it('finds the corpus in a text of 1 MiB that repeats it', () => {
    const unit = PII_CORPUS.map((s) => s.text).join('\n');
    const once = redactor.redact(unit);
    const text = `${unit}\n`.repeat(Math.ceil((1024 * 1024) / unit.length));
    expect(redactor.redact(text)).toBe(`${once}\n`.repeat(Math.ceil((1024 * 1024) / unit.length)));
  });
});
