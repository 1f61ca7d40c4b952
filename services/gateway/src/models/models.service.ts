import type { ModelEntry, ModelList } from '@flywheel/contracts';
import { DomainError, type FlywheelConfig } from '@flywheel/platform';
import type { ApiKey } from '../auth/api-keys';

const ROUTE_PREFIX = 'route:';

/** What a key may call: its routes and direct models (a scoped key sees nothing else). */
export type ModelScope = Pick<ApiKey, 'routes' | 'models'>;

const allows = (list: '*' | ReadonlySet<string>, name: string): boolean => list === '*' || list.has(name);

const visible = (scope: ModelScope, id: string): boolean =>
  id.startsWith(ROUTE_PREFIX)
    ? allows(scope.routes, id.slice(ROUTE_PREFIX.length))
    : allows(scope.models, id);

/**
 * What `GET /v1/models` lists: every model id of the configuration (owned by its provider) and
 * every route as `route:<name>` (owned by `flywheel`), in configuration order, narrowed to what
 * the caller's key may call, so a scoped key (the demo's) does not reveal the rest of the
 * configuration. `created` is the gateway's boot time: the configuration has no dates of its own.
 */
export class ModelsService {
  private readonly entries: ReadonlyMap<string, ModelEntry>;

  constructor(config: Pick<FlywheelConfig, 'models' | 'routes'>, bootedAtMs: number) {
    const created = Math.floor(bootedAtMs / 1000);
    const entries = new Map<string, ModelEntry>();
    for (const [id, model] of Object.entries(config.models))
      entries.set(id, { id, object: 'model', created, owned_by: model.provider });
    for (const name of Object.keys(config.routes)) {
      const id = `${ROUTE_PREFIX}${name}`;
      entries.set(id, { id, object: 'model', created, owned_by: 'flywheel' });
    }
    this.entries = entries;
  }

  list(scope: ModelScope): ModelList {
    return { object: 'list', data: [...this.entries.values()].filter((entry) => visible(scope, entry.id)) };
  }

  /** One entry; `unknown_model` (404) when the id is neither a model nor a route the key may call. */
  get(id: string, scope: ModelScope): ModelEntry {
    const entry = this.entries.get(id);
    if (entry === undefined || !visible(scope, id))
      throw new DomainError(
        'unknown_model',
        `no model "${id}": GET /v1/models lists the model ids and routes`,
      );
    return entry;
  }
}
