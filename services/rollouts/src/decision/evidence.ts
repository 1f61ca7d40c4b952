import { DDSketch } from '@datadog/sketches-js';
import type { QuantileView, VariantEvidence } from './guardrails';

/** Relative accuracy of the latency sketches: quantiles within ±1 % of the true value. */
export const SKETCH_ACCURACY = 0.01;

/** A DDSketch as the decision code reads it. */
export class LatencySketch implements QuantileView {
  constructor(readonly sketch: DDSketch = new DDSketch({ relativeAccuracy: SKETCH_ACCURACY })) {}

  get count(): number {
    return this.sketch.count;
  }

  quantile(q: number): number {
    return this.sketch.count > 0 ? this.sketch.getValueAtQuantile(q) : Number.NaN;
  }

  add(ms: number): void {
    this.sketch.accept(Math.max(0, ms));
  }

  /** protobuf bytes (DDSketch's own format), to persist and merge */
  toBytes(): Uint8Array {
    return this.sketch.toProto();
  }

  static fromBytes(bytes: Uint8Array): LatencySketch {
    return new LatencySketch(DDSketch.fromProto(bytes));
  }
}

/** One interaction's contribution to a variant's evidence. */
export interface InteractionSample {
  error: boolean;
  latency_ms: number;
  cost_usd: number;
}

export type MutableEvidence = Omit<VariantEvidence, 'latency'> & { latency: LatencySketch };

export function emptyEvidence(): MutableEvidence {
  return {
    interactions: 0,
    votes_up: 0,
    votes_down: 0,
    errors: 0,
    cost_sum: 0,
    cost_sum_squares: 0,
    latency: new LatencySketch(),
  };
}

export function addInteraction(e: MutableEvidence, s: InteractionSample): void {
  e.interactions += 1;
  if (s.error) e.errors += 1;
  e.cost_sum += s.cost_usd;
  e.cost_sum_squares += s.cost_usd * s.cost_usd;
  e.latency.add(s.latency_ms);
}
