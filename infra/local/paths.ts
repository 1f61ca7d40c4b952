import path from 'node:path';

/** The repository root (this file lives in `<root>/infra/local`). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');
