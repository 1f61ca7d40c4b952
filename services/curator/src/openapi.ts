import {
  AcceptCaseRequest,
  BulkCaseRequest,
  BulkCaseResult,
  CaseList,
  ErrorBody,
  EvalCase,
  EvalCaseDetail,
  EvalRun,
  EvalRunList,
  EvalSetCase,
  ParkedList,
  RejectCaseRequest,
  RolloutAction,
  RolloutList,
  RolloutState,
  SubjectErasure,
  VoteCounts,
} from '@flywheel/contracts';
import { buildOpenApi, type OpenApiOperation } from '@flywheel/platform';
import { z } from 'zod';

const ERROR_TEXT: Record<number, string> = {
  400: 'invalid query or body (`details.issues` lists field paths)',
  401: 'missing or wrong admin token',
  404: 'no such case, route or run',
  409: 'the case is not in a state that allows this, or the run id holds a different run',
  501: 'erase by targeting key needs FLYWHEEL_FEEDBACK_SECRET (erase by subject hash instead); rollouts need CURATOR_ROLLOUTS_URL',
  502: 'the rollout controller is unreachable, refused the curator, or failed',
  503: 'a backend is unavailable, or the console is not built',
};
const errors = (...statuses: number[]): OpenApiOperation['responses'] =>
  Object.fromEntries(statuses.map((s) => [s, { description: ERROR_TEXT[s] ?? 'error', schema: ErrorBody }]));

