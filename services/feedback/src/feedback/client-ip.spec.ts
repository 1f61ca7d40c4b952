import { clientIp } from './client-ip';

describe('clientIp', () => {
  it('uses the socket address unless proxies are trusted', () => {
    expect(clientIp('10.0.0.5', '1.2.3.4', 0)).toBe('10.0.0.5');
    expect(clientIp('10.0.0.5', undefined, 1)).toBe('10.0.0.5');
  });
  it('takes the entry the outermost trusted proxy appended, ignoring what the client made up', () => {
    expect(clientIp('10.0.0.5', 'spoofed, 198.51.100.9', 1)).toBe('198.51.100.9');
    expect(clientIp('10.0.0.5', 'spoofed, 198.51.100.9, 10.0.0.2', 2)).toBe('198.51.100.9');
    expect(clientIp('10.0.0.5', ['spoofed', '198.51.100.9'], 1)).toBe('198.51.100.9');
  });
  it('falls back to the leftmost entry when fewer hops than trusted are listed', () => {
    expect(clientIp('10.0.0.5', '198.51.100.9', 3)).toBe('198.51.100.9');
  });
});
