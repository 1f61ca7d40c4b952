import { OriginPolicy } from './origin-policy';

describe('OriginPolicy', () => {
  const policy = new OriginPolicy(['https://app.example.com', 'http://localhost:3000']);

  it('allows listed origins exactly', () => {
    expect(policy.allows('https://app.example.com', 'feedback.example.com')).toBe(true);
    expect(policy.allows('HTTPS://APP.EXAMPLE.COM', 'feedback.example.com')).toBe(true);
    expect(policy.allows('http://localhost:3000', 'feedback.example.com')).toBe(true);
  });

  it('refuses look-alikes and other origins', () => {
    for (const origin of [
      'https://app.example.com.evil.test',
      'http://app.example.com',
      'https://evil.app.example.com',
      'http://localhost:3001',
      'null',
      '',
    ]) {
      expect(policy.allows(origin, 'feedback.example.com')).toBe(false);
    }
  });

  it('allows its own origin (the demo page) and requests without an Origin', () => {
    expect(policy.allows('http://127.0.0.1:8081', '127.0.0.1:8081')).toBe(true);
    expect(policy.allows('http://127.0.0.1:8082', '127.0.0.1:8081')).toBe(false);
    expect(policy.allows(undefined, 'feedback.example.com')).toBe(true);
  });
});
