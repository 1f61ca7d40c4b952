import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { bearerToken, DomainError, matchesSecret } from '@flywheel/platform';
import type { FastifyRequest } from 'fastify';

export const ADMIN_TOKEN = Symbol('ADMIN_TOKEN');

/**
 * The triage API's authorization: `Authorization: Bearer <FLYWHEEL_ADMIN_TOKEN>`, compared in
 * constant time; anything else is 401 with `WWW-Authenticate: Bearer`.
 */
@Injectable()
export class AdminAuthGuard implements CanActivate {
  constructor(@Inject(ADMIN_TOKEN) private readonly token: string) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    if (matchesSecret(bearerToken(req.headers.authorization), [this.token])) return true;
    throw new DomainError(
      'unauthorized',
      'a valid admin token is required: Authorization: Bearer <FLYWHEEL_ADMIN_TOKEN>',
      undefined,
      { 'www-authenticate': 'Bearer' },
    );
  }
}
