// ESLint 9 flat config: typescript-eslint with type information (projectService reads tsconfig.json and
// e2e/tsconfig.json). Type-aware linting is CPU heavy: `npm run lint` runs it once over the TypeScript sources.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    // Build output, dependencies, the demo's browser JS (plain ES modules, no types) and the Odoo addon's static files.
    ignores: [
      'node_modules/**',
      'dist/**',
      'coverage/**',
      'mocks/h5/**',
      'odoo-addons/**',
      '**/*.js',
      '**/*.mjs',
      '**/*.cjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // The point of the exercise: a promise nobody awaits loses its error (and, in a handler, its ordering).
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': [
        'error',
        { checksVoidReturn: { arguments: false, attributes: false } },
      ],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': [
        'warn',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // Warn only, for now: these fire 840 times today, mostly in tests reading JSON bodies typed `any`; making them
      // errors needs edits across the tree (issue 13.7 follow-up), not a drive-by in files other work is changing.
      '@typescript-eslint/no-unsafe-member-access': 'warn',
      '@typescript-eslint/no-unsafe-assignment': 'warn',
      '@typescript-eslint/no-unsafe-argument': 'warn',
      '@typescript-eslint/no-unsafe-call': 'warn',
      '@typescript-eslint/no-unsafe-return': 'warn',
      '@typescript-eslint/no-unnecessary-type-assertion': 'warn',
      '@typescript-eslint/no-base-to-string': 'warn',
      '@typescript-eslint/no-explicit-any': 'warn',
      '@typescript-eslint/restrict-template-expressions': 'warn',
      '@typescript-eslint/no-require-imports': 'warn',
      '@typescript-eslint/no-this-alias': 'warn',
      '@typescript-eslint/unbound-method': 'warn',
      'no-control-regex': 'warn',
      'no-useless-escape': 'warn',
    },
  },
);
