import { type FormEvent, useId, useState } from 'react';

/** Asks for the curator's admin token (FLYWHEEL_ADMIN_TOKEN) once per browser session. */
export function TokenPrompt({ message, onToken }: { message?: string; onToken: (token: string) => void }) {
  const [token, setToken] = useState('');
  const inputId = useId();
  const hintId = useId();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const trimmed = token.trim();
    if (trimmed) onToken(trimmed);
  };
  return (
    <main className="login">
      <form onSubmit={submit} aria-labelledby={`${inputId}-title`}>
        <h1 id={`${inputId}-title`}>Flywheel console</h1>
        {message && (
          <p role="alert" className="error">
            {message}
          </p>
        )}
        <label htmlFor={inputId}>Admin token</label>
        <input
          id={inputId}
          type="password"
          autoComplete="current-password"
          autoFocus
          required
          value={token}
          aria-describedby={hintId}
          onChange={(e) => setToken(e.target.value)}
        />
        <p id={hintId} className="hint">
          The curator&apos;s <code>FLYWHEEL_ADMIN_TOKEN</code>. It is kept in this tab only and sent as a
          bearer token.
        </p>
        <button type="submit">Sign in</button>
      </form>
    </main>
  );
}
