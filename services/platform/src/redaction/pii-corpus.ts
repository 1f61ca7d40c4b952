/*
 * Realistic PII as users paste it into prompts, comments and corrections, for tests and for
 * checking stored data. Values are documentation examples (RFC 5737/3849 addresses, the
 * payment networks' test cards, the IBAN registry's examples) or made up. Token-shaped
 * values are assembled from two parts so secret scanners do not flag this file.
 */

export interface PiiSample {
  /** The kind of PII; its placeholder is `[${type.toUpperCase()}]`. */
  readonly type: 'email' | 'phone' | 'card' | 'ip' | 'secret' | 'iban' | 'ssn' | 'dob' | 'address';
  readonly text: string;
  /** Substrings of `text` that must not survive redaction. */
  readonly raw: string[];
}

const OPENAI_KEY = 'sk-proj-' + 'Xk3mP9vQ2wR7tY1uZ8aB4cD6eF0gH5jK2lM9nO3pQ7rS1tU';
const ANTHROPIC_KEY =
  'sk-ant-api03-' + 'q8Zr2LmX7vT1nB4cK9wY3pD6sF0hJ5gE2aU8iO1lM7kN4bV3cX9zQ6wR2tY5uP0-AbCdEfG1hIjK2lMnO3';
const AWS_KEY_ID = 'AKIA' + 'IOSFODNN7EXAMPLE';
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/' + 'bPxRfiCYEXAMPLEKEY';
const GITHUB_TOKEN = 'ghp_' + 'R8mZ2vK9qT4wX7yB1nC5dF3gH6jL0pS8aE2u';
const SLACK_TOKEN = 'xoxb-' + '123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx';
const STRIPE_KEY = 'sk_live_' + '51HxYz2eZvKYlo2C8f3Yk9QpLmN0aBcDeF';
const GOOGLE_KEY = 'AIza' + 'SyD4f8Kq2Lm9Np3Rs7Tv1Wx5Yz0Ab6Cd8Ef';
const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.' +
  'eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.' +
  'SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
const PEM_BODY = 'MIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MaG9Fo' + 'mLpUq1xM6wqgHEpA8f4sZq2uDkz8w';

