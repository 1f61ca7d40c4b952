import { ErrorBody, RolloutList, RolloutState } from '@flywheel/contracts';
import { buildOpenApi, type OpenApiOperation } from '@flywheel/platform';

const ERROR_TEXT: Record<number, string> = {
  401: 'missing or wrong admin token',
  404: 'no rollout plan for this route, or an unknown action',
  409: 'the rollout is not in a state that allows this, or (advance) a guardrail or the gate says no; the message says why',
};
const errors = (...statuses: number[]): OpenApiOperation['responses'] =>
  Object.fromEntries(statuses.map((s) => [s, { description: ERROR_TEXT[s] ?? 'error', schema: ErrorBody }]));

const ACTIONS: Record<string, string> = {
  start: 'Start (or restart after a halt or completion) at the first step; evidence is counted afresh',
  pause: 'Freeze automatic advances (guardrails still halt)',
  resume: 'Resume a paused rollout',
  advance: 'Move to the next step now; refused (409) when a guardrail is violated or the gate fails',
  rollback: 'Halt: the candidate goes to 0 % at once',
};

/** The OpenAPI document served at /docs, generated from the contracts' zod schemas. */
export function rolloutsOpenApi() {
  const operations: OpenApiOperation[] = [
    {
      method: 'get',
      path: '/v1/rollouts',
      auth: true,
      summary: 'Every planned route: status, step, per-variant evidence, guardrail intervals, decision log',
      responses: { 200: { description: 'the rollouts', schema: RolloutList }, ...errors(401) },
    },
    {
      method: 'get',
      path: '/v1/rollouts/{route}',
      auth: true,
      summary: "One route's rollout state",
      responses: { 200: { description: 'the rollout', schema: RolloutState }, ...errors(401, 404) },
    },
    ...Object.entries(ACTIONS).map(([action, summary]): OpenApiOperation => ({
      method: 'post',
      path: `/v1/rollouts/{route}/${action}`,
      auth: true,
      summary,
      responses: { 200: { description: 'the new state', schema: RolloutState }, ...errors(401, 404, 409) },
    })),
  ];
  return buildOpenApi(
    { title: 'Flywheel rollout controller', version: '0.1.0', description: 'Guarded rollouts (admin token)' },
    operations,
  );
}
