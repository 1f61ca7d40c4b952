import { Controller, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { MAX_TARGETING_KEY, SubjectHash, type SubjectErasure } from '@flywheel/contracts';
import { ZodBody } from '@flywheel/platform';
import { z } from 'zod';
import { SubjectEraser } from './subject-eraser';

const keyParams = new ZodBody(z.object({ key: z.string().min(1).max(MAX_TARGETING_KEY) }));
const hashParams = new ZodBody(z.object({ hash: SubjectHash }));

/**
 * Erase by subject (admin token): `POST /v1/subjects/{targeting key}/erase` (the key
 * percent-encoded as one path segment) and `POST /v1/subjects/by-hash/{subject_hash}/erase`.
 * No body is read.
 */
@Controller('v1/subjects')
export class SubjectsController {
  constructor(@Inject(SubjectEraser) private readonly eraser: SubjectEraser) {}

  @Post('by-hash/:hash/erase')
  @HttpCode(200)
  eraseHash(@Param() raw: unknown): Promise<SubjectErasure> {
    return this.eraser.erase(hashParams.transform(raw).hash);
  }

  @Post(':key/erase')
  @HttpCode(200)
  eraseKey(@Param() raw: unknown): Promise<SubjectErasure> {
    return this.eraser.eraseTargetingKey(keyParams.transform(raw).key);
  }
}
