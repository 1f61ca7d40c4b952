import { Controller, Get, Inject, Query } from '@nestjs/common';
import { Name, type ParkedList, type VoteCounts } from '@flywheel/contracts';
import { ZodBody } from '@flywheel/platform';
import { z } from 'zod';
import { VotesService } from './votes.service';

export const ParkedQuery = z.strictObject({
  route: Name.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});
export const VotesQuery = z.strictObject({ route: Name.optional() });

const parkedQuery = new ZodBody(ParkedQuery);
const votesQuery = new ZodBody(VotesQuery);

/** `GET /v1/parked` and `GET /v1/votes` (admin token). */
@Controller('v1')
export class VotesController {
  constructor(@Inject(VotesService) private readonly votes: VotesService) {}

  @Get('parked')
  parked(@Query() raw: unknown): Promise<ParkedList> {
    return this.votes.parked(parkedQuery.transform(raw));
  }

  @Get('votes')
  counts(@Query() raw: unknown): Promise<VoteCounts> {
    return this.votes.counts(votesQuery.transform(raw).route);
  }
}