/** The OpenAPI document served at /docs, generated from the contracts' zod schemas. */
export function curatorOpenApi() {
  const operations: OpenApiOperation[] = [
    {
      method: 'get',
      path: '/v1/cases',
      auth: true,
      summary:
        'Eval cases, newest activity first. Query: status, route, variant, reason, since/until (on last_seen_at; since inclusive, until exclusive), limit (≤ 200, default 50), offset. `counts` cover every case matching the filters except status.',
      responses: { 200: { description: 'a page of cases', schema: CaseList }, ...errors(400, 401) },
    },
    {
      method: 'get',
      path: '/v1/cases/{id}',
      auth: true,
      summary: 'One case with every linked vote and the assertions its reasons suggest',
      responses: { 200: { description: 'the case', schema: EvalCaseDetail }, ...errors(401, 404) },
    },
    {
      method: 'post',
      path: '/v1/cases/{id}/accept',
      auth: true,
      summary:
        'Accept a new case into its route eval set (or re-accept an accepted one with new assertions). `expected` defaults to the current expected answer, else the correction. 409 for a rejected case.',
      request: AcceptCaseRequest,
      responses: {
        200: { description: 'the accepted case', schema: EvalCase },
        ...errors(400, 401, 404, 409),
      },
    },
    {
      method: 'post',
      path: '/v1/cases/{id}/reject',
      auth: true,
      summary: 'Reject a new case, or take an accepted one out of the eval set. 409 when already rejected.',
      request: RejectCaseRequest,
      responses: {
        200: { description: 'the rejected case', schema: EvalCase },
        ...errors(400, 401, 404, 409),
      },
    },
    {
      method: 'post',
      path: '/v1/cases/bulk',
      auth: true,
      summary:
        'Accept (with the given assertions, else each case its suggested ones) or reject several cases; each succeeds or fails on its own',
      request: BulkCaseRequest,
      responses: { 200: { description: 'one result per id', schema: BulkCaseResult }, ...errors(400, 401) },
    },
    {
      method: 'get',
      path: '/v1/parked',
      auth: true,
      summary:
        'Votes parked because their interaction did not arrive within curator.join_ttl_s. Query: route, limit, offset.',
      responses: { 200: { description: 'parked votes', schema: ParkedList }, ...errors(400, 401) },
    },
    {
      method: 'get',
      path: '/v1/votes',
      auth: true,
      summary: 'Current votes (latest revision per subject) counted per route and variant. Query: route.',
      responses: { 200: { description: 'vote counts', schema: VoteCounts }, ...errors(400, 401) },
    },
    {
      method: 'get',
      path: '/v1/eval-sets/{route}',
      auth: true,
      summary:
        'The accepted cases of a route. `format=jsonl` (default): one EvalSetCase per line; `format=promptfoo`: a promptfoo config (YAML) that runs as-is against the gateway at `gateway_url` (default http://localhost:8080), pinned to `variant` when given.',
      responses: {
        200: {
          description: 'JSON Lines of EvalSetCase',
          schema: EvalSetCase,
          contentType: 'application/x-ndjson',
        },
        ...errors(400, 401, 404),
      },
    },
    {
      method: 'get',
      path: '/v1/eval-runs',
      auth: true,
      summary: 'Eval runs without per-case results, latest first. Query: route, limit (≤ 200, default 20).',
      responses: { 200: { description: 'runs', schema: EvalRunList }, ...errors(400, 401) },
    },
    {
      method: 'get',
      path: '/v1/eval-runs/{id}',
      auth: true,
      summary: 'One eval run with its per-case results',
      responses: { 200: { description: 'the run', schema: EvalRun }, ...errors(401, 404) },
    },
    {
      method: 'post',
      path: '/v1/eval-runs',
      auth: true,
      summary:
        'Store a run (the eval runner). Idempotent on id: 201 stored, 200 the same run again, 409 a different run under a stored id.',
      request: EvalRun,
      responses: {
        201: { description: 'stored', schema: EvalRun },
        200: { description: 'already stored', schema: EvalRun },
        ...errors(400, 401, 409),
      },
    },
    {
      method: 'post',
      path: '/v1/subjects/{targeting_key}/erase',
      auth: true,
      summary:
        'Erase a subject (GDPR): its interactions, votes and case lineage leave the database, cases only it stood for are deleted, a tombstone goes to flywheel.subjects.v1, and its later or replayed events are dropped. The targeting key is one percent-encoded path segment, hashed with FLYWHEEL_FEEDBACK_SECRET as the gateway does. Idempotent. No body.',
      responses: {
        200: { description: 'what was erased', schema: SubjectErasure },
        ...errors(400, 401, 501),
      },
    },
    {
      method: 'post',
      path: '/v1/subjects/by-hash/{subject_hash}/erase',
      auth: true,
      summary:
        'The same erase by subject hash (64 lowercase hex, the subject_hash of the events), for operators who only have the hash. Idempotent. No body.',
      responses: { 200: { description: 'what was erased', schema: SubjectErasure }, ...errors(400, 401) },
    },
    {
      method: 'get',
      path: '/v1/rollouts',
      auth: true,
      summary:
        "The rollout controller's `GET /v1/rollouts`, forwarded (CURATOR_ROLLOUTS_URL) for the console's Rollouts page",
      responses: { 200: { description: 'the rollouts', schema: RolloutList }, ...errors(401, 501, 502) },
    },
    {
      method: 'get',
      path: '/v1/rollouts/{route}',
      auth: true,
      summary: "One route's rollout state, forwarded to the rollout controller",
      responses: { 200: { description: 'the rollout', schema: RolloutState }, ...errors(401, 404, 501, 502) },
    },
    ...RolloutAction.options.map((action): OpenApiOperation => ({
      method: 'post',
      path: `/v1/rollouts/{route}/${action}`,
      auth: true,
      summary: `The rollout controller's \`${action}\` admin action, forwarded; 409 with the controller's reason when refused`,
      responses: {
        200: { description: 'the new state', schema: RolloutState },
        ...errors(401, 404, 409, 501, 502),
      },
    })),
    {
      method: 'get',
      path: '/console',
      summary:
        'The triage console (no token: it asks for the admin token and sends it with its API calls). 503 when not built.',
      responses: {
        200: { description: 'the page', schema: z.string(), contentType: 'text/html' },
        ...errors(503),
      },
    },
  ];
  return buildOpenApi({ title: 'Flywheel curator', version: '1' }, operations);
}
