import type { ModelEntry, ModelList } from '@flywheel/contracts';
import { DomainError, type FlywheelConfig } from '@flywheel/platform';

const ROUTE_PREFIX = 'route:';

/**
 * What `GET /v1/models` lists: every model id of the configuration (owned by its provider) and
 * every route as `route:<name>` (owned by `flywheel`), in configuration order. `created` is the
 * gateway's boot time: the configuration has no dates of its own.
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

  list(): ModelList {
    return { object: 'list', data: [...this.entries.values()] };
  }

  /** One entry; `unknown_model` (404) when the id is neither a model nor a route. */
  get(id: string): ModelEntry {
    const entry = this.entries.get(id);
    if (entry === undefined)
      throw new DomainError(
        'unknown_model',
        `no model "${id}": GET /v1/models lists the model ids and routes`,
      );
    return entry;
  }
}
