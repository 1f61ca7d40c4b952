import type { RequestGate } from '@flywheel/platform';

/**
 * The Anthropic SDK sends its key as `x-api-key`: on `path`, a request without an
 * `Authorization` header has that key checked as its bearer token (the bearer gate after this one
 * does the constant-time check).
 */
export function xApiKeyAsBearer(path: string): RequestGate {
  return (request, _reply, requested) => {
    if (requested !== path || request.headers.authorization !== undefined) return undefined;
    const key = request.headers['x-api-key'];
    if (typeof key === 'string' && key !== '') request.headers.authorization = `Bearer ${key}`;
    return undefined;
  };
}
