export interface Closable {
  close(): Promise<void>;
}

/**
 * What an app factory created itself (as opposed to what its caller passed in and still
 * owns): closed in reverse order of creation, each close's failure swallowed so the rest
 * still close.
 */
export class OwnedResources {
  private readonly resources: Closable[] = [];

  /** Records `resource` as owned and returns it. */
  own<T extends Closable>(resource: T): T {
    this.resources.push(resource);
    return resource;
  }

  async closeAll(): Promise<void> {
    for (const resource of this.resources.splice(0).reverse()) await resource.close().catch(() => undefined);
  }
}
