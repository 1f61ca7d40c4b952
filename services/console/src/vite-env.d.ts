// Vite turns `import './styles.css'` into a stylesheet link; TypeScript only needs to accept it.
declare module '*.css';
