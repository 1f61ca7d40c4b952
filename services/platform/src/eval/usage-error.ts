/**
 * How the command was called cannot work: a bad flag, a missing variable, an unreadable cases
 * file, a route or variant the gateway does not know, a token it refuses. `main` prints the
 * message and exits 2, so CI can tell "the gate failed" (1) from "the gate never ran" (2).
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
