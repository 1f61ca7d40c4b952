import { DomainError, type RouteConfig, type SqlDatabase } from '@flywheel/platform';
import type { CaseReader } from '../cases/case-reader';
import { type JsonSchema, toJsonl, toPromptfooYaml } from './export-formats';

export type EvalSetFormat = 'jsonl' | 'promptfoo';

export interface EvalSetExport {
  contentType: string;
  body: string;
}

/** A route's eval set (its accepted cases) as JSON Lines or a promptfoo tests file. */
export class EvalSetsService {
  constructor(
    private readonly db: SqlDatabase,
    private readonly reader: CaseReader,
    /** `routes` of flywheel.yaml: known routes and their variants' output schemas */
    private readonly routes: Record<string, RouteConfig>,
  ) {}

  /** 404 for a route that is neither configured nor has a set; an empty export otherwise. */
  async export(route: string, format: EvalSetFormat): Promise<EvalSetExport> {
    if (!Object.hasOwn(this.routes, route) && !(await this.hasSet(route))) {
      throw new DomainError('not_found', `no route ${route}`);
    }
    const cases = await this.reader.accepted(this.db, route);
    if (format === 'jsonl')
      return { contentType: 'application/x-ndjson; charset=utf-8', body: toJsonl(cases) };
    const schemaOf = (variant: string): JsonSchema | undefined =>
      this.routes[route]?.variants[variant]?.output_schema;
    return { contentType: 'application/yaml; charset=utf-8', body: toPromptfooYaml(route, cases, schemaOf) };
  }

  private async hasSet(route: string): Promise<boolean> {
    const { rowCount } = await this.db.query('select 1 from eval_sets where route = $1', [route]);
    return rowCount > 0;
  }
}
