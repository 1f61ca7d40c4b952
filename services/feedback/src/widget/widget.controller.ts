import { Controller, Get, Inject, Query, Req, Res } from '@nestjs/common';
import { DomainError } from '@flywheel/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { pickEncoding, WidgetBundle } from './widget-bundle';

/**
 * Caching (README "Widget caching"): `/widget.js` is the URL product pages embed, so it must
 * pick up a new release without a cache purge: fresh for an hour, then served stale for up to a
 * day while the browser revalidates with its ETag (a 304). `/widget.js?v=<version>` (the
 * content hash, as the demo page uses) never changes, so it is cached for a year, immutable.
 */
export const WIDGET_CACHE_CONTROL = 'public, max-age=3600, stale-while-revalidate=86400';
export const VERSIONED_CACHE_CONTROL = 'public, max-age=31536000, immutable';

/** `GET /widget.js` (the standalone script-tag bundle) and its source map. */
@Controller()
export class WidgetController {
  constructor(@Inject(WidgetBundle) private readonly bundle: WidgetBundle) {}

  @Get('widget.js')
  serve(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @Query('v') version?: string): void {
    const encoding = pickEncoding(req.headers['accept-encoding']);
    void reply.headers({
      'cache-control': version === this.bundle.version ? VERSIONED_CACHE_CONTROL : WIDGET_CACHE_CONTROL,
      etag: this.bundle.etag(encoding),
      vary: 'Accept-Encoding',
      'x-content-type-options': 'nosniff',
      // any site may embed the script (it is public); lets pages with COEP or SRI load it
      'cross-origin-resource-policy': 'cross-origin',
      'access-control-allow-origin': '*',
    });
    if (this.bundle.matches(req.headers['if-none-match'])) {
      void reply.code(304).send();
      return;
    }
    if (encoding !== 'identity') void reply.header('content-encoding', encoding);
    void reply.type('application/javascript; charset=utf-8').send(this.bundle.body(encoding));
  }

  @Get('widget.js.map')
  sourceMap(@Res() reply: FastifyReply): void {
    if (!this.bundle.sourceMap)
      throw new DomainError('not_found', 'the widget was built without a source map');
    void reply
      .headers({ 'cache-control': WIDGET_CACHE_CONTROL, 'access-control-allow-origin': '*' })
      .type('application/json; charset=utf-8')
      .send(this.bundle.sourceMap);
  }
}
