import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app';
import { sessionTokenStore } from './session';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('the console page has no #root element');
createRoot(root).render(
  <StrictMode>
    <App fetch={(input, init) => window.fetch(input, init)} tokens={sessionTokenStore()} />
  </StrictMode>,
);
