import { relative } from 'node:path';
import { round } from './stats';

/** A V8 CPU profile as `--cpu-prof` writes it and the inspector's `Profiler.stop` returns it. */
export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
    children?: number[];
  }[];
  startTime: number;
  endTime: number;
  samples: number[];
  /** µs before each sample */
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  self_ms: number;
  /** share of the busy (non-idle) sampled time */
  self_pct: number;
}

export interface ProfileSummary {
  sampled_ms: number;
  samples: number;
  /** sampled time the main thread was busy (not `(idle)`); the `*_pct` figures are shares of it */
  busy_ms: number;
  /** self time grouped by where the code lives: a package, a workspace, Node internals, GC… */
  by_area: SelfTime[];
  /**
   * self time charged to the nearest caller that is an npm package or a workspace (Node's own
   * modules and natives count for the code that called them); samples without such a caller
   * keep their own area (e.g. `node:_http_incoming` parsing a request before any JS handler runs)
   */
  by_calling_area: SelfTime[];
  /** busy time with at least one frame of the area on the stack (a sample counts for every area on it) */
  inclusive_by_area: SelfTime[];
  /** the functions with the most self time: `name file[:line] [area]` */
  top_functions: SelfTime[];
  /** `by_calling_area` (all of it) summed into the caller's buckets; `other` takes the rest */
  buckets?: SelfTime[];
}

/** Named groups of areas for a coarse cost breakdown: first matching pattern wins. */
export type Buckets = [name: string, areas: RegExp][];

/**
 * Where a frame's code lives: `(garbage collector)`, `(idle)`, `(program)` (V8/native work not
 * attributed to JS), an npm package (`fastify`, `@nestjs/core`), a workspace directory
 * (`services/platform/bus`), a Node module (`node:internal/streams`), or `(native)` for builtins
 * without a script.
 */
export function areaOf(url: string, functionName: string, rootDir: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = path.slice(nm + '/node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? path);
  }
  if (path.startsWith('node:')) return path.split('/').slice(0, 2).join('/');
  if (path.startsWith('/')) {
    const rel = relative(rootDir, path).split('/');
    // services/<workspace>/src/<dir>/file.ts → services/<workspace>/<dir>
    if (rel[0] === 'services' && rel[2] === 'src' && rel.length > 4)
      return [rel[0], rel[1], rel[3]].join('/');
    if (rel[0] !== '..') return rel.slice(0, 2).join('/');
  }
  return path;
}

const isLibraryOrOwnCode = (area: string) => !area.startsWith('node:') && !area.startsWith('(');

/** Self time per function and per area; sample i lasts until sample i + 1. */
export function summarizeCpuProfile(
  profile: CpuProfile,
  rootDir: string,
  top = 20,
  buckets: Buckets = [],
): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const areaById = new Map(
    profile.nodes.map((n) => [n.id, areaOf(n.callFrame.url, n.callFrame.functionName, rootDir)]),
  );
  const callingArea = (id: number): string => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const area = areaById.get(at) ?? '';
      if (isLibraryOrOwnCode(area)) return area;
    }
    return areaById.get(id) ?? '?';
  };
  const fnTime = new Map<string, number>();
  const areaTime = new Map<string, number>();
  const callerTime = new Map<string, number>();
  const inclusiveTime = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, us: number) => m.set(k, (m.get(k) ?? 0) + us);
  const { samples, timeDeltas } = profile;
  let total = 0;
  let idle = 0;
  for (let i = 0; i < samples.length; i++) {
    const us = timeDeltas[i + 1] ?? (i > 0 ? total / i : 0);
    const node = byId.get(samples[i] as number);
    if (!node) continue;
    total += us;
    const { functionName, url, lineNumber } = node.callFrame;
    const fn = functionName || '(anonymous)';
    if (fn === '(idle)') {
      idle += us;
      continue;
    }
    const area = areaById.get(node.id) ?? '?';
    // tsx-transpiled TypeScript: line numbers are the generated code's, not worth showing
    const file = url ? `${url.split('/').at(-1)}${/\.tsx?$/.test(url) ? '' : `:${lineNumber + 1}`}` : '';
    add(fnTime, url ? `${fn} ${file} [${area}]` : fn, us);
    add(areaTime, area, us);
    add(callerTime, callingArea(node.id), us);
    const onStack = new Set<string>();
    for (let at: number | undefined = node.id; at !== undefined; at = parent.get(at)) {
      onStack.add(areaById.get(at) ?? '?');
    }
    for (const a of onStack) if (a !== '(root)') add(inclusiveTime, a, us);
  }
  const busy = total - idle;
  const bucketTime = new Map<string, number>();
  for (const [area, us] of callerTime) {
    add(bucketTime, buckets.find(([, re]) => re.test(area))?.[0] ?? 'other', us);
  }
  const rank = (m: Map<string, number>, n = top): SelfTime[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, self_ms: round(us / 1000, 1), self_pct: round((100 * us) / busy, 1) }));
  return {
    sampled_ms: round(total / 1000, 1),
    samples: samples.length,
    busy_ms: round(busy / 1000, 1),
    by_area: rank(areaTime),
    by_calling_area: rank(callerTime),
    inclusive_by_area: rank(inclusiveTime),
    top_functions: rank(fnTime),
    ...(buckets.length ? { buckets: rank(bucketTime, Infinity) } : {}),
  };
}
