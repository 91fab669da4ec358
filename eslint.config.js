// One type-aware lint config for every package.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import importX from 'eslint-plugin-import-x'
import globals from 'globals'

export default tseslint.config(
  { ignores: ['**/node_modules/**', 'data/**', '.tmp/**', 'models/**', '**/*.js', '!eslint.config.js', 'e2e/lookalike/public/**', 'electron/src/renderer/vendor/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
      'import-x/no-cycle': 'error',
      // agent and cloud never import each other; everything depends on schema, never the reverse.
      'no-restricted-imports': 'off',
    },
  },
  {
    files: ['agent/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['@kefu/cloud', '@kefu/cloud/*', '**/cloud/src/**'] }] },
  },
  {
    files: ['cloud/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['@kefu/agent', '@kefu/agent/*', '**/agent/src/**'] }] },
  },
  {
    files: ['schema/src/**/*.ts', 'match/src/**/*.ts', 'sync-rules/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['@kefu/cloud', '@kefu/agent', '@kefu/migrations', '@kefu/electron'] }] },
  },
  {
    // Entry points and scripts may print.
    files: ['cli/src/**/*.ts', '**/*-suite.ts', 'bench/**/*.ts', 'scripts/**/*.ts', '**/*.test.ts', 'e2e/**/*.ts', '**/main.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['eslint.config.js'],
    languageOptions: { globals: { ...globals.node } },
  },
)
