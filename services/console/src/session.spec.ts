import { sessionTokenStore, TOKEN_KEY } from './session';

afterEach(() => window.sessionStorage.clear());

describe('sessionTokenStore', () => {
  it('keeps the token in sessionStorage, not localStorage', () => {
    const store = sessionTokenStore();
    expect(store.get()).toBeNull();
    store.set('secret-admin-token');
    expect(window.sessionStorage.getItem(TOKEN_KEY)).toBe('secret-admin-token');
    expect(window.localStorage.getItem(TOKEN_KEY)).toBeNull();
    expect(sessionTokenStore().get()).toBe('secret-admin-token');
    store.clear();
    expect(store.get()).toBeNull();
  });

  it('works without storage when the browser refuses it', () => {
    const store = sessionTokenStore(() => {
      throw new DOMException('The operation is insecure.', 'SecurityError');
    });
    expect(() => store.set('t')).not.toThrow();
    expect(store.get()).toBeNull();
    expect(() => store.clear()).not.toThrow();
  });
});
