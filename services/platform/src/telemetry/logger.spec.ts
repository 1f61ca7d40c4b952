import { Writable } from 'node:stream';
import { createLogger, NestPinoLogger, registerLogSecret } from './logger';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createLogger({ service: 'svc', level: 'debug', destination }) };
}

describe('createLogger', () => {
  it('writes one JSON line with service, level and message', () => {
    const { lines, logger } = capture();
    logger.info({ route: 'demo' }, 'hello');
    expect(lines).toEqual([
      expect.objectContaining({ service: 'svc', level: 'info', msg: 'hello', route: 'demo' }),
    ]);
  });

  it('redacts secret-named fields at any of the first levels', () => {
    const { lines, logger } = capture();
    logger.info({
      authorization: 'Bearer abcdefgh123',
      req: { headers: { authorization: 'x', 'x-api-key': 'k' } },
      token: 't',
    });
    const line = JSON.stringify(lines[0]);
    expect(line).not.toMatch(/abcdefgh123|"x"|"k"|"t"/);
    expect(lines[0]).toMatchObject({ authorization: '[REDACTED]', token: '[REDACTED]' });
  });

  it('masks registered secrets, bearer credentials and provider keys inside messages', () => {
    const { lines, logger } = capture();
    registerLogSecret('super-secret-admin-token-42');
    logger.warn('call failed with super-secret-admin-token-42 and Bearer fw_live_abcdefghijkl');
    logger.error('upstream said: invalid key sk-proj-ABCDEFGHIJKLMNOPQRSTUV');
    const text = JSON.stringify(lines);
    expect(text).not.toMatch(
      /super-secret-admin-token-42|fw_live_abcdefghijkl|sk-proj-ABCDEFGHIJKLMNOPQRSTUV/,
    );
    expect(lines[0]!.msg).toBe('call failed with [REDACTED] and Bearer [REDACTED]');
  });
});

describe('NestPinoLogger', () => {
  it('maps Nest calls to levels with the context, and error stacks to a field', () => {
    const { lines, logger } = capture();
    const nest = new NestPinoLogger(logger);
    nest.log('booted', 'Gateway');
    nest.error('boom', 'Error: boom\n    at x', 'HttpErrorFilter');
    expect(lines[0]).toMatchObject({ level: 'info', msg: 'booted', context: 'Gateway' });
    expect(lines[1]).toMatchObject({
      level: 'error',
      msg: 'boom',
      context: 'HttpErrorFilter',
      stack: 'Error: boom\n    at x',
    });
  });
});
