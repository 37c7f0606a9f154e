// @ts-check
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
const nativeModules = ['better-sqlite3', 'onnxruntime-node', 'sharp', 'electron', 'ws'];

export default tseslint.config(
  { ignores: ['.cache/**', '.scratch/**', 'out/**', 'dist/**', 'node_modules/**', 'native-models/**', 'fixtures/demo/**', '.gpu/**', '.gl/**'] },
  ...tseslint.configs.recommended,
  {
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [importX.createNodeResolver({ extensions: ['.ts', '.tsx', '.js', '.mjs', '.json'] })],
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // Where code runs decides what it may import (as VS Code's common/node/browser folders do).
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            { target: './renderer', from: './main', message: 'renderer/ runs in the page: reach main only through the IPC contract.' },
            { target: './renderer', from: './preload', message: 'renderer/ must not import the preload script.' },
            { target: './main', from: './renderer', message: 'main/ is Node only and must not import renderer/.' },
            { target: './common', from: './main', message: 'common/ is shared by every process: no main/ imports.' },
            { target: './common', from: './renderer', message: 'common/ is shared by every process: no renderer/ imports.' },
            { target: './preload', from: './main', message: 'preload/ sees only the contract.' },
            { target: './preload', from: './renderer', message: 'preload/ sees only the contract.' },
          ],
        },
      ],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}', 'common/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...nodeBuiltins, ...nativeModules].map((name) => ({
            name,
            message: 'renderer/ and common/ run in the page: no Node builtins or native modules.',
          })),
        },
      ],
    },
  },
  {
    files: ['main/**/*.ts', 'tests/**/*.ts', 'bench/**/*.ts', 'fixtures/**/*.ts'],
    ignores: ['main/electron/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'electron', message: 'Only the thin shell in main/electron may import electron (in tests, requiring it starts a download).' }] },
      ],
    },
  },
);
