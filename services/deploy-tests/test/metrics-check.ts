import type { LRParser } from '@lezer/lr';

// The grammar package is ESM-typed (one .d.ts for import and require) but ships a CommonJS build,
// which is what this CommonJS test code loads.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parser } = require('@prometheus-io/lezer-promql') as { parser: LRParser };

/**
 * What a Grafana panel query reads, found with Prometheus's own PromQL grammar
 * (@prometheus-io/lezer-promql), and what a service's /metrics page exports.
 */

export interface QueryRefs {
  /** metric names of every vector selector, e.g. `flywheel_http_request_duration_seconds_bucket` */
  metrics: string[];
  /** labels in `by (…)`, `without (…)`, `on (…)`, `ignoring (…)` and `{label=…}` matchers */
  labels: string[];
}

/** Grafana's own variables are not PromQL: stand-ins that parse the same way. */
const GRAFANA_VARIABLES: [RegExp, string][] = [
  [/\$__(rate_interval|interval|range)\b/g, '5m'],
  [/\$\{?__range_s\}?/g, '3600'],
];

/** Parses one query; throws with the position of a syntax error. */
export function queryRefs(expr: string): QueryRefs {
  const query = GRAFANA_VARIABLES.reduce((q, [pattern, value]) => q.replace(pattern, value), expr);
  if (/\$/.test(query)) throw new Error(`unhandled Grafana variable in ${JSON.stringify(expr)}`);
  const metrics: string[] = [];
  const labels: string[] = [];
  parser.parse(query).iterate({
    enter(node) {
      if (node.type.isError) {
        throw new Error(`PromQL syntax error at ${node.from} in ${JSON.stringify(query)}`);
      }
      const text = query.slice(node.from, node.to);
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector') metrics.push(text);
      if (node.name === 'LabelName') labels.push(text);
    },
  });
  return { metrics: [...new Set(metrics)], labels: [...new Set(labels)] };
}

export interface Exported {
  /** family name → type (`counter`, `gauge`, `histogram`, `summary`) from `# TYPE` lines */
  types: Map<string, string>;
  /** sample name → label names seen on its samples */
  sampleLabels: Map<string, Set<string>>;
}

/** Reads Prometheus text exposition (what prom-client serves at /metrics), merged into `into`. */
export function parseExposition(
  text: string,
  into: Exported = { types: new Map(), sampleLabels: new Map() },
): Exported {
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      into.types.set(type[1]!, type[2]!);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? \S+/.exec(line);
    if (!sample) continue;
    const labels = into.sampleLabels.get(sample[1]!) ?? new Set<string>();
    for (const [, name] of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="(?:[^"\\]|\\.)*"/g)) {
      labels.add(name!);
    }
    into.sampleLabels.set(sample[1]!, labels);
  }
  return into;
}

const SUFFIXES: Record<string, string[]> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['_sum', '_count'],
};

/** The family a sample name belongs to (`x_bucket` → histogram `x`), or undefined when not exported. */
export function familyOf(exported: Exported, metric: string): string | undefined {
  if (exported.types.has(metric)) return metric;
  for (const [family, type] of exported.types) {
    if ((SUFFIXES[type] ?? []).some((suffix) => metric === family + suffix)) return family;
  }
  return undefined;
}
