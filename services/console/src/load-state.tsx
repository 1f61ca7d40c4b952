import type { Loaded } from './use-load';

/** The error, or "loading" before the first answer, of a view's load. */
export function LoadState({ load, what }: { load: Loaded<unknown>; what: string }) {
  if (load.error) {
    return (
      <p role="alert" className="error">
        {load.error.message}
      </p>
    );
  }
  return !load.data && load.loading ? <p>Loading {what}…</p> : null;
}
