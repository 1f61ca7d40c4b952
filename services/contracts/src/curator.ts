import { z } from 'zod';
import { ChatMessage, Id, Name, Rating, Timestamp } from './common';
import { EvalCaseStatus, SubjectHash } from './events';

/**
 * Curator HTTP bodies: the triage API (`/v1/cases…`), parked votes, eval-set export and eval
 * runs. The console and the eval runner import these; the curator parses with them.
 */

const Text = (max: number) => z.string().max(max);

const RegexPattern = z
  .string()
  .min(1)
  .max(1000)
  .superRefine((source, ctx) => {
    try {
      new RegExp(source);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `invalid regular expression: ${(err as Error).message}` });
    }
  });

/**
 * What an eval case checks about a fresh answer. `json-schema` without `schema` means "the
 * route variant's own output_schema"; `similar` is a lexical similarity in [0, 1];
 * `llm-judge` asks a configured model to grade the answer against the rubric.
 */
export const Assertion = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('equals'), value: Text(8000) }),
  z.strictObject({ type: z.literal('contains'), value: Text(8000).min(1) }),
  z.strictObject({ type: z.literal('not-contains'), value: Text(8000).min(1) }),
  z.strictObject({
    type: z.literal('regex'),
    pattern: RegexPattern,
    flags: z
      .string()
      .regex(/^[imsu]*$/)
      .optional(),
  }),
  z.strictObject({ type: z.literal('json-schema'), schema: z.record(z.string(), z.unknown()).optional() }),
  z.strictObject({
    type: z.literal('similar'),
    value: Text(8000).min(1),
    threshold: z.number().min(0).max(1).default(0.6),
  }),
  z.strictObject({
    type: z.literal('llm-judge'),
    rubric: Text(4000).min(1),
    /** a model id from flywheel.yaml; the runner's `--judge-model` when absent */
    model: Name.optional(),
  }),
]);
export type Assertion = z.infer<typeof Assertion>;
export type AssertionType = Assertion['type'];
export const ASSERTION_TYPES = [
  'equals',
  'contains',
  'not-contains',
  'regex',
  'json-schema',
  'similar',
  'llm-judge',
] as const satisfies readonly AssertionType[];

export const CaseInput = z.looseObject({
  messages: z.array(ChatMessage).optional(),
  /** template variables (`/v1/routes/{route}/invoke` with `input`) */
  vars: z.record(z.string(), z.unknown()).optional(),
});
export type CaseInput = z.infer<typeof CaseInput>;

/** One vote linked to a case (a merged case has several). Text fields are already redacted. */
export const CaseFeedback = z.object({
  feedback_id: Id,
  interaction_id: Id,
  rating: Rating,
  reasons: z.array(z.string()),
  comment: z.string().optional(),
  correction: z.string().optional(),
  variant: Name,
  model: Name.nullable(),
  created_at: Timestamp,
});
export type CaseFeedback = z.infer<typeof CaseFeedback>;

/** An eval case as the API shows it (`GET /v1/cases`, `GET /v1/cases/{id}`). */
export const EvalCase = z.object({
  id: Id,
  route: Name,
  status: EvalCaseStatus,
  /** how many disliked interactions (near-identical inputs) this case stands for */
  count: z.number().int().positive(),
  input: CaseInput,
  /** the disliked output (redacted) */
  output: z.string().nullable(),
  /** union of the linked votes' reasons */
  reasons: z.array(z.string()),
  /** the first vote's comment and correction; all of them are under `feedback` */
  comment: z.string().optional(),
  correction: z.string().optional(),
  variant: Name,
  model: Name.nullable(),
  flag_key: Name.optional(),
  /** set on accept: the expected answer (pre-filled from the correction) */
  expected: z.string().optional(),
  assertions: z.array(Assertion),
  reject_reason: z.string().optional(),
  lineage: z.object({
    interaction_ids: z.array(Id),
    feedback_ids: z.array(Id),
    first_seen_at: Timestamp,
    last_seen_at: Timestamp,
  }),
  created_at: Timestamp,
  updated_at: Timestamp,
  triaged_at: Timestamp.optional(),
});
export type EvalCase = z.infer<typeof EvalCase>;

