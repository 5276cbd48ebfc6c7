import js from '@eslint/js';
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
  { files: ['web/**'], languageOptions: { globals: { ...globals.browser } } },
);
