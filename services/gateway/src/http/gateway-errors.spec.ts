import { DomainError } from '@flywheel/platform';
import { type ChainOutcome, GatewayError, type GatewayErrorCode } from '../chain/gateway-error';
import { gatewayErrorReply } from './gateway-errors';

const outcome: ChainOutcome = {
  attempts: [
    {
      model: 'secret-model',
      provider: 'p',
      status: 'error',
      latency_ms: 1,
      started_at: new Date(0).toISOString(),
      error_class: 'server_error',
    },
  ],
  validation: { schema: true, valid: false, repaired: false, reasks: 1 },
  usage: { input_tokens: 1, output_tokens: 1, total_tokens: 2 },
  cost_usd: 0,
  final_model: null,
};

describe('gatewayErrorReply', () => {
  const logged: string[] = [];
  const log = (m: string) => logged.push(m);

  it.each<[GatewayErrorCode, number]>([
    ['unknown_model', 404],
    ['upstream_unavailable', 502],
    ['upstream_rejected', 400],
    ['structured_output_invalid', 502],
    ['deadline_exceeded', 504],
    ['cancelled', 499],
    ['truncated', 502],
  ])('maps %s to %i, never exposing the outcome', (code, status) => {
    const mapped = gatewayErrorReply(new GatewayError(code, 'what happened', outcome), log);
    expect(mapped.status).toBe(status);
    expect(mapped.body.error.type).toBe(code);
    expect(JSON.stringify(mapped.body)).not.toContain('secret-model');
    expect(mapped.body.error.error_id !== undefined).toBe(status >= 500);
  });

  it('puts the validation errors of structured_output_invalid in details', () => {
    const errors = [{ path: '/priority', message: 'must be equal to one of the allowed values' }];
    const mapped = gatewayErrorReply(
      new GatewayError('structured_output_invalid', 'bad output', outcome, errors),
      log,
    );
    expect(mapped.body.error).toEqual({
      type: 'structured_output_invalid',
      code: 'structured_output_invalid',
      param: null,
      message: 'bad output',
      details: { errors },
      error_id: expect.any(String),
    });
    expect(logged.join('\n')).toContain(mapped.body.error.error_id);
  });

  it('maps domain errors and anything else like the shared HTTP kit', () => {
    expect(gatewayErrorReply(new DomainError('unknown_route', 'no route'), log).status).toBe(404);
    expect(gatewayErrorReply(new DomainError('forbidden', 'no'), log).status).toBe(403);
    const crash = gatewayErrorReply(new Error('password=hunter2'), log);
    expect(crash.status).toBe(500);
    expect(JSON.stringify(crash.body)).not.toContain('hunter2');
  });
});