/** `GET /v1/cases/{id}`: the case, every linked vote, and the assertions its reasons suggest. */
export const EvalCaseDetail = EvalCase.extend({
  feedback: z.array(CaseFeedback),
  suggested_assertions: z.array(Assertion),
});
export type EvalCaseDetail = z.infer<typeof EvalCaseDetail>;

const DateFilter = z.union([z.iso.datetime({ offset: true }), z.iso.date()]);

/** `GET /v1/cases` query. Dates filter on the case's last_seen_at. */
export const CaseQuery = z.strictObject({
  status: EvalCaseStatus.optional(),
  route: Name.optional(),
  variant: Name.optional(),
  reason: z.string().min(1).max(64).optional(),
  since: DateFilter.optional(),
  until: DateFilter.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});
export type CaseQuery = z.infer<typeof CaseQuery>;

export const CaseCounts = z.object({
  by_status: z.record(z.string(), z.number().int()),
  by_route: z.record(z.string(), z.number().int()),
  by_variant: z.record(z.string(), z.number().int()),
  by_reason: z.record(z.string(), z.number().int()),
});

/** `GET /v1/cases` answer; `counts` cover every case matching the filters except `status`. */
export const CaseList = z.object({
  cases: z.array(EvalCase),
  total: z.number().int().nonnegative(),
  counts: CaseCounts,
});
export type CaseList = z.infer<typeof CaseList>;

/** `POST /v1/cases/{id}/accept` */
export const AcceptCaseRequest = z.strictObject({
  expected: Text(8000).optional(),
  assertions: z.array(Assertion).min(1, 'at least one assertion is required').max(20),
});
export type AcceptCaseRequest = z.infer<typeof AcceptCaseRequest>;

/** `POST /v1/cases/{id}/reject` */
export const RejectCaseRequest = z.strictObject({
  reason: Text(500).min(1, 'say why the case is rejected'),
});
export type RejectCaseRequest = z.infer<typeof RejectCaseRequest>;

/**
 * `POST /v1/cases/bulk`: accept (each case with its own suggested assertions unless
 * `assertions` is given) or reject several cases at once → `{results: [{id, ok, error?}]}`.
 */
export const BulkCaseRequest = z.discriminatedUnion('action', [
  z.strictObject({
    action: z.literal('accept'),
    ids: z.array(Id).min(1).max(200),
    assertions: z.array(Assertion).min(1).max(20).optional(),
  }),
  z.strictObject({
    action: z.literal('reject'),
    ids: z.array(Id).min(1).max(200),
    reason: Text(500).min(1),
  }),
]);
export type BulkCaseRequest = z.infer<typeof BulkCaseRequest>;

export const BulkCaseResult = z.object({
  results: z.array(z.object({ id: Id, ok: z.boolean(), error: z.string().optional() })),
});
export type BulkCaseResult = z.infer<typeof BulkCaseResult>;

/** A vote whose interaction did not arrive within `curator.join_ttl_s` (`GET /v1/parked`). */
export const ParkedVote = z.object({
  feedback_id: Id,
  interaction_id: Id,
  route: Name.nullable(),
  variant: Name,
  rating: Rating,
  reasons: z.array(z.string()),
  comment: z.string().optional(),
  received_at: Timestamp,
  parked_at: Timestamp,
});
export type ParkedVote = z.infer<typeof ParkedVote>;

export const ParkedList = z.object({ parked: z.array(ParkedVote), total: z.number().int().nonnegative() });
export type ParkedList = z.infer<typeof ParkedList>;

/** One line of `GET /v1/eval-sets/{route}?format=jsonl` and of `evals/<route>.jsonl`. */
export const EvalSetCase = z.object({
  case_id: Id,
  route: Name,
  input: CaseInput,
  expected: z.string().optional(),
  assertions: z.array(Assertion).min(1),
  variant: Name,
  model: Name.nullable(),
  count: z.number().int().positive(),
  reasons: z.array(z.string()),
  lineage: z.object({ interaction_ids: z.array(Id), feedback_ids: z.array(Id) }),
});
export type EvalSetCase = z.infer<typeof EvalSetCase>;

