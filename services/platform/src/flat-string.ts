/**
 * Returns `s` flattened in place. V8 keeps a string built by concatenation (template literals,
 * `a + b`, Node's `crypto.randomUUID()`) as a tree of its pieces until something reads a
 * character of it: a UUID built that way holds ~490 bytes of heap instead of ~70. Call this on
 * strings a long-lived structure (an in-memory store, an event log window) keeps, so memory per
 * entry is what the text needs. Same value, same identity; O(length) once.
 */
export function flatString<S extends string>(s: S): S {
  s.charCodeAt(0);
  return s;
}