export const PII_CORPUS: readonly PiiSample[] = [
  // Email addresses
  {
    type: 'email',
    text: 'Please send the invoice to jane.doe@example.com today.',
    raw: ['jane.doe@example.com'],
  },
  {
    type: 'email',
    text: 'Reply-To: j.smith+newsletter@mail.example.co.uk, cc JOHN_DOE42@Example.ORG',
    raw: ['j.smith+newsletter@mail.example.co.uk', 'JOHN_DOE42@Example.ORG'],
  },
  {
    type: 'email',
    text: 'Schreiben Sie an jürgen.müller@beispiel.de (privat).',
    raw: ['jürgen.müller@beispiel.de'],
  },
  { type: 'email', text: '{"contact":"support@acme-corp.io","role":"admin"}', raw: ['support@acme-corp.io'] },

  // Phone numbers: US national, international, European national
  {
    type: 'phone',
    text: 'Call me at (415) 555-2671 or 212.555.0187 after 5pm.',
    raw: ['(415) 555-2671', '212.555.0187'],
  },
  { type: 'phone', text: 'My cell is +1 202-555-0143, text first.', raw: ['+1 202-555-0143'] },
  {
    type: 'phone',
    text: 'UK office: +44 20 7946 0958, mobile 07911 123456.',
    raw: ['+44 20 7946 0958', '07911 123456'],
  },
  {
    type: 'phone',
    text: 'Rufen Sie mich an: 030 901820 oder 0151 23456789.',
    raw: ['030 901820', '0151 23456789'],
  },
  {
    type: 'phone',
    text: 'Mon portable : 06 12 34 56 78, bureau +33 1 42 68 53 00.',
    raw: ['06 12 34 56 78', '+33 1 42 68 53 00'],
  },
  {
    type: 'phone',
    text: 'Contacts: +34 612 34 56 78 (Madrid), +39 06 6982 1234 (Roma), 0031 20 123 4567 (Amsterdam).',
    raw: ['+34 612 34 56 78', '+39 06 6982 1234', '0031 20 123 4567'],
  },
  {
    type: 'phone',
    text: 'Tokyo +81 3-1234-5678, Bangalore +91 98765 43210, São Paulo +55 11 91234-5678.',
    raw: ['+81 3-1234-5678', '+91 98765 43210', '+55 11 91234-5678'],
  },

  // Card numbers (payment networks' test numbers, Luhn-valid)
  {
    type: 'card',
    text: 'Charge my Visa 4111 1111 1111 1111, exp 04/27, CVV 123.',
    raw: ['4111 1111 1111 1111'],
  },
  { type: 'card', text: 'Mastercard: 5555-5555-5555-4444', raw: ['5555-5555-5555-4444'] },
  {
    type: 'card',
    text: 'amex 3782 822463 10005 and discover 6011111111111117',
    raw: ['3782 822463 10005', '6011111111111117'],
  },
  { type: 'card', text: 'card_number=4242424242424242&name=J+Doe', raw: ['4242424242424242'] },

  // IP addresses
  {
    type: 'ip',
    text: 'Login from 203.0.113.42 was blocked, retry from 198.51.100.7:8443.',
    raw: ['203.0.113.42', '198.51.100.7'],
  },
  {
    type: 'ip',
    text: 'My router is at 192.168.1.20 and the NAS at 10.0.0.12.',
    raw: ['192.168.1.20', '10.0.0.12'],
  },
  {
    type: 'ip',
    text: 'IPv6 client 2001:db8:85a3::8a2e:370:7334 connected.',
    raw: ['2001:db8:85a3::8a2e:370:7334'],
  },
  {
    type: 'ip',
    text: 'Peers: [2001:db8::1]:8080, 2001:0db8:0000:0000:0000:ff00:0042:8329, fe80::1ff:fe23:4567:890a%eth0',
    raw: ['2001:db8::1', '2001:0db8:0000:0000:0000:ff00:0042:8329', 'fe80::1ff:fe23:4567:890a'],
  },

  // API keys, tokens and passwords
  { type: 'secret', text: `OPENAI_API_KEY=${OPENAI_KEY}`, raw: [OPENAI_KEY] },
  { type: 'secret', text: `Here is my key ${ANTHROPIC_KEY} why does it 401?`, raw: [ANTHROPIC_KEY] },
  {
    type: 'secret',
    text: `[default]\naws_access_key_id = ${AWS_KEY_ID}\naws_secret_access_key = ${AWS_SECRET}`,
    raw: [AWS_KEY_ID, AWS_SECRET],
  },
  { type: 'secret', text: `git clone https://${GITHUB_TOKEN}@github.com/acme/app.git`, raw: [GITHUB_TOKEN] },
  { type: 'secret', text: `slack bot token: ${SLACK_TOKEN}`, raw: [SLACK_TOKEN] },
  { type: 'secret', text: `const stripe = new Stripe('${STRIPE_KEY}');`, raw: [STRIPE_KEY] },
  { type: 'secret', text: `maps?key=${GOOGLE_KEY}&q=Berlin`, raw: [GOOGLE_KEY] },
  { type: 'secret', text: `The session cookie is ${JWT}`, raw: [JWT] },
  {
    type: 'secret',
    text: "curl -H 'Authorization: Bearer 7f3a9c2e1b8d4f6a0e5c3b9d2a7f1e4c' https://api.example.com/v1/me",
    raw: ['7f3a9c2e1b8d4f6a0e5c3b9d2a7f1e4c'],
  },
  {
    type: 'secret',
    text: 'the gateway wants Bearer a1B2c3D4e5F6g7H8i9J0k1L2 in the header',
    raw: ['a1B2c3D4e5F6g7H8i9J0k1L2'],
  },
  {
    type: 'secret',
    text: 'GET /v1/data?api_key=9f8e7d6c5b4a39281706f5e4d3c2b1a0&limit=10',
    raw: ['9f8e7d6c5b4a39281706f5e4d3c2b1a0'],
  },
  {
    type: 'secret',
    text: 'DB_PASSWORD=Sup3r$ecret! and my password is hunter2.',
    raw: ['Sup3r$ecret!', 'hunter2'],
  },
  {
    type: 'secret',
    text: '{"username": "jdoe", "password": "correct horse battery staple"}',
    raw: ['correct horse battery staple'],
  },
  {
    type: 'secret',
    text: 'DATABASE_URL=postgres://app_user:s3cr3tP%40ss@db.internal:5432/app',
    raw: ['s3cr3tP%40ss'],
  },
  {
    type: 'secret',
    text: `-----BEGIN RSA PRIVATE KEY-----\n${PEM_BODY}\n-----END RSA PRIVATE KEY-----`,
    raw: [PEM_BODY],
  },

  // IBANs (several countries, spaced and compact)
  {
    type: 'iban',
    text: 'Überweisung an DE89 3704 0044 0532 0130 00 bitte bis Freitag.',
    raw: ['DE89 3704 0044 0532 0130 00'],
  },
  { type: 'iban', text: 'Pay GB82WEST12345698765432 (Westminster branch).', raw: ['GB82WEST12345698765432'] },
  {
    type: 'iban',
    text: 'IBAN : FR14 2004 1010 0505 0001 3M02 606',
    raw: ['FR14 2004 1010 0505 0001 3M02 606'],
  },
  {
    type: 'iban',
    text: 'NL91ABNA0417164300, ES91 2100 0418 4502 0005 1332 and IT60X0542811101000000123456',
    raw: ['NL91ABNA0417164300', 'ES91 2100 0418 4502 0005 1332', 'IT60X0542811101000000123456'],
  },
  {
    type: 'iban',
    text: 'Konto CH93 0076 2011 6238 5295 7 / BE68539007547034 / at61 1904 3002 3457 3201',
    raw: ['CH93 0076 2011 6238 5295 7', 'BE68539007547034', 'at61 1904 3002 3457 3201'],
  },

  // US Social Security numbers
  { type: 'ssn', text: 'SSN: 078-05-1120', raw: ['078-05-1120'] },
  { type: 'ssn', text: 'my social is 219-09-9999, spouse 536 22 1234', raw: ['219-09-9999', '536 22 1234'] },
  { type: 'ssn', text: 'Form W-2 for Jane Roe (SSN 457-55-5462), born 1985-03-14.', raw: ['457-55-5462'] },
  { type: 'ssn', text: 'my SSN is 078051120, please update it', raw: ['078051120'] },
  { type: 'ssn', text: 'Social Security Number: 219099999.', raw: ['219099999'] },

  // Card numbers written with dots, and full-width digits (IME input)
  { type: 'card', text: 'card no. 4111.1111.1111.1111 exp 09/28', raw: ['4111.1111.1111.1111'] },
  { type: 'card', text: 'Amex 3782.822463.10005 on file', raw: ['3782.822463.10005'] },
  {
    type: 'card',
    text: 'カード番号は４１１１　１１１１　１１１１　１１１１です',
    raw: ['４１１１　１１１１　１１１１　１１１１'],
  },
  { type: 'phone', text: '電話：＋１ ２０２-５５５-０１４３', raw: ['２０２-５５５-０１４３'] },

  // Dates of birth: a date is PII only where the text says it is one
  { type: 'dob', text: 'Patient DOB: 03/12/1984, allergies none.', raw: ['03/12/1984'] },
  { type: 'dob', text: 'I was born on 12 March 1984 in Leeds.', raw: ['12 March 1984'] },
  { type: 'dob', text: '{"name":"Jane","date_of_birth":"1990-07-04"}', raw: ['1990-07-04'] },
  { type: 'dob', text: 'Geburtsdatum: 14.02.1979', raw: ['14.02.1979'] },
  { type: 'dob', text: 'my birthday is March 5, 1992 so discount please', raw: ['March 5, 1992'] },

  // Street addresses (house number + name + street type; European street names + number)
  {
    type: 'address',
    text: 'Ship it to 1600 Pennsylvania Avenue NW, Washington, DC 20500.',
    raw: ['1600 Pennsylvania Avenue'],
  },
  { type: 'address', text: 'I live at 221B Baker Street, London.', raw: ['221B Baker Street'] },
  { type: 'address', text: 'new address: 42 Wallaby Way, Apt 3, Sydney', raw: ['42 Wallaby Way', 'Apt 3'] },
  { type: 'address', text: 'Lieferung an Hauptstraße 12, 10115 Berlin', raw: ['Hauptstraße 12'] },
  { type: 'address', text: 'Our office is at Keizersgracht 123 in Amsterdam.', raw: ['Keizersgracht 123'] },
];

