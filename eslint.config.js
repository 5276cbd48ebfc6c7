import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'test-results/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Product code only: tests and benchmarks build their own fixtures.
    files: ['src/**', 'web/**'],
    rules: {
      // A dictionary keyed by data (labels, intents, column or parameter names) must not inherit
      // from Object.prototype: a label may be `__proto__` or `constructor` (issue 11).
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "VariableDeclarator[id.typeAnnotation.typeAnnotation.typeName.name='Record'][init.type='ObjectExpression'][init.properties.length=0]",
          message: 'A Record filled at run time starts as dict() from src/core/dict.ts (or use a Map), never {}.',
        },
        {
          selector:
            "TSAsExpression[expression.type='ObjectExpression'][expression.properties.length=0][typeAnnotation.typeName.name='Record']",
          message: 'A Record filled at run time starts as dict() from src/core/dict.ts (or use a Map), never {}.',
        },
      ],
    },
  },
  {
    // core/ is the bottom layer: every other folder may import it, so it imports none of them
    // (the lab context that needs config/ and db/ is assembled in src/lab/).
    files: ['src/core/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ group: ['../*'], message: 'src/core/ imports nothing from the other src folders.' }] },
      ],
    },
  },
  // Type-aware rules: a promise nobody awaits loses its error, and a promise where a callback
  // expects a plain value (an event handler, a setInterval body) is never awaited either.
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['vite.config.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    files: ['web/**'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
    },
  },
);
