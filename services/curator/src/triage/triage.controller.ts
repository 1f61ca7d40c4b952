import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import {
  AcceptCaseRequest,
  BulkCaseRequest,
  type BulkCaseResult,
  type CaseList,
  CaseQuery,
  type EvalCase,
  type EvalCaseDetail,
  RejectCaseRequest,
} from '@flywheel/contracts';
import { ZodBody } from '@flywheel/platform';
import { TriageService } from './triage.service';

const query = new ZodBody(CaseQuery);
const acceptBody = new ZodBody(AcceptCaseRequest);
const rejectBody = new ZodBody(RejectCaseRequest);
const bulkBody = new ZodBody(BulkCaseRequest);

/** The triage API over eval cases (admin token). */
@Controller('v1/cases')
export class TriageController {
  constructor(@Inject(TriageService) private readonly triage: TriageService) {}

  @Get()
  list(@Query() raw: unknown): Promise<CaseList> {
    return this.triage.list(query.transform(raw));
  }

  @Get(':id')
  detail(@Param('id') id: string): Promise<EvalCaseDetail> {
    return this.triage.detail(id);
  }

  @Post('bulk')
  @HttpCode(200)
  bulk(@Body() raw: unknown): Promise<BulkCaseResult> {
    return this.triage.bulk(bulkBody.transform(raw));
  }

  @Post(':id/accept')
  @HttpCode(200)
  accept(@Param('id') id: string, @Body() raw: unknown): Promise<EvalCase> {
    return this.triage.accept(id, acceptBody.transform(raw));
  }

  @Post(':id/reject')
  @HttpCode(200)
  reject(@Param('id') id: string, @Body() raw: unknown): Promise<EvalCase> {
    return this.triage.reject(id, rejectBody.transform(raw).reason);
  }
}
