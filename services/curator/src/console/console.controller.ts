import { Controller, Get, Inject, Param, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CONSOLE_SECURITY_HEADERS, ConsoleFiles } from './console-files';

const NOT_BUILT =
  'The Flywheel console is not built yet. Run `npm run build` in the repository (it builds ' +
  'services/console into services/console/dist), or point CURATOR_CONSOLE_DIR at a built console, then reload.\n';

/**
 * `GET /console` and `/console/*`: the triage UI. No token here: the page asks for the admin
 * token and sends it as a bearer token with its API calls.
 */
@Controller('console')
export class ConsoleController {
  constructor(@Inject(ConsoleFiles) private readonly files: ConsoleFiles) {}

  @Get()
  index(@Res() reply: FastifyReply): Promise<void> {
    return this.sendIndex(reply);
  }

  @Get('*')
  async asset(
    @Param('*') path: string,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    if (!this.files.built) return this.notBuilt(reply);
    const asset = await this.files.asset(req.raw, path ?? '');
    if (asset.kind === 'index') return this.sendIndex(reply);
    if (asset.kind === 'missing') {
      void reply
        .code(asset.status)
        .headers(CONSOLE_SECURITY_HEADERS)
        .type('text/plain; charset=utf-8')
        .send(`not found\n`);
      return;
    }
    // send's headers first, ours after: a file's own headers cannot drop the policy.
    void reply.code(asset.status).headers(asset.headers).headers(CONSOLE_SECURITY_HEADERS).send(asset.stream);
  }

  private async sendIndex(reply: FastifyReply): Promise<void> {
    if (!this.files.built) return this.notBuilt(reply);
    void reply
      .headers({ ...CONSOLE_SECURITY_HEADERS, 'cache-control': 'no-cache' })
      .type('text/html; charset=utf-8')
      .send(await this.files.indexHtml());
  }

  private notBuilt(reply: FastifyReply): void {
    void reply
      .code(503)
      .headers({ ...CONSOLE_SECURITY_HEADERS, 'cache-control': 'no-store', 'retry-after': '10' })
      .type('text/plain; charset=utf-8')
      .send(NOT_BUILT);
  }
}
