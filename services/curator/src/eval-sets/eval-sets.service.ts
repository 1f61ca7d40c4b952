import { DomainError, type RouteConfig, type SqlDatabase } from '@flywheel/platform';
import type { CaseReader } from '../cases/case-reader';
import { type JsonSchema, toJsonl, toPromptfooYaml } from './export-formats';

/** How the promptfoo export calls the gateway. */
export interface PromptfooOptions {
  gatewayUrl: string;
  /** force this variant (x-flywheel-variant) */
  variant?: string;
}

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
  async export(
    route: string,
    format: EvalSetFormat,
    promptfoo: PromptfooOptions = { gatewayUrl: 'http://localhost:8080' },
  ): Promise<EvalSetExport> {
    if (!Object.hasOwn(this.routes, route) && !(await this.hasSet(route))) {
      throw new DomainError('not_found', `no route ${route}`);
    }
    const cases = await this.reader.accepted(this.db, route);
    if (format === 'jsonl')
      return { contentType: 'application/x-ndjson; charset=utf-8', body: toJsonl(cases) };
    const config = this.routes[route];
    const { variant } = promptfoo;
    if (variant !== undefined && config && !Object.hasOwn(config.variants, variant)) {
      const known = Object.keys(config.variants).join(', ');
      throw new DomainError(
        'invalid_request',
        `variant: route ${route} has no variant "${variant}" (it has: ${known})`,
      );
    }
    const schemaOf = (v: string): JsonSchema | undefined => config?.variants[v]?.output_schema;
    const prompt = config?.variants[variant ?? config.default_variant]?.prompt;
    return {
      contentType: 'application/yaml; charset=utf-8',
      body: toPromptfooYaml(route, cases, { gatewayUrl: promptfoo.gatewayUrl, variant, prompt }, schemaOf),
    };
  }

  private async hasSet(route: string): Promise<boolean> {
    const { rowCount } = await this.db.query('select 1 from eval_sets where route = $1', [route]);
    return rowCount > 0;
  }
}
