import { checkAssertions } from './assertions';
import type { GatewayClient } from './gateway-client';
import { createJudge } from './judge';
import type { RunListener, RunnerDeps } from './runner';

export interface GatewayRunOptions {
  route: string;
  /** the variant every answer is forced to (`x-flywheel-variant`, admin token) */
  variant: string;
  /** model id for `llm-judge` assertions that name none */
  judgeModel?: string;
  /** the variant's output_schema, for `json-schema` assertions without a schema */
  variantSchema?: Record<string, unknown>;
  listener: RunListener;
}

/**
 * What {@link runEval} needs to run a route's cases against the gateway: fresh answers of the
 * forced variant, and the assertions checked with the judge asked through the same gateway.
 */
export function gatewayRunnerDeps(gateway: GatewayClient, options: GatewayRunOptions): RunnerDeps {
  const judge = createJudge((model, messages) => gateway.chat(model, messages), options.judgeModel);
  return {
    answer: (c) => gateway.answer(options.route, options.variant, c.case_id, c.input),
    check: (c, answer) =>
      checkAssertions(
        c.assertions,
        answer,
        { input: c.input, expected: c.expected },
        { variantSchema: () => options.variantSchema, judge },
      ),
    listener: options.listener,
  };
}

/** A listener for runs nobody watches (the rollout controller's gate). */
export const SILENT_RUN: RunListener = {
  start: () => undefined,
  run: () => undefined,
  caseDone: () => undefined,
  stop: () => undefined,
};
