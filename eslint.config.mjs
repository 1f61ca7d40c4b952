// One lint setup for every package: typescript-eslint's recommended rules on top of
// ESLint's, Prettier owns formatting.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: [
      'services/contracts/src/**/*.d.ts',
      '**/node_modules/**',
      '**/dist/**',
      '.cache/**',
      '.flywheel/**',
      'coverage/**',
      'bench/results/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.node },
      // NestJS injects by the runtime types that decorator metadata records: with these set,
      // consistent-type-imports keeps constructor-parameter imports as value imports.
      parserOptions: { emitDecoratorMetadata: true, experimentalDecorators: true },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      'no-console': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // @flywheel/widget and the console run in browsers and render text only, never HTML.
    files: ['web-widget/**', 'services/console/src/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'MemberExpression[property.name=/^(innerHTML|outerHTML)$/]',
          message: 'Browser code renders text only.',
        },
        {
          selector: 'MemberExpression[property.name="insertAdjacentHTML"]',
          message: 'Browser code renders text only.',
        },
        {
          selector: 'MemberExpression[object.name="document"][property.name=/^write(ln)?$/]',
          message: 'Browser code renders text only.',
        },
        {
          selector: 'JSXAttribute[name.name="dangerouslySetInnerHTML"]',
          message: 'Browser code renders text only.',
        },
      ],
    },
  },
);