/**
 * Ordinary text that must come through unchanged. The choices where a rule could go either
 * way: four-part versions after `v`/`version` are versions, loopback and unspecified
 * addresses are kept, dates, ISBNs, UUIDs, commit hashes and documentation placeholders
 * (`YOUR_API_KEY`) are not secrets, and talk *about* passwords and tokens is kept, as is
 * code that only names one.
 */
export const NON_PII_SAMPLES: readonly string[] = [
  'Upgraded to version 1.2.3.4 and v2.0.1.7 of the SDK yesterday.',
  'Meeting on 2024-05-01 at 12:30:45, again on 01/06/2024 and 15.07.2024.',
  'Order #100234 shipped; invoice INV-2024-000123 is attached.',
  'The total was $1,234.56 (€1.099,00 incl. VAT), down from 2,499.99.',
  'Add 3 items, then 42 more; page 7 of 12; room 101.',
  'Interaction 3f2b8c1e-9a4d-4e6b-8f2a-1c3d5e7f9a0b and request 123e4567-e89b-12d3-a456-426614174000 failed.',
  'Commit a94a8fe5ccb19ba61c4c0873d391e987982fbbd3 fixed the password field validation; Bearer authentication is required.',
  'Bind the server to 0.0.0.0:8080 and test with curl http://127.0.0.1:3000/healthz or [::1]:3000.',
  'Use std::vector and Foo::Bar in C++; the aspect ratio was 16:9 and the score 3:2.',
  'Model gpt-4o-2024-08-06 and claude-3-5-sonnet-20241022 with max_tokens: 1024 and temperature=0.7.',
  'HTTP 404 on port 8443; retry after 30 s; 1920x1080; 10.5 kg; ISBN 978-0-306-40615-7.',
  'Set api_key=YOUR_API_KEY and token: <paste here>; the secret sauce is patience.',
  'Timestamps 1714567890123 and 1714567890; MAC 00:1A:2B:3C:4D:5E; error code E1234567.',
  'The @flywheel/curator package talks to user@localhost only in tests.',
  'In code: password: string; password = input(prompt); password: req.body.password, secret: process.env.SECRET.',
  'Released 14 April 1999; the birthday party is on 2024-06-01; pi is 3.1415926535897932384.',
  'We sold 250 Big Mac menus and 3 Large Orders on 5th Avenue.',
  'Ticket 123456789 was merged; build 987654321 passed; the ssn field is required.',
];
