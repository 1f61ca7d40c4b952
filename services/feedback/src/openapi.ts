import { ErrorBody, FeedbackAccepted, FeedbackRequest } from '@flywheel/contracts';
import { buildOpenApi, type OpenApiOperation } from '@flywheel/platform';
import { z } from 'zod';
import { CannedInteractionRequest } from './demo/demo.controller';

const errors = (...statuses: number[]): OpenApiOperation['responses'] =>
  Object.fromEntries(statuses.map((s) => [s, { description: ERROR_TEXT[s] ?? 'error', schema: ErrorBody }]));

const ERROR_TEXT: Record<number, string> = {
  400: 'invalid body (`details.issues` lists field paths)',
  401: '`invalid_token` (malformed, tampered, wrong secret) or `token_expired`',
  403: '`interaction_mismatch` (token for another interaction) or `origin_not_allowed` (CORS allowlist)',
  404: 'not found',
  413: 'body too large',
  429: '`rate_limited` per client IP or per subject; see Retry-After',
  503: 'a backend is unavailable; retry',
};

/** The OpenAPI document served at /docs, generated from the same zod schemas. */
export function feedbackOpenApi(demo: boolean) {
  const operations: OpenApiOperation[] = [
    {
      method: 'post',
      path: '/v1/feedback',
      summary:
        'Record a vote. A later vote by the same subject on the same interaction replaces it (same feedback_id, next revision); an identical retry answers the same feedback_id without a new event. 202 once the event is durable.',
      request: FeedbackRequest,
      responses: {
        202: { description: 'accepted', schema: FeedbackAccepted },
        ...errors(400, 401, 403, 413, 429, 503),
      },
    },
    {
      method: 'get',
      path: '/widget.js',
      summary: 'The standalone widget bundle (script tag). `?v=<version>` URLs are immutable.',
      responses: {
        200: { description: 'the bundle', schema: z.string(), contentType: 'application/javascript' },
        304: { description: 'not modified (If-None-Match)' },
      },
    },
  ];
  if (demo) {
    operations.push(
      {
        method: 'get',
        path: '/demo',
        summary: 'Demo chat page with the widget under each answer',
        responses: { 200: { description: 'the page', schema: z.string(), contentType: 'text/html' } },
      },
      {
        method: 'post',
        path: '/demo/interactions',
        summary: 'A canned demo answer with a real feedback token (only when no gateway is configured)',
        request: CannedInteractionRequest,
        responses: {
          201: {
            description: 'a canned interaction',
            schema: z.object({
              interaction_id: z.string(),
              feedback_token: z.string(),
              answer: z.string(),
              route: z.string(),
              variant: z.string(),
            }),
          },
          ...errors(400, 404, 429),
        },
      },
    );
  }
  return buildOpenApi({ title: 'Flywheel feedback', version: '1' }, operations);
}
