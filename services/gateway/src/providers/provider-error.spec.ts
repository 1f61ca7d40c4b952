import { classifyStatus, parseRetryAfterMs, ProviderError, toProviderError } from './provider-error';

const headers = (h: Record<string, string>) => new Headers(h);
const NOW = Date.parse('2026-01-01T00:00:00Z');

describe('parseRetryAfterMs', () => {
  it('reads seconds, fractional seconds and an HTTP date', () => {
    expect(parseRetryAfterMs(headers({ 'retry-after': '7' }), NOW)).toBe(7_000);
    expect(parseRetryAfterMs(headers({ 'retry-after': '0.25' }), NOW)).toBe(250);
    expect(parseRetryAfterMs(headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:03 GMT' }), NOW)).toBe(3_000);
    expect(parseRetryAfterMs(headers({ 'retry-after': 'Wed, 31 Dec 2025 23:59:00 GMT' }), NOW)).toBe(0);
  });

  it("prefers OpenAI's retry-after-ms", () => {
    expect(parseRetryAfterMs(headers({ 'retry-after-ms': '120', 'retry-after': '1' }), NOW)).toBe(120);
  });

  it('ignores absent and unparseable values', () => {
    expect(parseRetryAfterMs(undefined, NOW)).toBeUndefined();
    expect(parseRetryAfterMs(headers({}), NOW)).toBeUndefined();
    expect(parseRetryAfterMs(headers({ 'retry-after': 'soon' }), NOW)).toBeUndefined();
    expect(parseRetryAfterMs(headers({ 'retry-after': '-3' }), NOW)).toBeUndefined();
  });
});

describe('classifyStatus', () => {
  it.each([
    [429, 'rate_limited'],
    [500, 'server_error'],
    [503, 'server_error'],
    [529, 'server_error'],
    [409, 'server_error'],
    [408, 'timeout'],
    [401, 'auth'],
    [403, 'auth'],
    [404, 'not_found'],
    [400, 'bad_request'],
    [413, 'bad_request'],
    [422, 'bad_request'],
  ])('%i → %s', (status, errorClass) => {
    expect(classifyStatus(status)).toBe(errorClass);
  });
});

describe('toProviderError', () => {
  it('classifies an SDK API error by its status and keeps Retry-After of a 429', () => {
    const sdkError = Object.assign(new Error('Rate limited'), {
      status: 429,
      headers: headers({ 'retry-after': '2' }),
    });
    const err = toProviderError(sdkError, NOW);
    expect(err).toMatchObject({ errorClass: 'rate_limited', httpStatus: 429, retryAfterMs: 2_000 });
    expect(err.cause).toBe(sdkError);
  });

  it('does not carry Retry-After for client errors', () => {
    const sdkError = Object.assign(new Error('bad'), {
      status: 400,
      headers: headers({ 'retry-after': '2' }),
    });
    expect(toProviderError(sdkError, NOW)).toMatchObject({
      errorClass: 'bad_request',
      retryAfterMs: undefined,
    });
  });

  it('treats anything without a status as a network failure (e.g. undici "terminated")', () => {
    expect(toProviderError(new TypeError('terminated'), NOW)).toMatchObject({
      errorClass: 'network',
      httpStatus: undefined,
      message: 'terminated',
    });
    expect(toProviderError('boom', NOW).errorClass).toBe('network');
  });

  it('passes a ProviderError through unchanged', () => {
    const original = new ProviderError('circuit_open', 'open');
    expect(toProviderError(original, NOW)).toBe(original);
  });
});
