/** The admin token lives in sessionStorage: gone when the tab closes, never in localStorage. */
export const TOKEN_KEY = 'flywheel.console.token';

export interface TokenStore {
  get(): string | null;
  set(token: string): void;
  clear(): void;
}

/**
 * The token in the tab's sessionStorage. Where storage is disabled (it throws), the console
 * still works and asks for the token on every page load.
 */
export function sessionTokenStore(storage: () => Storage = () => window.sessionStorage): TokenStore {
  const attempt = <T>(action: (s: Storage) => T, fallback: T): T => {
    try {
      return action(storage());
    } catch {
      return fallback;
    }
  };
  return {
    get: () => attempt((s) => s.getItem(TOKEN_KEY) || null, null),
    set: (token) => attempt((s) => s.setItem(TOKEN_KEY, token), undefined),
    clear: () => attempt((s) => s.removeItem(TOKEN_KEY), undefined),
  };
}