export const EvalCaseOutcome = z.enum(['pass', 'fail', 'flaky', 'error']);
export type EvalCaseOutcome = z.infer<typeof EvalCaseOutcome>;

export const AssertionResult = z.object({
  type: z.string(),
  pass: z.boolean(),
  /** similarity or judge score in [0, 1] where the assertion has one */
  score: z.number().optional(),
  message: z.string().optional(),
});
export type AssertionResult = z.infer<typeof AssertionResult>;

export const EvalCaseResult = z.object({
  case_id: Id,
  outcome: EvalCaseOutcome,
  runs: z.number().int().positive(),
  passes: z.number().int().nonnegative(),
  /** the assertions of the last failing run (or the last run when all passed) */
  assertions: z.array(AssertionResult),
  /** one answer from the model, for the report */
  output: z.string().nullable(),
  error: z.string().optional(),
  latency_ms: z.number().nonnegative(),
});
export type EvalCaseResult = z.infer<typeof EvalCaseResult>;

/** An eval run, as the runner reports it and `POST /v1/eval-runs` stores it. */
export const EvalRun = z.object({
  id: Id,
  route: Name,
  variant: Name,
  started_at: Timestamp,
  finished_at: Timestamp,
  repeat: z.number().int().positive(),
  min_pass_rate: z.number().min(0).max(1),
  case_threshold: z.number().min(0).max(1),
  total: z.number().int().nonnegative(),
  passed: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  flaky: z.number().int().nonnegative(),
  errored: z.number().int().nonnegative(),
  /** (passed + flaky) / total; 1 for an empty set */
  pass_rate: z.number().min(0).max(1),
  /** cases that passed in the previous run of this route and fail now */
  regressions: z.array(Id),
  gate: z.enum(['pass', 'fail']),
  results: z.array(EvalCaseResult),
});
export type EvalRun = z.infer<typeof EvalRun>;

/** `GET /v1/eval-runs?route=&limit=` lists runs without their per-case results. */
export const EvalRunSummary = EvalRun.omit({ results: true });
export type EvalRunSummary = z.infer<typeof EvalRunSummary>;
export const EvalRunList = z.object({ runs: z.array(EvalRunSummary) });
export type EvalRunList = z.infer<typeof EvalRunList>;

/**
 * `GET /v1/votes?route=`: the current votes (each subject's latest revision), counted per
 * route and variant, joined or not.
 */
export const VoteCounts = z.object({
  votes: z.array(
    z.object({
      route: Name.nullable(),
      variant: Name,
      up: z.number().int().nonnegative(),
      down: z.number().int().nonnegative(),
    }),
  ),
});
export type VoteCounts = z.infer<typeof VoteCounts>;

/**
 * `POST /v1/subjects/{targeting key}/erase` and `POST /v1/subjects/by-hash/{subject_hash}/erase`
 * (admin): what erasing one subject removed from the curator's database. Idempotent: erasing
 * again answers zero counts (and the first erase time) and publishes the tombstone again.
 */
export const SubjectErasure = z.object({
  subject_hash: SubjectHash,
  erased_at: Timestamp,
  first_erased_at: Timestamp,
  deleted: z.object({
    interactions: z.number().int().nonnegative(),
    /** the subject's votes (every state: joined, waiting, parked) */
    votes: z.number().int().nonnegative(),
    /** cases whose only evidence was this subject's votes, whatever their status */
    cases: z.number().int().nonnegative(),
    /** case events not yet published that held this subject's data */
    pending_case_events: z.number().int().nonnegative(),
  }),
  /** cases kept for other subjects' votes: this subject's links, input/output copies removed */
  changed_cases: z.number().int().nonnegative(),
  /** stored eval results of deleted cases whose model answer was cleared */
  cleared_eval_results: z.number().int().nonnegative(),
  case_ids: z.object({ deleted: z.array(Id), changed: z.array(Id) }),
  /** CloudEvents id of the tombstone on `flywheel.subjects.v1` */
  tombstone_id: Id,
});
export type SubjectErasure = z.infer<typeof SubjectErasure>;
